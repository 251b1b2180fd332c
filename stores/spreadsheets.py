"""Spreadsheet files that are safe to open: the base of every import-export resource.

A cell that begins with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return, which some
spreadsheets skip before reading a formula) is run as a formula when the file is opened: a
product named ``=HYPERLINK(…)`` in an export would become a live link in a manager's Excel. Every
exported text cell that begins so gets a leading apostrophe, which spreadsheets read as "this is
text" (OWASP's advice for CSV injection). Importing the same file strips it again, so an export
can be edited and imported back without the names growing apostrophes.
"""

from import_export import resources, widgets

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def escape_formula(value: object) -> object:
    """The value a spreadsheet shows as text, never runs: ``=1+1`` becomes ``'=1+1``."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return f"'{value}"
    return value


def unescape_formula(value: object) -> object:
    """Undo :func:`escape_formula` on a value read back from a file."""
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


class SpreadsheetSafeResource(resources.ModelResource):
    """A ModelResource whose exports cannot carry formulas into a spreadsheet."""

    def export_field(self, field, instance, **kwargs):
        value = super().export_field(field, instance, **kwargs)
        # A negative price is a number, not a formula: numbers are left as they are.
        if isinstance(field.widget, widgets.NumberWidget):
            return value
        return escape_formula(value)

    def before_import_row(self, row, **kwargs):
        super().before_import_row(row, **kwargs)
        for column, value in row.items():
            row[column] = unescape_formula(value)
