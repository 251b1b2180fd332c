"""What every page needs to know about the person using it."""

from django.http import HttpRequest


def navigation(request: HttpRequest) -> dict:
    """The menu shows only what the user's role may use."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": []}
    items = [("stores:home", "Home", True)]
    items += [
        ("crm:customer-list", "Customers", user.has_perm("crm.view_customer")),
        ("crm:case-list", "Cases", user.has_perm("crm.view_case")),
        ("crm:console", "Console", user.has_perm("crm.view_console")),
        ("campaigns:campaign-list", "Campaigns", user.has_perm("campaigns.view_campaign")),
        ("admin:index", "Admin", user.is_staff),
    ]
    return {"nav": [(url_name, label) for url_name, label, allowed in items if allowed]}
