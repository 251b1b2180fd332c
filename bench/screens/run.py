"""Server time of the associate's screens: search as you type and the customer page.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bottega_screens_bench \\
        .venv/bin/python -m bench.screens.run --rounds 200

Runs against a database filled by ``bench.screens.build`` (or the demo), in process, through
Django's test client signed in as a store associate: the time measured is the server's whole
answer (middleware, session, queries, template), without network or browser. Every request
is made once to warm up, then ``--rounds`` times in a shuffled order (each time the best of
``--best-of`` tries); p50 and p95 are printed as a Markdown table, per kind of request. Then
``--typos`` surnames of customers drawn at random are searched with each kind of typo, and
the share found (the customer's surname among the rows the screen shows) is printed per kind.
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
    parser.add_argument(
        "--best-of",
        type=int,
        default=1,
        help="time each request drawn as the best of this many tries (on a machine busy with "
        "other work, what the request costs without waiting for the CPU)",
    )
    parser.add_argument("--typos", type=int, default=200, help="surnames per kind of typo")
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
    # Typos in surnames of six letters or more: what is left is long enough to be forgiven.
    long_surnames = [p["last_name"] for p in people if len(p["last_name"]) >= 6][:15]
    searches = {
        "search: surname": [p["last_name"].lower() for p in people[:15]],
        "search: first name and surname": [
            f"{p['first_name']} {p['last_name']}" for p in people[:15]
        ],
        **{
            f"search: surname, {kind}": [_typo(name, kind, rng) for name in long_surnames]
            for kind in TYPOS
        },
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
        best = float("inf")
        for _try in range(options.best_of):
            started = time.perf_counter()
            status = _get(client, path, params, htmx)
            best = min(best, (time.perf_counter() - started) * 1000)
            assert status in (200, 302), (path, params, status)
        timings[kind].append(best)
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
    found = _typos_found(options.typos, first, customers, rng)
    print("\n| typo in the surname | searches | found | nobody found |")
    print("|---|---:|---:|---:|")
    for kind, (searched, hits, empty) in found.items():
        print(f"| {kind} | {searched} | {hits / searched:.0%} | {empty / searched:.0%} |")
    if options.json:
        with open(options.json, "w") as out:
            json.dump(
                {"customers": customers, "orders": orders, "timings": timings, "typos": found},
                out,
            )


def _typos_found(per_kind: int, first: int, customers: int, rng: random.Random) -> dict:
    """Per kind of typo: how many surnames were searched with one, how many times the
    customer's surname was among the rows the screen shows, how many times nobody was."""
    from crm.models import Customer
    from crm.views.customers import RESULTS_PER_PAGE

    drawn = [first + rng.randrange(customers) for _ in range(per_kind * 3)]
    surnames = [
        name
        for name in Customer.objects.filter(pk__in=drawn).values_list("last_name", flat=True)
        if len(name) >= 6
    ][:per_kind]
    found = {}
    for kind in TYPOS:
        hits = empty = 0
        for name in surnames:
            shown = set(
                Customer.objects.active()
                .search(_typo(name, kind, rng))
                .order_by()
                .values_list("last_name", flat=True)[:RESULTS_PER_PAGE]
            )
            hits += name in shown
            empty += not shown
        found[kind] = (len(surnames), hits, empty)
    return found


def _get(client, path: str, params: dict, htmx: bool) -> int:
    headers = {"HX-Request": "true"} if htmx else {}
    return client.get(path, params, headers=headers).status_code


TYPOS = ("a letter dropped", "a letter doubled", "a letter changed", "two letters swapped")


def _typo(name: str, kind: str, rng: random.Random) -> str:
    """The name in lower case as a hurried associate types it, with one typo of ``kind``
    after its first letter: "ferara", "ferrrara", "fereara", "frerara" for Ferrara."""
    text = name.lower()
    if kind == "two letters swapped":
        pairs = [p for p in range(1, len(text) - 1) if text[p] != text[p + 1]]
        position = rng.choice(pairs)
        return text[:position] + text[position + 1] + text[position] + text[position + 2 :]
    position = rng.randrange(1, len(text))
    if kind == "a letter dropped":
        return text[:position] + text[position + 1 :]
    if kind == "a letter doubled":
        return text[: position + 1] + text[position:]
    other = rng.choice([letter for letter in "abcdefghilmnoprstuvz" if letter != text[position]])
    return text[:position] + other + text[position + 1 :]


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
