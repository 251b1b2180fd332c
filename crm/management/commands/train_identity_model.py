"""Re-estimate the identity-matching model from the source records, and store it.

python manage.py train_identity_model
python manage.py train_identity_model --keys     # also rewrite every record's blocking keys
                                                 # and keep the phone kinds not kept yet

Imports train on their own (the first time the records reach a few thousand, then each time
they double); this command retrains on demand, for instance after a large manual clean-up.
``--keys`` rewrites the blocking keys (``MatchKey``) of every record, for records that reached
the database some other way than an import or the matching rules changed; it also keeps the
phone kind of the records stored without one (before kinds were kept), which matching would
otherwise work out again each time it reads them.
"""

from django.core.management.base import BaseCommand

from crm.identity import resolve
from crm.models import SourceRecord

CHUNK = 5000


class Command(BaseCommand):
    help = "Train the identity-matching model on the source records and store it."

    def add_arguments(self, parser):
        parser.add_argument(
            "--keys", action="store_true", help="Rewrite every record's blocking keys first."
        )

    def handle(self, *args, **options):
        if options["keys"]:
            written = 0
            records = SourceRecord.objects.order_by("pk")
            chunk: list[SourceRecord] = []
            for record in records.iterator(chunk_size=CHUNK):
                chunk.append(record)
                if len(chunk) == CHUNK:
                    resolve.write_match_keys(records=chunk)
                    resolve.fill_phone_kinds(records=chunk)
                    written += len(chunk)
                    chunk = []
            resolve.write_match_keys(records=chunk)
            resolve.fill_phone_kinds(records=chunk)
            written += len(chunk)
            self.stdout.write(f"Blocking keys written for {written:,} records.")
        stored = resolve.train_on_database()
        if stored is None:
            self.stdout.write("No source records yet: the prior model stays in use.")
            return
        model = stored.model
        self.stdout.write(
            f"Model #{stored.pk} trained on {stored.records:,} records "
            f"({model.em_iterations} EM iterations, "
            f"{stored.matches_per_record:.2f} matching records per record)."
        )
        if model.m_origin == "fallback":
            self.stdout.write(
                "EM found no two records of one person to learn from (a single channel's "
                "file?): the prior m are kept, with the u and name frequencies learnt here."
            )
        for spec in model.fields:
            weights = model.weight_table(spec)
            levels = ", ".join(
                f"{name} {weight:+.1f}"
                for name, weight in zip(model.level_names(spec)[1:], weights[1:], strict=True)
            )
            self.stdout.write(f"  {spec.name:<11} {levels}")
