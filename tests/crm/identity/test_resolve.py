import datetime as dt
import io

import pytest
from django.core.management import call_command

from crm.identity import model_store, resolve
from crm.models import Customer, HubIdentifier, MatchCandidate, MatchKey, MatchModel, SourceRecord
from tests import factories
from tests.crm.identity.test_scoring import distinct_people

pytestmark = pytest.mark.django_db

GIUSEPPE = {
    "first_name": "Giuseppe",
    "last_name": "Esposito",
    "email": "g.esposito@example.it",
    "phone": "+393471234567",
    "birth_date": dt.date(1980, 5, 17),
    "street": "Via Roma 12",
    "postcode": "80121",
    "city": "Napoli",
}


@pytest.fixture(autouse=True)
def fresh_model_cache():
    model_store.forget_cached_model()
    yield
    model_store.forget_cached_model()


def record(external_id: str, source: str = "pos", **values) -> SourceRecord:
    return SourceRecord(source=factories.source(source), external_id=external_id, **values)


def resolve_one_by_one(*records: SourceRecord) -> list[resolve.ResolutionCounts]:
    return [resolve.resolve_records(records=[each]) for each in records]


def test_a_typo_d_record_links_probabilistically_with_its_evidence():
    existing = record("P1", **GIUSEPPE)
    typo = record(
        "W1",
        source="web",
        first_name="Giusepe",
        last_name="Esposito",
        birth_date=dt.date(1980, 5, 17),
        street="Via Roma, 12",
        postcode="80121",
        city="Napoli",
    )

    counts = resolve_one_by_one(existing, typo)

    typo.refresh_from_db()
    assert typo.customer_id == existing.customer_id
    assert typo.match_rule == SourceRecord.MatchRule.PROBABILISTIC
    assert typo.match_score >= 0.999
    assert typo.match_evidence["fields"]["first_name"]["level"] == "close"
    assert typo.match_evidence["fields"]["birth_date"]["level"] == "exact"
    assert typo.match_evidence["rule"] == "probabilistic"
    assert (counts[1].linked, counts[1].new) == (1, 0)


def test_a_doubtful_record_becomes_a_new_customer_and_goes_to_review():
    existing = record("P1", **GIUSEPPE)
    doubtful = record("S1", source="social", first_name="Giuseppe", last_name="Esposito")
    doubtful.city = "Napoli"

    counts = resolve_one_by_one(existing, doubtful)

    doubtful.refresh_from_db()
    assert doubtful.customer_id != existing.customer_id
    assert doubtful.match_rule == SourceRecord.MatchRule.NEW
    candidate = MatchCandidate.objects.get()
    assert (candidate.source_record, candidate.customer_id) == (doubtful, existing.customer_id)
    assert candidate.status == MatchCandidate.Status.PENDING
    assert 0.5 <= candidate.score < 0.999
    assert candidate.evidence["fields"]["last_name"]["level"] == "exact"
    assert counts[1].review == 1


def test_a_rejected_pair_is_neither_linked_nor_proposed_again():
    existing = record("P1", **GIUSEPPE)
    resolve.resolve_records(records=[existing])
    # A record waiting for a customer, whose pair with Giuseppe a manager already rejected.
    waiting = record("W1", source="web", **{**GIUSEPPE, "email": "", "phone": ""})
    waiting.save()
    MatchCandidate.objects.create(
        source_record=waiting,
        customer_id=existing.customer_id,
        score=0.7,
        status=MatchCandidate.Status.REJECTED,
    )

    resolve.resolve_records(records=[waiting])

    waiting.refresh_from_db()
    assert waiting.customer_id != existing.customer_id
    assert MatchCandidate.objects.get().status == MatchCandidate.Status.REJECTED


