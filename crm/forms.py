"""Forms of the customer app."""

# --- Customer screen: capture forms ---------------------------------------------------------
#
# Shape and labels only: every rule (normalizing, who else holds a value, the consent ledger)
# lives in crm/services.py, whose ValidationErrors these forms show beside the fields. The
# labels are the models' own choices, translated there.

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.imports import checks as import_checks
from crm.imports import formats as import_formats
from crm.models import Channel, Consent, Identity, ImportBatch, Interaction, Preference, Source

LABELS = {"email": _("E-mail"), "phone": _("Phone")}

PREFERENCE_KINDS = Preference.Kind.choices
PURPOSE_LABELS = dict(Consent.Purpose.choices)
MEDIUM_LABELS = dict(Consent.Medium.choices)
INTERACTION_LABELS = dict(Interaction.Kind.choices)
CHANNEL_LABELS = dict(Channel.choices)
# What an associate logs by hand (crm.services.LOGGED_BY_HAND).
LOGGED_KINDS = [
    (kind, INTERACTION_LABELS[kind])
    for kind in (
        Interaction.Kind.TRIED_ON,
        Interaction.Kind.STORE_VISIT,
        Interaction.Kind.WISHLIST,
        Interaction.Kind.CALL,
        Interaction.Kind.EMAIL,
    )
]


class NoteForm(forms.Form):
    body = forms.CharField(
        label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), max_length=4000
    )
    is_pinned = forms.BooleanField(label=_("Pin it at the top"), required=False)


class PreferenceForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=PREFERENCE_KINDS)
    value = forms.CharField(label=_("Preference"), max_length=120)
    is_dislike = forms.BooleanField(label=_("Rules items out (allergy, dislike)"), required=False)


class ContactForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[(Identity.Kind.PHONE, LABELS["phone"]), (Identity.Kind.EMAIL, LABELS["email"])],
    )
    value = forms.CharField(label=_("Phone number or e-mail"), max_length=254)


class ConsentForm(forms.Form):
    purpose = forms.ChoiceField(label=_("Purpose"), choices=list(PURPOSE_LABELS.items()))
    channel = forms.ChoiceField(label=_("Channel"), choices=list(MEDIUM_LABELS.items()))
    is_granted = forms.TypedChoiceField(
        label=_("The customer"),
        choices=[("yes", _("gives consent")), ("no", _("withdraws consent"))],
        coerce=lambda answer: answer == "yes",
        widget=forms.RadioSelect,
        initial="yes",
    )
    proof = forms.CharField(
        label=_("Proof"),
        max_length=255,
        help_text=_("Form number, signed sheet, recording…"),
    )


class InteractionForm(forms.Form):
    kind = forms.ChoiceField(label=_("What happened"), choices=LOGGED_KINDS)
    text = forms.CharField(
        label=_("Details"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    product = forms.CharField(
        label=_("Product code"),
        required=False,
        max_length=64,
        help_text=_("For a wish: they are told when it is back in stock."),
    )


class RegistrationForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=80)
    last_name = forms.CharField(label=_("Last name"), max_length=80)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    email = forms.CharField(label=_("E-mail"), max_length=254, required=False)
    birth_date = forms.DateField(
        label=_("Birth date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
    )
    city = forms.CharField(label=_("City"), max_length=80, required=False)
    marketing_consent = forms.BooleanField(
        label=_("Agrees to receive offers by e-mail"), required=False
    )


# --- Channel imports: upload and column mapping (crm/views/imports.py) ------------------------
#
# The forms check what can be checked without reading the file (a source, a kind, a file of a
# size and a type Bottega imports); the file's content is checked by crm/imports/checks.py when
# the dry run reads it, and its refusals are shown on the same form.

NOT_MAPPED = ""


class ImportUploadForm(forms.Form):
    source = forms.ModelChoiceField(
        label=_("Source"), queryset=Source.objects.filter(is_active=True), empty_label=None
    )
    kind = forms.ChoiceField(label=_("What the file holds"), choices=ImportBatch.Kind.choices)
    file = forms.FileField(
        label=_("File"),
        help_text=_("CSV, Excel (.xlsx) or JSON Lines, with a header row."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.tsv,.xlsx,.jsonl,.ndjson"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        import_checks.file_format(upload.name)  # a ValidationError naming the file
        limit = import_checks.max_bytes()
        if upload.size > limit:
            raise forms.ValidationError(
                _("“%(name)s” is %(size)s; the limit is %(limit)s. Split it into smaller files.")
                % {
                    "name": upload.name,
                    "size": import_checks.human_size(upload.size),
                    "limit": import_checks.human_size(limit),
                }
            )
        return upload


class ColumnMappingForm(forms.Form):
    """One select per column of the file: the Bottega field it fills, or none (kept raw)."""

    save_mapping = forms.BooleanField(
        label=_("Remember this mapping for the next files of this source"), required=False
    )

    def __init__(self, *args, headers: list[str], kind: str, initial_mapping: dict, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(NOT_MAPPED, _("— keep in the raw row —"))] + [
            (field, field) for field in import_formats.COLUMNS[kind]
        ]
        self.headers = headers
        for position, header in enumerate(headers):
            self.fields[f"column_{position}"] = forms.ChoiceField(
                label=header,
                choices=choices,
                required=False,
                initial=initial_mapping.get(header, NOT_MAPPED),
            )

    def column_fields(self):
        return [self[f"column_{position}"] for position in range(len(self.headers))]

    def mapping(self) -> dict[str, str]:
        """Column → field for the columns mapped to a field (the first column wins a field)."""
        chosen: dict[str, str] = {}
        for position, header in enumerate(self.headers):
            field = self.cleaned_data.get(f"column_{position}") or NOT_MAPPED
            if field and field not in chosen.values():
                chosen[header] = field
        return chosen
