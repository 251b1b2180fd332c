"""What every page needs to know about the person using it."""

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

# (url name, label, permission needed; None = everyone logged in)
MENU = [
    ("crm:home", _("Home"), None),
    ("crm:customer-list", _("Customers"), "crm.view_customer"),
    ("crm:case-list", _("Cases"), "crm.view_case"),
    ("campaigns:campaign-list", _("Campaigns"), "campaigns.view_campaign"),
    ("crm:console", _("Console"), "crm.view_console"),
]


def navigation(request: HttpRequest) -> dict:
    """The menu shows only what the user's role may use."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": []}
    items = [(url, label) for url, label, perm in MENU if perm is None or user.has_perm(perm)]
    if user.is_staff:
        items.append(("admin:index", _("Admin")))
    return {"nav": items}
