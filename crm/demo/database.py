"""Save the demo chain and its customers through the ORM, chunk by chunk.

The generators (``catalogue``, ``people``, ``history``) name stores, associates, products and
sources by their codes; this module turns codes into rows and inserts each chunk with
``bulk_create`` in foreign-key order, inside one transaction per chunk.
"""

import datetime as dt
import random
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management.color import no_style
from django.db import connection, transaction

from crm import models as crm
from crm.demo.catalogue import DEMO_LOGINS, DEMO_PASSWORD, Catalogue
from crm.demo.choices import chance
from crm.demo.history import History
from crm.demo.people import Person, golden_record
from stores import models as stores
from stores import roles

User = get_user_model()
ADMIN_USERNAME = "admin"
# Everything that hangs off customers, leaves first, so each delete finds nothing protected.
CUSTOMER_SIDE = [
    crm.Case, crm.Note, crm.Consent, crm.Preference, crm.Interaction, crm.OrderLine, crm.Order,
    crm.MatchCandidate, crm.MergeEvent, crm.Identity, crm.SourceRecord, crm.RejectedRow,
    crm.ImportBatch, crm.HubIdentifier,
]  # fmt: skip
SEQUENCED = CUSTOMER_SIDE + [
    crm.Customer,
    stores.Associate,
    stores.Product,
    stores.Category,
    stores.Brand,
    stores.Store,
]


DELETE_SLICE = 900  # under SQLite's oldest limit of 999 parameters per statement


@dataclass
class Refs:
    """Primary keys of the catalogue rows, by the codes the generators use."""

    stores: dict[str, int]
    associates: dict[str, int]
    associate_users: dict[str, int]
    products: dict[str, int]
    sources: dict[str, int]
    hub_phones: set[str]


def demo_exists() -> bool:
    return crm.Customer.objects.exists()


def reset(catalogue: Catalogue) -> None:
    """Delete every customer and what hangs off them, then the demo's stores, products and users.

    Channel sources stay (a migration made them); only their link to a demo store is cleared.
    """
    with transaction.atomic():
        for model in CUSTOMER_SIDE:
            _delete_all(model)
        crm.Customer.objects.filter(merged_into__isnull=False).update(
            status=crm.Customer.Status.ACTIVE, merged_into=None
        )
        _delete_all(crm.Customer)
        store_codes = [store.code for store in catalogue.stores]
        crm.Source.objects.filter(store__code__in=store_codes).update(store=None)
        usernames = [associate.username for associate in catalogue.associates]
        stores.Associate.objects.filter(store__code__in=store_codes).delete()
        User.objects.filter(username__in=[*usernames, ADMIN_USERNAME]).delete()
        stores.Product.objects.filter(sku__in=[p.sku for p in catalogue.products]).delete()
        categories = stores.Category.objects.filter(slug__in=_category_slugs(catalogue))
        categories.filter(parent__isnull=False).delete()
        categories.delete()
        stores.Brand.objects.filter(name__in={p.brand for p in catalogue.products}).delete()
        stores.Store.objects.filter(code__in=store_codes).delete()
        # Start ids from 1 again where a table is now empty, so a reseed gives the same ids.
        empty = [model for model in SEQUENCED if not model.objects.exists()]
        sequences = [{"table": model._meta.db_table, "column": "id"} for model in empty]
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_by_name_sql(no_style(), sequences):
                cursor.execute(sql)


def _delete_all(model) -> None:
    """Delete a big table in slices, so memory and SQL parameters stay bounded."""
    while pks := list(model.objects.order_by("pk").values_list("pk", flat=True)[:DELETE_SLICE]):
        model.objects.filter(pk__in=pks).delete()


def _category_slugs(catalogue: Catalogue) -> list[str]:
    slugs = {_slug(p.parent_category) for p in catalogue.products}
    return sorted(slugs | {_slug(p.category) for p in catalogue.products})


def _slug(name: str) -> str:
    return name.lower().replace(" ", "-")


