import datetime as dt
import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm import review, services
from crm.identity import survivorship
from crm.models import Customer, MatchCandidate, MergeEvent
from tests import factories

pytestmark = pytest.mark.django_db

LONG_AGO = dt.datetime(2023, 2, 1, 9, 0, tzinfo=dt.UTC)
LATELY = dt.datetime(2025, 6, 1, 9, 0, tzinfo=dt.UTC)
EVIDENCE = {
    "score": 11.5,
    "probability": 0.93,
    "rule": "probabilistic",
    "fields": {
        "first_name": {"level": "exact", "weight": 3.25, "left": "maria", "right": "maria"},
        "last_name": {"level": "fuzzy", "weight": 1.75, "left": "rosi", "right": "rossi"},
        "birth_date": {"level": "different", "weight": -4.5, "left": "", "right": ""},
        "email": {"level": "missing", "weight": 0.0, "left": "", "right": ""},
    },
}
_numbers = itertools.count(1)


def person(*, first_name="Maria", last_name="Rossi", created_at=LATELY, source_code="pos"):
    """A customer made from one channel record, its golden record computed."""
    number = next(_numbers)
    customer = factories.CustomerFactory(
        first_name=first_name, last_name=last_name, created_at=created_at
    )
    factories.SourceRecordFactory(
        customer=customer,
        source=factories.source(source_code),
        external_id=f"R{number:05d}",
        email=f"person{number}@example.it",
    )
    survivorship.recompute_golden_record(customer=customer)
    return customer


def doubtful_pair(*, score=0.9, source_code="web", evidence=None):
    """An existing customer, and a newer one matching made for a record it was not sure of."""
    existing = person(created_at=LONG_AGO)
    newcomer = person(last_name="Rosi", source_code=source_code)
    return MatchCandidate.objects.create(
        source_record=newcomer.source_records.get(),
        customer=existing,
        score=score,
        evidence=EVIDENCE if evidence is None else evidence,
    )


@pytest.fixture
def persona(request, staff, agent, manager):
    return {"associate": staff, "agent": agent, "manager": manager}[request.param]


@pytest.mark.parametrize(
    ("persona", "status"),
    [("associate", 403), ("agent", 403), ("manager", 200)],
    indirect=["persona"],
)
def test_only_crm_managers_reach_the_review_queue(client, persona, status):
    doubtful_pair()
    client.force_login(persona)

    assert client.get(reverse("crm:review-queue")).status_code == status
    assert client.get(reverse("crm:review-bulk-accept"), {"min_score": 0.5}).status_code == status


@pytest.mark.parametrize("persona", ["associate", "agent"], indirect=True)
def test_a_store_associate_or_agent_cannot_decide_a_pair(client, persona):
    candidate = doubtful_pair()
    client.force_login(persona)

    response = client.post(
        reverse("crm:review-decide", args=[candidate.pk]), {"decision": "accept"}
    )

    assert response.status_code == 403
    assert MergeEvent.objects.count() == 0


def test_the_queue_shows_the_best_pair_side_by_side_with_its_evidence(client, manager):
    doubtful_pair(score=0.6)
    best = doubtful_pair(score=0.95)
    client.force_login(manager)

    response = client.get(reverse("crm:review-queue"))

    assert response.context["pair"].candidate == best
    page = response.content.decode()
    assert str(best.source_record) in page
    assert 'class="verdict-agree"' in page and "3.25" in page
    assert 'class="verdict-close"' in page and "(fuzzy)" in page
    assert 'class="verdict-differ"' in page and "-4.50" in page
    assert 'class="verdict-missing"' in page
    assert "11.50" in page  # the total score
    assert "Web shop" in page and "Store till" in page  # both sides' records, with channels


def test_each_decision_button_shows_its_keyboard_shortcut(client, manager):
    doubtful_pair()
    client.force_login(manager)

    page = client.get(reverse("crm:review-queue")).content.decode()

    for key in "ars":
        assert f'aria-keyshortcuts="{key}"' in page
        assert f"<kbd>{key}</kbd>" in page
    assert 'document.addEventListener("keyup"' in page


