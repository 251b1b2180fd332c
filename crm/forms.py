"""Forms of the customer app."""

# --- Customer screen: capture forms ---------------------------------------------------------
#
# Shape and labels only: every rule (normalizing, who else holds a value, the consent ledger)
# lives in crm/services.py, whose ValidationErrors these forms show beside the fields. The
# labels of the model's choices are repeated here so that they are translated on the screens.

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.models import Channel, Consent, Identity, Interaction, Preference

LABELS = {"email": _("E-mail"), "phone": _("Phone")}

PREFERENCE_KINDS = [
    (Preference.Kind.SIZE, _("Size")),
    (Preference.Kind.BRAND, _("Brand")),
    (Preference.Kind.CATEGORY, _("Category")),
    (Preference.Kind.COLOUR, _("Colour")),
    (Preference.Kind.TASTE, _("Taste")),
    (Preference.Kind.DIET, _("Diet or allergy")),
    (Preference.Kind.CONTACT_TIME, _("Preferred contact time")),
    (Preference.Kind.CONTACT_CHANNEL, _("Preferred contact channel")),
    (Preference.Kind.OTHER, _("Other")),
]
PURPOSE_LABELS = {
    Consent.Purpose.MARKETING: _("Marketing"),
    Consent.Purpose.PROFILING: _("Profiling"),
    Consent.Purpose.THIRD_PARTY: _("Sharing with partners"),
}
MEDIUM_LABELS = {
    Consent.Medium.EMAIL: _("E-mail"),
    Consent.Medium.SMS: _("SMS"),
    Consent.Medium.PHONE: _("Phone"),
    Consent.Medium.POST: _("Post"),
    Consent.Medium.PUSH: _("App notifications"),
    Consent.Medium.ANY: _("Any channel"),
}
INTERACTION_LABELS = {
    Interaction.Kind.STORE_VISIT: _("Store visit"),
    Interaction.Kind.CHECK_IN: _("Card or app check-in"),
    Interaction.Kind.TRIED_ON: _("Tried on, didn't buy"),
    Interaction.Kind.WEB_VISIT: _("Web visit"),
    Interaction.Kind.CART_ABANDONED: _("Abandoned cart"),
    Interaction.Kind.APP_SESSION: _("App session"),
    Interaction.Kind.WISHLIST: _("Added to wishlist"),
    Interaction.Kind.SOCIAL: _("Social interaction"),
    Interaction.Kind.CALL: _("Call"),
    Interaction.Kind.EMAIL: _("E-mail"),
    Interaction.Kind.CAMPAIGN_TOUCH: _("Campaign touch"),
    Interaction.Kind.CASE: _("Case"),
    Interaction.Kind.REVIEW: _("Review"),
    Interaction.Kind.SURVEY: _("Survey answer"),
}
CHANNEL_LABELS = {
    Channel.POS: _("Store till"),
    Channel.WEB: _("Web shop"),
    Channel.APP: _("App"),
    Channel.LOYALTY: _("Loyalty registry"),
    Channel.SOCIAL: _("Social pages"),
    Channel.CONTACT_CENTER: _("Contact center"),
    Channel.EMAIL: _("E-mail"),
    Channel.SMS: _("SMS"),
    Channel.PHONE: _("Phone"),
    Channel.STORE: _("In store"),
    Channel.BOTTEGA: _("Captured in Bottega"),
}
IDENTITY_LABELS = {
    Identity.Kind.EMAIL: _("E-mail"),
    Identity.Kind.PHONE: _("Phone"),
    Identity.Kind.LOYALTY_CARD: _("Loyalty card"),
    Identity.Kind.WEB_ACCOUNT: _("Web account"),
    Identity.Kind.APP_ID: _("App id"),
    Identity.Kind.SOCIAL_HANDLE: _("Social handle"),
    Identity.Kind.POS_CUSTOMER: _("Till customer code"),
}
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