def test_a_rejected_pair_is_not_proposed_again_when_the_file_comes_back(tmp_path):
    from tests.crm.imports.conftest import PEOPLE_HEADER, run, write_csv

    first = {
        "external_id": "P1",
        "first_name": "Giuseppe",
        "last_name": "Esposito",
        "birth_date": "17/05/1980",
        "postcode": "80121",
        "city": "Napoli",
    }
    doubtful = {"external_id": "S1", "first_name": "Giuseppe", "last_name": "Esposito"}
    doubtful["city"] = "Napoli"
    run(write_csv(tmp_path / "pos.csv", PEOPLE_HEADER, [first]))
    run(write_csv(tmp_path / "social.csv", PEOPLE_HEADER, [doubtful]), source="social")
    MatchCandidate.objects.update(status=MatchCandidate.Status.REJECTED)

    again = run(
        write_csv(tmp_path / "social2.csv", PEOPLE_HEADER, [{**doubtful, "street": "Via Po 1"}]),
        source="social",
    )

    assert again.sent_to_review == 0
    assert MatchCandidate.objects.get().status == MatchCandidate.Status.REJECTED
    assert Customer.objects.count() == 2


def test_family_members_sharing_a_landline_and_an_e_mail_stay_two_customers():
    home = {
        "last_name": "Rossi",
        "email": "famiglia.rossi@example.it",
        "phone": "+390612345678",
        "street": "Via Appia 5",
        "postcode": "00179",
        "city": "Roma",
    }
    maria = record("P1", first_name="Maria", birth_date=dt.date(1962, 3, 1), **home)
    giovanni = record("P2", first_name="Giovanni", birth_date=dt.date(1960, 7, 9), **home)
    son = record("W1", source="web", first_name="Luca", **home)

    resolve_one_by_one(maria, giovanni)
    resolve.resolve_records(records=[son])

    customers = {maria.customer_id, giovanni.customer_id, son.customer_id}
    assert len(customers) == 3
    assert not SourceRecord.objects.exclude(match_rule=SourceRecord.MatchRule.NEW).exists()


def test_a_shared_mobile_links_the_same_person_but_not_a_namesake_born_elsewhere():
    anna = record("P1", first_name="Anna", last_name="Greco", phone="+393331112223")
    again = record("W1", source="web", first_name="ANNA", last_name="Greco", phone="+393331112223")
    other = record(
        "A1",
        source="app",
        first_name="Anna",
        last_name="Russo",
        phone="+393331112223",
        birth_date=dt.date(1990, 1, 1),
    )

    resolve_one_by_one(anna, again, other)

    again.refresh_from_db()
    assert again.customer_id == anna.customer_id
    assert again.match_rule == SourceRecord.MatchRule.STRONG
    assert again.match_evidence["identifiers"] == [{"kind": "phone", "value": "+393331112223"}]
    assert other.customer_id != anna.customer_id


def test_a_hub_value_never_links():
    HubIdentifier.objects.create(kind="email", value="noemail@negozio.it", people_count=40)
    first = record("P1", first_name="Marco", last_name="Bruno", email="noemail@negozio.it")
    second = record("P2", first_name="Marco", last_name="Bruno", email="noemail@negozio.it")

    resolve_one_by_one(first, second)

    assert first.customer_id != second.customer_id


@pytest.mark.parametrize("other_hubs", [0, 10])  # the hub table read whole, or by value
def test_a_recorded_hub_value_never_links_in_a_batch(other_hubs):
    HubIdentifier.objects.create(kind="email", value="noemail@negozio.it", people_count=40)
    for n in range(other_hubs):
        HubIdentifier.objects.create(kind="phone", value=f"+39020000{n:04d}", people_count=9)
    first = record("P1", first_name="Marco", last_name="Bruno", email="noemail@negozio.it")
    second = record(
        "P2",
        first_name="Marco",
        last_name="Bruno",
        email="noemail@negozio.it",
        phone="+393471112220",
    )

    counts = resolve.resolve_records(records=[first, second])

    assert counts.linked == 0
    assert first.customer_id != second.customer_id


def test_a_value_held_by_many_people_in_one_batch_becomes_a_hub():
    names = ["Anna", "Bruno", "Carla", "Dario", "Elena"]
    records = [
        record(f"P{n}", first_name=name, last_name="Neri", phone="+390299999999")
        for n, name in enumerate(names)
    ]

    counts = resolve.resolve_records(records=records)

    assert counts.new == 5
    assert HubIdentifier.objects.filter(kind="phone", value="+390299999999").exists()


