"""Keep the population a matching model was trained at: training reads at most
TRAIN_MAX_RECORDS records, and "doubled since" must not be counted from that capped figure."""

from django.db import migrations, models
from django.db.models import F


def population_from_records(apps, schema_editor):
    # Models trained before this migration read every record there was, up to the cap: the
    # records they read are the best lower bound of the population they saw.
    apps.get_model("crm", "MatchModel").objects.update(population=F("records"))


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0008_order_foreign_keys_without_duplicate_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="matchmodel",
            name="population",
            field=models.PositiveIntegerField(
                default=0, help_text="Source records in the database when it was trained."
            ),
        ),
        migrations.RunPython(population_from_records, migrations.RunPython.noop),
    ]