def save_catalogue(catalogue: Catalogue) -> Refs:
    """Create or update the demo stores, products, users and associates; idempotent."""
    with transaction.atomic():
        store_ids = {}
        for spec in catalogue.stores:
            store, _ = stores.Store.objects.update_or_create(
                code=spec.code,
                defaults={
                    "name": spec.name,
                    "kind": spec.kind,
                    "city": spec.city,
                    "region": spec.region,
                    "address": spec.address,
                    "phone": spec.phone,
                    "opened_on": spec.opened_on,
                },
            )
            store_ids[spec.code] = store.pk
            if spec.source_code:
                crm.Source.objects.filter(code=spec.source_code).update(store=store)
        product_ids = _save_products(catalogue)
        associate_ids, user_ids = _save_people(catalogue, store_ids)
    return Refs(
        stores=store_ids,
        associates=associate_ids,
        associate_users=user_ids,
        products=product_ids,
        sources=dict(crm.Source.objects.values_list("code", "pk")),
        hub_phones={spec.phone for spec in catalogue.stores if spec.phone},
    )


def _save_products(catalogue: Catalogue) -> dict[str, int]:
    category_ids = {}
    for product in catalogue.products:
        for name, parent in (
            (product.parent_category, None),
            (product.category, product.parent_category),
        ):
            if name not in category_ids:
                category, _ = stores.Category.objects.update_or_create(
                    slug=_slug(name),
                    defaults={"name": name, "parent_id": category_ids.get(parent)},
                )
                category_ids[name] = category.pk
    brand_ids = {}
    for product in catalogue.products:
        if product.brand not in brand_ids:
            brand_ids[product.brand] = stores.Brand.objects.get_or_create(name=product.brand)[0].pk
    stores.Product.objects.bulk_create(
        [
            stores.Product(
                sku=p.sku,
                name=p.name,
                brand_id=brand_ids[p.brand],
                category_id=category_ids[p.category],
                price=p.price,
                is_consumable=p.is_consumable,
            )
            for p in catalogue.products
        ],
        update_conflicts=True,
        unique_fields=["sku"],
        update_fields=["name", "brand", "category", "price", "is_consumable"],
    )
    skus = [p.sku for p in catalogue.products]
    return dict(stores.Product.objects.filter(sku__in=skus).values_list("sku", "pk"))


def _save_people(catalogue: Catalogue, store_ids: dict[str, int]):
    # One hash for every demo login: hashing is slow on purpose, and the password is public.
    password = make_password(DEMO_PASSWORD)
    groups = {group.name: group for group in Group.objects.filter(name__in=roles.ALL)}
    associate_ids, user_ids = {}, {}
    for spec in catalogue.associates:
        user, _ = User.objects.update_or_create(
            username=spec.username,
            defaults={
                "first_name": spec.first_name,
                "last_name": spec.last_name,
                "email": f"{spec.username}@bottega.example",
                "is_active": spec.is_demo_login,
                "is_staff": spec.role == "crm_manager",
                "password": password if spec.is_demo_login else make_password(None),
            },
        )
        user.groups.set([groups[roles.GROUP_FOR_ROLE[spec.role]]])
        associate, _ = stores.Associate.objects.update_or_create(
            code=spec.code,
            defaults={"user": user, "store_id": store_ids[spec.store_code], "role": spec.role},
        )
        associate_ids[spec.code] = associate.pk
        user_ids[spec.code] = user.pk
    User.objects.update_or_create(
        username=ADMIN_USERNAME,
        defaults={
            "email": "admin@bottega.example",
            "is_staff": True,
            "is_superuser": True,
            "is_active": True,
            "password": password,
        },
    )
    return associate_ids, user_ids