def test_thresholds_come_from_the_settings(settings):
    existing = record("P1", **GIUSEPPE)
    resolve.resolve_records(records=[existing])
    settings.BOTTEGA_MATCH_LINK_THRESHOLD = 0.6
    settings.BOTTEGA_MATCH_REVIEW_THRESHOLD = 0.3
    doubtful = record("S1", source="social", first_name="Giuseppe", last_name="Esposito")
    doubtful.city = "Napoli"

    resolve.resolve_records(records=[doubtful])

    assert doubtful.customer_id == existing.customer_id
    assert doubtful.match_rule == SourceRecord.MatchRule.PROBABILISTIC


def test_a_review_threshold_above_the_score_makes_a_plain_new_customer(settings):
    settings.BOTTEGA_MATCH_REVIEW_THRESHOLD = 0.99
    existing = record("P1", **GIUSEPPE)
    doubtful = record("S1", source="social", first_name="Giuseppe", last_name="Esposito")
    doubtful.city = "Napoli"

    counts = resolve_one_by_one(existing, doubtful)

    assert counts[1].new == 1 and counts[1].review == 0
    assert not MatchCandidate.objects.exists()


def test_records_of_one_batch_are_resolved_against_each_other():
    first = record("P1", **GIUSEPPE)
    second = record("P2", **{**GIUSEPPE, "email": "", "first_name": "Giusepe"})

    counts = resolve.resolve_records(records=[first, second])

    assert first.customer_id == second.customer_id
    assert (counts.new, counts.linked) == (1, 1)


def test_two_existing_customers_are_never_merged_by_a_new_record():
    anna = record("P1", first_name="Anna", last_name="Greco", email="anna@example.it")
    marta = record("P2", first_name="Marta", last_name="Greco", phone="+393331112223")
    resolve_one_by_one(anna, marta)
    both = record(
        "W1",
        source="web",
        first_name="Anna",
        last_name="Greco",
        email="anna@example.it",
        phone="+393331112223",
    )

    resolve.resolve_records(records=[both])

    assert both.customer_id == anna.customer_id
    assert SourceRecord.objects.filter(customer=marta.customer_id).count() == 1


def test_blocking_keys_are_written_for_new_records_and_replaced_when_a_record_changes():
    giuseppe = record("P1", **GIUSEPPE)
    resolve.resolve_records(records=[giuseppe])
    before = set(MatchKey.objects.values_list("key", flat=True))

    giuseppe.postcode = "20121"
    giuseppe.save()
    resolve.resolve_records(records=[giuseppe])

    after = set(MatchKey.objects.values_list("key", flat=True))
    assert before and after and before != after
    assert after == set(resolve.record_keys(resolve.person_record(giuseppe)))


def test_resolve_one_tells_who_a_record_is_without_writing():
    existing = record("P1", **GIUSEPPE)
    resolve.resolve_records(records=[existing])
    form = record("F1", source="web", **{**GIUSEPPE, "email": "", "phone": ""})
    form.first_name = "Giusepe"

    decision = resolve.resolve_one(record=form)

    assert (decision.action, decision.customer_id) == (resolve.LINK, existing.customer_id)
    assert decision.rule == SourceRecord.MatchRule.PROBABILISTIC
    assert decision.evidence["fields"]["birth_date"]["level"] == "exact"
    assert SourceRecord.objects.count() == 1
    assert resolve.resolve_one(record=record("F2", first_name="Nadia")).action == resolve.NEW


def test_without_a_trained_model_the_prior_model_is_used_and_training_stores_one():
    assert model_store.stored_model() is None
    assert model_store.current_model().records == 0

    people = [
        resolve.person_record(record(f"P{n}", first_name="Anna", last_name=f"Neri{n % 50}"))
        for n in range(300)
    ]
    trained = model_store.train_from_records(people, resolve.match_config())

    assert MatchModel.objects.get().records == 300
    assert model_store.current_model().pk == trained.pk
    assert set(trained.model.m) == {spec.name for spec in trained.model.fields}


