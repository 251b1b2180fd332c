"""Grant the roles what they may do with customers, and create the standard channel sources."""

from django.db import migrations

from stores import roles

MODELS = [
    "source", "customer", "sourcerecord", "identity", "hubidentifier", "importbatch",
    "rejectedrow", "matchcandidate", "mergeevent", "order", "orderline", "interaction",
    "preference", "note", "consent", "case",
]
ASSOCIATE = [
    "view_customer", "add_customer", "change_customer",
    "view_source", "view_sourcerecord", "view_identity", "add_identity",
    "view_order", "view_orderline",
    "view_interaction", "add_interaction",
    "view_preference", "add_preference", "change_preference", "delete_preference",
    "view_note", "add_note",
    "view_consent", "add_consent",
]
AGENT = ASSOCIATE + ["view_case", "add_case", "change_case"]
# Consents are a ledger: nobody edits or deletes an entry, not even a manager.
MANAGER = [
    f"{verb}_{model}" for verb in ("add", "change", "delete", "view") for model in MODELS
    if not (model == "consent" and verb in ("change", "delete"))
] + ["merge_customer", "export_customer", "view_console"]

# code, name, channel, trust: higher trust wins when channels disagree on a golden field.
SOURCES = [
    ("loyalty", "Loyalty registry", "loyalty", 90),
    ("bottega", "Captured in Bottega", "bottega", 85),
    ("web", "Web shop", "web", 80),
    ("app", "App", "app", 75),
    ("pos", "Store tills", "pos", 60),
    ("contact_center", "Contact center", "contact_center", 50),
    ("social", "Social pages", "social", 30),
]


def grant_roles(apps, schema_editor):
    roles.grant(apps, "crm", {
        roles.STORE_ASSOCIATE: ASSOCIATE,
        roles.CONTACT_CENTER_AGENT: AGENT,
        roles.CRM_MANAGER: MANAGER,
    })


def create_sources(apps, schema_editor):
    Source = apps.get_model("crm", "Source")
    for code, name, channel, trust in SOURCES:
        Source.objects.get_or_create(
            code=code, defaults={"name": name, "channel": channel, "trust": trust}
        )


class Migration(migrations.Migration):
    dependencies = [("crm", "0001_initial"), ("stores", "0002_roles")]
    operations = [
        migrations.RunPython(grant_roles, migrations.RunPython.noop),
        migrations.RunPython(create_sources, migrations.RunPython.noop),
    ]