def save_chunk(chunk: list[tuple[Person, History]], refs: Refs, today: dt.date) -> None:
    """Insert a chunk of people with everything about them, in one transaction."""
    scored_at = dt.datetime.combine(today, dt.time(0), tzinfo=dt.UTC)
    with transaction.atomic():
        customers = [_customer(person, history, refs, scored_at) for person, history in chunk]
        crm.Customer.objects.bulk_create(customers)
        records = {}
        for (person, _), customer in zip(chunk, customers, strict=True):
            for index, record in enumerate(person.records):
                records[id(record)] = _source_record(record, index, customer, refs)
        crm.SourceRecord.objects.bulk_create(records.values())
        crm.Identity.objects.bulk_create(_identities(chunk, customers, records))
        orders, lines = {}, []
        for (_, history), customer in zip(chunk, customers, strict=True):
            for spec in history.orders:
                orders[id(spec)] = _order(spec, customer, records, refs)
        crm.Order.objects.bulk_create(orders.values())
        for _, history in chunk:
            for spec in history.orders:
                lines += _order_lines(spec, orders[id(spec)], refs)
        crm.OrderLine.objects.bulk_create(lines)
        interactions, preferences, consents, notes, cases = [], [], [], [], []
        for (_, history), customer in zip(chunk, customers, strict=True):
            interactions += [_interaction(i, customer, records, refs) for i in history.interactions]
            preferences += [_preference(p, customer, records, refs) for p in history.preferences]
            consents += [_consent(c, customer, records, refs) for c in history.consents]
            notes += [_note(n, customer, refs) for n in history.notes]
            cases += [_case(c, customer, orders, refs) for c in history.cases]
        crm.Interaction.objects.bulk_create(interactions)
        crm.Preference.objects.bulk_create(preferences)
        crm.Consent.objects.bulk_create(consents)
        crm.Note.objects.bulk_create(notes)
        crm.Case.objects.bulk_create(cases)


def _customer(person: Person, history: History, refs: Refs, scored_at) -> crm.Customer:
    golden = golden_record(person, refs.hub_phones)
    first_seen = min(record.created_at for record in person.records)
    return crm.Customer(
        **golden,
        country="IT",
        language=person.language,
        home_store_id=refs.stores[person.home_store],
        company_name=person.company_name,
        vat_number=person.vat_number,
        member_since=person.member_since,
        **history.scores,
        scores_updated_at=scored_at,
        created_at=first_seen,
    )


def _source_record(record, index, customer, refs: Refs) -> crm.SourceRecord:
    return crm.SourceRecord(
        source_id=refs.sources[record.source],
        external_id=record.external_id,
        customer=customer,
        raw=record.row,
        first_name=record.first_name,
        last_name=record.last_name,
        email=record.email,
        phone=record.phone,
        birth_date=record.birth_date,
        street=record.street,
        postcode=record.postcode,
        city=record.city,
        country=record.country,
        loyalty_card=record.loyalty_card,
        match_rule="new" if index == 0 else "strong",
        match_score=None if index == 0 else 1.0,
        match_evidence={"demo_truth": True},
        seen_at=record.created_at,
        linked_at=record.created_at,
        created_at=record.created_at,
    )


def _identities(chunk, customers, records) -> list[crm.Identity]:
    identities = []
    for (person, _), customer in zip(chunk, customers, strict=True):
        seen = set()
        for record in person.records:
            for kind, value in record.identities:
                if (kind, value) not in seen:
                    seen.add((kind, value))
                    identities.append(
                        crm.Identity(
                            customer=customer,
                            kind=kind,
                            value=value,
                            source_record=records[id(record)],
                            is_verified=kind in ("loyalty_card", "web_account", "app_id"),
                            created_at=record.created_at,
                        )
                    )
    return identities


def _order(spec, customer, records, refs: Refs) -> crm.Order:
    return crm.Order(
        source_id=refs.sources[spec.record.source],
        external_id=spec.external_id,
        customer=customer,
        source_record=records[id(spec.record)],
        store_id=refs.stores[spec.store_code],
        associate_id=refs.associates.get(spec.associate_code),
        ordered_at=spec.ordered_at,
        status=spec.status,
        total=spec.total,
        created_at=spec.ordered_at,
    )


def _order_lines(spec, order, refs: Refs) -> list[crm.OrderLine]:
    return [
        crm.OrderLine(
            order=order,
            line_number=line.line_number,
            product_id=refs.products[line.product.sku],
            sku=line.product.sku,
            product_name=line.product.name,
            quantity=line.quantity,
            unit_price=line.unit_price,
            line_total=line.line_total,
            is_returned=line.is_returned,
        )
        for line in spec.lines
    ]


def _interaction(spec, customer, records, refs: Refs) -> crm.Interaction:
    record = spec.record
    payload = dict(spec.payload)
    if spec.channel_detail:
        payload["channel_detail"] = spec.channel_detail
    return crm.Interaction(
        customer=customer,
        source_record=records[id(record)] if record else None,
        source_id=refs.sources[record.source] if record else None,
        external_id=spec.external_id,
        kind=spec.kind,
        channel=spec.channel,
        store_id=refs.stores.get(spec.store_code),
        associate_id=refs.associates.get(spec.associate_code),
        occurred_at=spec.occurred_at,
        text=spec.text,
        payload=payload,
        value=spec.value,
    )