def test_a_model_trained_where_em_finds_no_people_keeps_the_prior_m():
    trained = model_store.train_from_records(distinct_people(1000), resolve.match_config())

    stored = model_store.stored_model()
    assert stored.pk == trained.pk
    assert stored.model.m_origin == "fallback"
    assert stored.model.m == model_store.prior_model().model.m


def test_train_identity_model_says_when_it_kept_the_prior_m():
    for n, person in enumerate(distinct_people(300)):
        values = {name: getattr(person, name) for name in ("first_name", "last_name", "email")}
        record(f"D{n}", birth_date=dt.date.fromisoformat(person.birth_date), **values).save()
    out = io.StringIO()

    call_command("train_identity_model", stdout=out)

    assert "the prior m are kept" in out.getvalue()
    assert model_store.stored_model().model.m_origin == "fallback"


def test_the_prior_needs_more_evidence_in_a_larger_population():
    stored = model_store.prior_model()

    small = model_store.prior_weight(stored, 1_000)
    large = model_store.prior_weight(stored, 1_000_000)

    assert small == model_store.prior_weight(stored, model_store.MIN_POPULATION)
    assert large < small - 6  # a hundred times the people: log2(100) bits


def test_train_identity_model_rewrites_keys_and_stores_a_model():
    for n in range(40):
        factories.SourceRecordFactory(external_id=f"P{n}")
    out = io.StringIO()

    call_command("train_identity_model", keys=True, stdout=out)

    assert "Blocking keys written for 40 records." in out.getvalue()
    assert MatchKey.objects.values("source_record").distinct().count() == 40
    assert MatchModel.objects.get().records == 40


def test_a_record_without_a_kept_phone_kind_is_read_as_its_number_says_until_one_is_kept():
    mobile = factories.SourceRecordFactory(external_id="M", phone="+393471234567")
    landline = factories.SourceRecordFactory(external_id="L", phone="+390212345678")
    assert SourceRecord.objects.filter(phone_kind=None).count() == 2
    assert resolve.person_record(mobile).phone_kind == "mobile"

    call_command("train_identity_model", keys=True, stdout=io.StringIO())

    kinds = dict(SourceRecord.objects.values_list("external_id", "phone_kind"))
    assert kinds == {"M": "mobile", "L": "landline"}
    assert resolve.person_record(SourceRecord.objects.get(pk=landline.pk)).phone_kind == "landline"


def test_a_key_held_by_more_records_than_the_block_limit_finds_nobody(monkeypatch):
    crowd = [record(f"R{n}", first_name="Anna", last_name=f"Rossi{n}") for n in range(5)]
    pair = [record(f"B{n}", first_name="Ugo", last_name=f"Bassi{n}") for n in range(2)]
    resolve.resolve_records(records=crowd + pair)
    common, rare = 111, 222
    MatchKey.objects.bulk_create(
        [MatchKey(key=common, source_record=r) for r in crowd]
        + [MatchKey(key=rare, source_record=r) for r in pair]
    )
    monkeypatch.setattr(resolve, "DB_BLOCK_LIMIT", 4)

    found = resolve._key_holders({common, rare})

    assert sorted(found) == sorted((r.pk, r.customer_id) for r in pair)
    monkeypatch.setattr(resolve, "DB_BLOCK_LIMIT", 5)
    assert len(resolve._key_holders({common, rare})) == 7


def test_a_model_trained_on_a_capped_sample_waits_for_the_population_to_double(monkeypatch):
    monkeypatch.setattr(model_store, "TRAIN_MAX_RECORDS", 30)
    monkeypatch.setattr(model_store, "TRAIN_MIN_RECORDS", 10)
    for n in range(100):
        factories.SourceRecordFactory(external_id=f"P{n}", last_name=f"Neri{n % 20}")

    trained = resolve.train_on_database()

    assert (trained.records, trained.population) == (30, 100)
    assert MatchModel.objects.get().population == 100
    assert not model_store.needs_training(199)  # 199 ≥ 2 × 30 read, but not 2 × 100 seen
    assert model_store.needs_training(200)