def test_accepting_merges_the_newer_customer_into_the_older_and_records_who(client, manager):
    candidate = doubtful_pair(score=0.9)
    newcomer, existing = candidate.source_record.customer, candidate.customer
    client.force_login(manager)

    response = client.post(
        reverse("crm:review-decide", args=[candidate.pk]), {"decision": "accept"}
    )

    assert response.status_code == 302
    event = MergeEvent.objects.get()
    assert (event.survivor, event.other) == (existing, newcomer)
    assert event.performed_by == manager
    assert event.score == 0.9
    assert event.evidence == EVIDENCE
    candidate.refresh_from_db()
    assert candidate.status == MatchCandidate.Status.ACCEPTED
    assert candidate.decided_by == manager
    assert candidate.decided_at is not None
    assert candidate.source_record.customer == existing
    newcomer.refresh_from_db()
    assert newcomer.merged_into == existing


def test_a_decision_with_htmx_returns_the_next_pair(client, manager):
    first = doubtful_pair(score=0.95)
    second = doubtful_pair(score=0.7)
    client.force_login(manager)

    response = client.post(
        reverse("crm:review-decide", args=[first.pk]),
        {"decision": "reject"},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert page.lstrip().startswith('<div id="review-pair"')
    assert str(second.source_record) in page
    assert str(first.source_record) in page  # named in the notice only
    assert reverse("crm:review-decide", args=[second.pk]) in page
    assert "will not be proposed for this customer again" in page


def test_a_rejected_pair_is_never_proposed_again(client, manager):
    candidate = doubtful_pair()
    client.force_login(manager)

    client.post(reverse("crm:review-decide", args=[candidate.pk]), {"decision": "reject"})
    # Matching proposes pairs this way; the pair is already there, so nothing is inserted.
    MatchCandidate.objects.bulk_create(
        [
            MatchCandidate(
                source_record=candidate.source_record, customer=candidate.customer, score=0.99
            )
        ],
        ignore_conflicts=True,
    )

    candidate.refresh_from_db()
    assert candidate.status == MatchCandidate.Status.REJECTED
    assert candidate.decided_by == manager
    assert not review.open_candidates().exists()
    assert client.get(reverse("crm:review-queue")).context["pair"] is None
    assert MergeEvent.objects.count() == 0


def test_skipping_sends_the_pair_to_the_back_of_the_queue(client, manager):
    best = doubtful_pair(score=0.95)
    middle = doubtful_pair(score=0.8)
    last = doubtful_pair(score=0.6)
    client.force_login(manager)

    client.post(reverse("crm:review-decide", args=[best.pk]), {"decision": "skip"})

    assert list(review.open_candidates()) == [middle, last, best]
    best.refresh_from_db()
    assert best.status == MatchCandidate.Status.SKIPPED
    assert client.get(reverse("crm:review-queue")).context["pair"].candidate == middle


def test_the_longest_skipped_pair_comes_back_first(manager):
    first = doubtful_pair(score=0.95)
    second = doubtful_pair(score=0.8)

    review.skip(candidate=second, by=manager)
    review.skip(candidate=first, by=manager)

    assert list(review.open_candidates()) == [second, first]


def test_the_queue_filters_by_channel_and_score_range(client, manager):
    web_high = doubtful_pair(score=0.95, source_code="web")
    web_low = doubtful_pair(score=0.55, source_code="web")
    app_pair = doubtful_pair(score=0.9, source_code="app")
    client.force_login(manager)

    by_channel = client.get(reverse("crm:review-queue"), {"source": "app"})
    by_score = client.get(
        reverse("crm:review-queue"), {"source": "web", "max_score": "0.6"}, HTTP_HX_REQUEST="true"
    )

    assert by_channel.context["pair"].candidate == app_pair
    assert by_channel.context["counts"]["pending"] == 1
    assert reverse("crm:review-decide", args=[web_low.pk]) in by_score.content.decode()
    assert web_high not in review.open_candidates(source="web", max_score=0.6)


def test_accepting_a_pair_twice_is_refused_with_a_message(client, manager):
    candidate = doubtful_pair()
    client.force_login(manager)
    url = reverse("crm:review-decide", args=[candidate.pk])
    client.post(url, {"decision": "accept"})

    response = client.post(url, {"decision": "accept"}, follow=True)

    assert response.status_code == 200
    assert "already been accepted" in response.content.decode()
    assert MergeEvent.objects.count() == 1


def test_an_unknown_decision_is_a_bad_request(client, manager):
    candidate = doubtful_pair()
    client.force_login(manager)

    response = client.post(reverse("crm:review-decide", args=[candidate.pk]), {"decision": "x"})

    assert response.status_code == 400


def test_accepting_a_pair_already_together_closes_it_without_a_merge(manager):
    candidate = doubtful_pair()
    second_look = MatchCandidate.objects.create(
        source_record=candidate.source_record,
        customer=candidate.source_record.customer,
        score=0.5,
    )
    review.accept(candidate=candidate, by=manager)

    event = review.accept(candidate=second_look, by=manager)

    assert event is None
    assert MergeEvent.objects.count() == 1
    second_look.refresh_from_db()
    assert second_look.status == MatchCandidate.Status.ACCEPTED


def test_bulk_accept_confirms_the_count_then_merges_only_pairs_at_or_above_the_score(
    client, manager
):
    high = doubtful_pair(score=0.95)
    at_threshold = doubtful_pair(score=0.8)
    low = doubtful_pair(score=0.79)
    skipped = doubtful_pair(score=0.99)
    review.skip(candidate=skipped, by=manager)
    client.force_login(manager)

    confirmation = client.get(reverse("crm:review-bulk-accept"), {"min_score": "0.8"})
    response = client.post(reverse("crm:review-bulk-accept"), {"min_score": "0.8"}, follow=True)

    assert confirmation.context["count"] == 2
    assert "Accept 2 pairs" in confirmation.content.decode()
    assert MergeEvent.objects.count() == 2
    statuses = dict(MatchCandidate.objects.values_list("pk", "status"))
    assert statuses[high.pk] == statuses[at_threshold.pk] == MatchCandidate.Status.ACCEPTED
    assert statuses[low.pk] == MatchCandidate.Status.PENDING
    assert statuses[skipped.pk] == MatchCandidate.Status.SKIPPED
    assert set(MergeEvent.objects.values_list("performed_by", flat=True)) == {manager.pk}
    assert "2 pairs accepted, 2 merges made." in response.content.decode()


def test_bulk_accept_reports_a_refused_merge_and_goes_on(client, manager):
    refused = doubtful_pair(score=0.95)
    Customer.objects.filter(pk=refused.customer_id).update(status=Customer.Status.ERASED)
    accepted = doubtful_pair(score=0.9)
    client.force_login(manager)

    response = client.post(reverse("crm:review-bulk-accept"), {"min_score": "0.5"}, follow=True)

    assert response.status_code == 200
    page = response.content.decode()
    assert "1 pairs accepted, 1 merges made." in page
    assert "left open" in page and "erased" in page
    assert MatchCandidate.objects.get(pk=refused.pk).status == MatchCandidate.Status.PENDING
    assert MatchCandidate.objects.get(pk=accepted.pk).status == MatchCandidate.Status.ACCEPTED


def test_bulk_accept_without_a_score_asks_for_one(client, manager):
    client.force_login(manager)

    response = client.post(reverse("crm:review-bulk-accept"), {"min_score": "lots"})

    assert response.status_code == 200
    assert response.context["form"].errors
    assert MergeEvent.objects.count() == 0


def _review_page_queries(client, count: int) -> int:
    MatchCandidate.objects.all().delete()
    for number in range(count):
        doubtful_pair(score=0.5 + number / 100)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("crm:review-queue"))
    assert response.status_code == 200
    return len(queries)


def test_the_review_page_makes_as_many_queries_for_3_pairs_as_for_30(client, manager):
    client.force_login(manager)

    assert _review_page_queries(client, 3) == _review_page_queries(client, 30)


def test_going_back_in_the_browser_gets_the_whole_queue_page(client, manager):
    doubtful_pair()
    client.force_login(manager)

    response = client.get(
        reverse("crm:review-queue"),
        {"source": "web"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_HISTORY_RESTORE_REQUEST="true",
    )

    assert response.content.decode().lstrip().startswith("<!doctype html>")


def test_a_merge_an_associate_proposed_waits_in_the_queue_with_who_proposed_it(
    client, staff, manager
):
    existing = person(created_at=LONG_AGO)
    newcomer = person(first_name="Maria", last_name="Rossi", source_code="web")
    shared = newcomer.source_records.get().email
    services.propose_merge(customer=newcomer, other=existing, value=shared, by=staff)
    client.force_login(manager)

    response = client.get(reverse("crm:review-queue"))

    assert response.context["pair"].customer == existing
    page = response.content.decode()
    assert f"Proposed by {staff.get_username()}" in page
    assert shared in page
