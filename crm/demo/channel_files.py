"""Write the demo's channel records, orders and interactions as the channels' import files.

One set of CSV files per source, appended to chunk by chunk, plus ``truth.csv`` (which records
are the same person) for measuring identity resolution. About 1% extra rows are deliberately
bad (see docs/demo-data.md): they are not in the database nor in ``truth.csv``.
"""

import csv
import random
from collections import Counter
from pathlib import Path

from crm.demo.choices import chance
from crm.demo.history import ORDER_SOURCES, History, OrderSpec
from crm.demo.people import PEOPLE_COLUMNS, SOURCES, ChannelRecord, Person

ORDER_COLUMNS = [
    "external_id", "customer_external_id", "store_code", "associate_code", "ordered_at", "sku",
    "product_name", "category", "brand", "quantity", "unit_price", "currency", "status",
]  # fmt: skip
INTERACTION_COLUMNS = [
    "external_id", "customer_external_id", "kind", "occurred_at", "store_code", "associate_code",
    "channel_detail", "text", "value",
]  # fmt: skip
TRUTH_COLUMNS = ["record_id", "cluster_id"]
BAD_ROW_RATE = 0.01
BAD_BIRTH_DATES = ["30/02/1987", "1987-13-01", "ieri", "??/??/1975", "31.04.1990", "0000-00-00"]
BAD_TIMESTAMPS = ["2024-02-30 10:00:00", "31/31/2023 12:00", "n/d", "2023-11-05T25:61:00"]


class ChannelFiles:
    """Open every file once, append rows per person, close at the end."""

    def __init__(self, directory: Path, seed: int) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        # Bad rows draw from their own generator, so writing files never changes the data.
        self._rng = random.Random(f"{seed}:bad-rows")
        self._handles = []
        self.rows: Counter[str] = Counter()
        self.bad_rows: Counter[str] = Counter()
        self._people = {
            source: self._open(f"{source}_people.csv", PEOPLE_COLUMNS) for source in SOURCES
        }
        self._orders = {
            source: self._open(f"{source}_orders.csv", ORDER_COLUMNS) for source in ORDER_SOURCES
        }
        self._interactions = {
            source: self._open(f"{source}_interactions.csv", INTERACTION_COLUMNS)
            for source in SOURCES
        }
        self._truth = self._open("truth.csv", TRUTH_COLUMNS)

    def _open(self, name: str, columns: list[str]):
        handle = open(self.directory / name, "w", newline="", encoding="utf-8")  # noqa: SIM115
        self._handles.append(handle)
        writer = csv.writer(handle)
        writer.writerow(columns)
        return writer

    @property
    def paths(self) -> list[Path]:
        return [Path(handle.name) for handle in self._handles]

    def write(self, person: Person, history: History) -> None:
        for record in person.records:
            self._people[record.source].writerow([record.row[c] for c in PEOPLE_COLUMNS])
            self._truth.writerow([record.record_id, person.id])
            self.rows["people"] += 1
            if chance(self._rng, BAD_ROW_RATE):
                self._write_bad_person(record)
        for order in history.orders:
            for row in _order_rows(order):
                self._orders[order.record.source].writerow(row)
                self.rows["orders"] += 1
            if chance(self._rng, BAD_ROW_RATE):
                self._write_bad_order(order)
        for interaction in history.interactions:
            if interaction.record is None:
                continue  # campaign touches come from the e-mail platform, not a channel file
            value = "" if interaction.value is None else f"{interaction.value:.2f}"
            self._interactions[interaction.record.source].writerow(
                [
                    interaction.external_id,
                    interaction.record.external_id,
                    interaction.kind,
                    _timestamp(interaction.record, interaction.occurred_at),
                    interaction.store_code,
                    interaction.associate_code,
                    interaction.channel_detail,
                    interaction.text,
                    value,
                ]
            )
            self.rows["interactions"] += 1

    def _write_bad_person(self, record: ChannelRecord) -> None:
        """A second, broken row for the same person: an import must reject it."""
        row = dict(record.row)
        if chance(self._rng, 0.6):
            row["external_id"] = f"{record.external_id}-2"
            row["birth_date"] = self._rng.choice(BAD_BIRTH_DATES)
            self.bad_rows["people: unparseable birth_date"] += 1
        else:
            row["external_id"] = ""
            self.bad_rows["people: empty external_id"] += 1
        self._people[record.source].writerow([row[c] for c in PEOPLE_COLUMNS])

    def _write_bad_order(self, order: OrderSpec) -> None:
        row = dict(zip(ORDER_COLUMNS, _order_rows(order)[0], strict=True))
        row["external_id"] = f"{order.external_id}-R"
        kind = self._rng.randrange(4)
        if kind == 0:
            row["quantity"] = f"-{row['quantity']}"
            self.bad_rows["orders: negative quantity"] += 1
        elif kind == 1:
            row["sku"] = f"ZZ-{self._rng.randrange(10**5):05d}"
            self.bad_rows["orders: unknown sku"] += 1
        elif kind == 2:
            row["ordered_at"] = self._rng.choice(BAD_TIMESTAMPS)
            self.bad_rows["orders: unparseable ordered_at"] += 1
        else:
            row["external_id"] = ""
            self.bad_rows["orders: empty external_id"] += 1
        self._orders[order.record.source].writerow([row[c] for c in ORDER_COLUMNS])

    def close(self) -> None:
        for handle in self._handles:
            handle.close()


def _order_rows(order: OrderSpec) -> list[list[str]]:
    ordered_at = _timestamp(order.record, order.ordered_at)
    return [
        [
            order.external_id,
            order.record.external_id,
            order.store_code,
            order.associate_code,
            ordered_at,
            line.product.sku,
            line.product.name,
            line.product.category,
            line.product.brand,
            str(line.quantity),
            f"{line.unit_price:.2f}",
            "EUR",
            order.status,
        ]
        for line in order.lines
    ]


def _timestamp(record: ChannelRecord, moment) -> str:
    if record.source == "pos":
        return moment.strftime("%d/%m/%Y %H:%M:%S")
    return moment.isoformat()
