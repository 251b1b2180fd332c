"""Let every role read the stock levels, and CRM managers keep them (the import included)."""

from django.db import migrations

from stores import roles

READ = ["view_stocklevel"]
ALL = [f"{verb}_stocklevel" for verb in ("add", "change", "delete", "view")]


def grant_roles(apps, schema_editor):
    roles.grant(apps, "stores", {
        roles.STORE_ASSOCIATE: READ,
        roles.CONTACT_CENTER_AGENT: READ,
        roles.CRM_MANAGER: ALL,
    })


class Migration(migrations.Migration):
    dependencies = [("stores", "0003_stock_levels_and_user_settings")]
    operations = [migrations.RunPython(grant_roles, migrations.RunPython.noop)]