def _preference(spec, customer, records, refs: Refs) -> crm.Preference:
    return crm.Preference(
        customer=customer,
        kind=spec.kind,
        value=spec.value,
        is_declared=spec.is_declared,
        is_dislike=spec.is_dislike,
        source_record=records[id(spec.record)] if spec.record else None,
        captured_by_id=refs.associate_users.get(spec.captured_by),
        captured_at=spec.captured_at,
    )


def _consent(spec, customer, records, refs: Refs) -> crm.Consent:
    record = spec.record
    return crm.Consent(
        customer=customer,
        purpose=spec.purpose,
        channel=spec.channel,
        is_granted=spec.is_granted,
        recorded_at=spec.recorded_at,
        source_id=refs.sources[record.source] if record else None,
        source_record=records[id(record)] if record else None,
        proof=spec.proof,
        created_at=spec.recorded_at,
    )


def _note(spec, customer, refs: Refs) -> crm.Note:
    return crm.Note(
        customer=customer,
        author_id=refs.associate_users[spec.author],
        store_id=refs.stores[spec.store_code],
        body=spec.body,
        is_pinned=spec.is_pinned,
        created_at=spec.created_at,
    )


def _case(spec, customer, orders, refs: Refs) -> crm.Case:
    return crm.Case(
        customer=customer,
        subject=spec.subject,
        description=spec.description,
        status=spec.status,
        priority=spec.priority,
        channel=spec.channel,
        order=orders[id(spec.order)] if spec.order else None,
        store_id=refs.stores[spec.store_code],
        opened_by_id=refs.associate_users[spec.opened_by],
        assigned_to_id=refs.associate_users[spec.assigned_to],
        opened_at=spec.opened_at,
        due_at=spec.due_at,
        resolved_at=spec.resolved_at,
    )


def demo_logins() -> list[tuple[str, str]]:
    """(username, what they can do) for the logins printed after seeding."""
    described = {
        "store_associate": "store associate at Bottega Milano Brera",
        "contact_center_agent": "contact center agent",
        "crm_manager": "CRM manager, also in the admin",
    }
    logins = [(username, described[role]) for username, role, _, _ in DEMO_LOGINS]
    return logins + [(ADMIN_USERNAME, "superuser, /admin/")]


def save_stock_levels(refs: Refs, today: dt.date, seed: int) -> int:
    """Stock on hand at each physical shop, and, for some of the products the shop's customers
    wished for lately, a delivery since the wish, so the store home has wishes back in stock.
    Run once, after every chunk is saved; returns the number of stock levels."""
    rng = random.Random(f"{seed}:stock")
    now = dt.datetime.combine(today, dt.time(9), tzinfo=dt.UTC)
    shops = dict(
        stores.Store.objects.filter(pk__in=refs.stores.values(), kind=stores.Store.Kind.PHYSICAL)
        .order_by("code")
        .values_list("pk", "code")
    )
    products = sorted(refs.products.values())
    wishes = (
        crm.Interaction.objects.filter(
            kind=crm.Interaction.Kind.WISHLIST,
            customer__home_store__in=shops,
            occurred_at__gte=now - dt.timedelta(days=180),
            occurred_at__lt=now,
        )
        .order_by("occurred_at", "pk")
        .values_list("customer__home_store_id", "payload__sku", "occurred_at")
    )
    delivered = {}
    for shop, sku, wished_at in wishes:
        if sku in refs.products and chance(rng, 0.4):
            delivered[shop, refs.products[sku]] = wished_at + (now - wished_at) * rng.random()
    levels = []
    for shop in shops:
        for product in products:
            back_since = delivered.get((shop, product))
            quantity = rng.choice([0, 0, 1, 2, 3, 4, 6, 10]) if back_since is None else 3
            if back_since is None and quantity:
                back_since = now - dt.timedelta(days=rng.randint(200, 700))
            levels.append(
                stores.StockLevel(
                    store_id=shop,
                    product_id=product,
                    quantity=quantity,
                    in_stock_since=back_since if quantity else None,
                    updated_at=now,
                )
            )
    with transaction.atomic():
        stores.StockLevel.objects.bulk_create(levels, batch_size=2000)
    return len(levels)
