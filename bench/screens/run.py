"""Server time of the associate's screens: search as you type and the customer page.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bottega_screens_bench \\
        .venv/bin/python -m bench.screens.run --rounds 200

Runs against a database filled by ``bench.screens.build`` (or the demo), in process, through
Django's test client signed in as a store associate: the time measured is the server's whole
answer (middleware, session, queries, template), without network or browser. Every request
is made once to warm up, then ``--rounds`` times in a shuffled order; p50 and p95 are printed as
a Markdown table, per kind of request.
"""

import argparse
import json
import os
import platform
import random
import statistics
import time
from collections import defaultdict


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--json", help="also write the timings here")
    options = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost")
    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    from crm.models import Customer, Identity, Order

    client = Client()
    client.force_login(_associate())
    rng = random.Random(42)
    customers = Customer.objects.count()
    orders = Order.objects.count()
    first = Customer.objects.order_by("pk").values_list("pk", flat=True).first()
    sample = [first + rng.randrange(customers) for _ in range(50)]
    cards = list(
        Identity.objects.filter(kind="loyalty_card", customer__in=sample).values_list(
            "value", flat=True
        )[:10]
    )
    people = list(
        Customer.objects.filter(pk__in=sample).values("first_name", "last_name", "phone", "email")
    )
    searches = {
        "search: surname": [p["last_name"].lower() for p in people[:15]],
        "search: first name and surname": [
            f"{p['first_name']} {p['last_name']}" for p in people[:15]
        ],
        "search: surname with a typo": [_typo(p["last_name"], rng) for p in people[15:30]],
        "search: phone as typed": [_spaced(p["phone"]) for p in people[:15]],
        "search: e-mail": [p["email"].upper() for p in people[:15]],
        "search: loyalty card": cards,
    }
    requests = [
        (kind, "/customers/", {"q": text}, True)
        for kind, texts in searches.items()
        for text in texts
    ]
    requests += [("customer page", f"/customers/{pk}/", {}, False) for pk in sample[:30]]
    requests += [("customer page, 1,000 orders", f"/customers/{first}/", {}, False)]
    requests += [
        ("suggestions panel", f"/campaigns/suggestions/{pk}/", {}, True) for pk in sample[:20]
    ]
    timings: dict[str, list[float]] = defaultdict(list)
    for _kind, path, params, htmx in requests:  # warm-up: caches, connections, templates
        _get(client, path, params, htmx)
    plan = [rng.choice(requests) for _ in range(options.rounds * 3)]
    for kind, path, params, htmx in plan:
        started = time.perf_counter()
        status = _get(client, path, params, htmx)
        timings[kind].append((time.perf_counter() - started) * 1000)
        assert status in (200, 302), (path, params, status)
    print(
        f"{customers:,} customers, {orders:,} orders · {connection.vendor} · "
        f"{platform.processor() or platform.machine()} · {len(plan)} requests\n"
    )
    print("| request | n | p50 ms | p95 ms |")
    print("|---|---:|---:|---:|")
    for kind in [*searches, "customer page", "customer page, 1,000 orders", "suggestions panel"]:
        values = sorted(timings[kind])
        if values:
            p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
            print(f"| {kind} | {len(values)} | {statistics.median(values):.1f} | {p95:.1f} |")
    if options.json:
        with open(options.json, "w") as out:
            json.dump({"customers": customers, "orders": orders, "timings": timings}, out)


def _get(client, path: str, params: dict, htmx: bool) -> int:
    headers = {"HX-Request": "true"} if htmx else {}
    return client.get(path, params, headers=headers).status_code


def _typo(name: str, rng: random.Random) -> str:
    """The name with one letter dropped, as a hurried associate types it."""
    if len(name) < 5:
        return name.lower()
    position = rng.randrange(2, len(name) - 1)
    return (name[:position] + name[position + 1 :]).lower()


def _spaced(phone: str) -> str:
    """+393471234567 as people say it: 347 123 4567."""
    national = phone.removeprefix("+39")
    return f"{national[:3]} {national[3:6]} {national[6:]}"


def _associate():
    from django.contrib.auth import get_user_model

    from stores import roles
    from stores.models import Associate, Store

    user, _created = get_user_model().objects.get_or_create(username="bench-associate")
    if not hasattr(user, "associate"):
        associate = Associate.objects.create(
            user=user, store=Store.objects.order_by("pk").first(), code="bench-associate"
        )
        roles.assign_role_group(associate)
    return user


if __name__ == "__main__":
    main()
