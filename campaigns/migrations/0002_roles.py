"""Grant the roles what they may do with offers and campaigns."""

from django.db import migrations

from stores import roles

ALL = [f"{verb}_{model}" for verb in ("add", "change", "delete", "view")
       for model in ("segment", "offer", "campaign", "campaignmember")]


def grant_roles(apps, schema_editor):
    roles.grant(apps, "campaigns", {
        roles.STORE_ASSOCIATE: ["view_offer"],
        # Agents work the call lists: they see campaigns and record each call's outcome.
        roles.CONTACT_CENTER_AGENT: [
            "view_offer", "view_campaign", "view_campaignmember", "change_campaignmember",
        ],
        roles.CRM_MANAGER: ALL,
    })


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0001_initial"), ("crm", "0002_roles_and_sources")]
    operations = [migrations.RunPython(grant_roles, migrations.RunPython.noop)]
