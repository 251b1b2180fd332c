"""Fill Bottega with a believable Italian chain and its customers, and write their channel files.

python manage.py seed_demo                        # once; later runs only print the logins
python manage.py seed_demo --reset --people 20000 --seed 7
python manage.py seed_demo --files-only --people 1000000 --output-dir /tmp/channels
"""

import datetime as dt
import itertools
import random
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, reset_queries
from django.utils import timezone

from crm.demo import database
from crm.demo.catalogue import DEMO_PASSWORD, build_catalogue
from crm.demo.channel_files import ChannelFiles
from crm.demo.history import generate_history
from crm.demo.people import Counters, generate_people

CHUNK_SIZE = 2000


class Command(BaseCommand):
    help = "Create the demo chain, ~5,000 customers with three years of history, and channel files."

    def add_arguments(self, parser):
        parser.add_argument("--people", type=int, default=5000, help="How many people (5000).")
        parser.add_argument("--seed", type=int, default=42, help="Same seed, same data (42).")
        parser.add_argument(
            "--today",
            type=dt.date.fromisoformat,
            default=None,
            help="YYYY-MM-DD the history ends on (today); fix it for reproducible data.",
        )
        parser.add_argument(
            "--output-dir",
            type=Path,
            default=None,
            help="Where to write the channel files (<VAR_DIR>/demo/channels).",
        )
        parser.add_argument("--no-files", action="store_true", help="Do not write files.")
        parser.add_argument(
            "--files-only", action="store_true", help="Write the files; leave the database alone."
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Delete all customers and their history, and the demo catalogue, first.",
        )

    def handle(self, *args, **options):
        if options["people"] < 1:
            raise CommandError("--people must be at least 1.")
        if options["files_only"] and options["no_files"]:
            raise CommandError("--files-only and --no-files leave nothing to do.")
        today = options["today"] or timezone.localdate()
        seed = options["seed"]
        catalogue = build_catalogue(seed)
        if not options["files_only"]:
            if database.demo_exists() and not options["reset"]:
                self.stdout.write("The demo data is already there (use --reset to rebuild it).")
                self._print_logins()
                return
            if options["reset"]:
                self.stdout.write("Deleting the existing customers and demo catalogue…")
                database.reset(catalogue)
        files = None
        if not options["no_files"]:
            directory = options["output_dir"] or Path(settings.VAR_DIR) / "demo" / "channels"
            files = ChannelFiles(directory, seed)
        try:
            counts, elapsed = self._generate(options, catalogue, today, files)
        finally:
            if files:
                files.close()
        self._print_summary(counts, elapsed, files)
        if not options["files_only"]:
            self._print_logins()

    def _generate(self, options, catalogue, today, files):
        started = time.monotonic()
        refs = None
        if not options["files_only"]:
            if connection.vendor == "sqlite":
                # A 64 MB page cache for this connection only: the indexes outgrow the
                # default 2 MB after a few thousand people and every insert starts to read.
                with connection.cursor() as cursor:
                    cursor.execute("PRAGMA cache_size = -65536")
            refs = database.save_catalogue(catalogue)
        rng = random.Random(f"{options['seed']}:people")
        counters = Counters()
        people = generate_people(rng, options["people"], catalogue, today)
        counts = dict.fromkeys(("people", "records", "orders", "lines", "interactions"), 0)
        while chunk := list(itertools.islice(people, CHUNK_SIZE)):
            batch = [(p, generate_history(rng, p, catalogue, today, counters)) for p in chunk]
            if refs:
                database.save_chunk(batch, refs, today)
                reset_queries()  # with DEBUG on, Django keeps every query's SQL otherwise
            for person, history in batch:
                counts["records"] += len(person.records)
                counts["orders"] += len(history.orders)
                counts["lines"] += sum(len(order.lines) for order in history.orders)
                counts["interactions"] += len(history.interactions)
                if files:
                    files.write(person, history)
            counts["people"] += len(batch)
            self.stdout.write(
                f"  {counts['people']:,} / {options['people']:,} people · "
                f"{counts['records']:,} records · {counts['orders']:,} orders · "
                f"{time.monotonic() - started:.1f} s"
            )
        if refs:
            database.save_stock_levels(refs, today, options["seed"])
        return counts, time.monotonic() - started

    def _print_summary(self, counts, elapsed, files):
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo ready in {elapsed:.1f} s: {counts['people']:,} people, "
                f"{counts['records']:,} channel records, {counts['orders']:,} orders "
                f"({counts['lines']:,} lines), {counts['interactions']:,} interactions."
            )
        )
        if files:
            bad = sum(files.bad_rows.values())
            self.stdout.write(
                f"Channel files in {files.directory} ({len(files.paths)} files, "
                f"{bad} deliberately bad rows):"
            )
            for path in files.paths:
                self.stdout.write(f"  {path.name}")

    def _print_logins(self):
        self.stdout.write(
            f'Demo logins, password "{DEMO_PASSWORD}" (run the server, open http://127.0.0.1:8000/):'
        )
        for username, description in database.demo_logins():
            self.stdout.write(f"  {username:<10} {description}")
