"""Create the three role groups and grant them what they may do with stores and products."""

from django.db import migrations

from stores import roles

READ = ["view_store", "view_associate", "view_product", "view_category", "view_brand"]
ALL = [f"{verb}_{model}" for verb in ("add", "change", "delete", "view")
       for model in ("store", "associate", "product", "category", "brand")]


def grant_roles(apps, schema_editor):
    roles.grant(apps, "stores", {
        roles.STORE_ASSOCIATE: READ,
        roles.CONTACT_CENTER_AGENT: READ,
        roles.CRM_MANAGER: ALL,
    })


class Migration(migrations.Migration):
    dependencies = [
        ("stores", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(grant_roles, migrations.RunPython.noop)]
