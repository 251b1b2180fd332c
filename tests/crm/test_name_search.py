"""Typo search through the name vocabulary: its variants, the search it serves, keeping it."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm import name_vocabulary, services, tasks
from crm.models import Customer, NameVariant
from tests import factories

# --- Variants -------------------------------------------------------------------------------


def _one_lookup_finds(typed: str, name: str) -> bool:
    """Whether the lookup of the typed word's letters and their deletions reaches the name."""
    letters = name_vocabulary.key(typed)
    looked_up = {letters, *name_vocabulary.deletions(letters)}
    return any(variant in looked_up for variant, _name in name_vocabulary.variants(name))


def test_a_deletion_neighbourhood_is_every_spelling_one_letter_shorter():
    assert name_vocabulary.deletions("rossi") == {"ossi", "rssi", "rosi", "ross"}


@pytest.mark.parametrize(
    ("name", "letters"),
    [
        ("De Santis", "desantis"),
        ("D’Amico", "damico"),
        ("Niccolò", "niccolo"),
        ("ANNA-MARIA", "annamaria"),
    ],
)
def test_a_name_is_compared_by_its_letters_accents_case_and_punctuation_aside(name, letters):
    assert name_vocabulary.key(name) == letters


@pytest.mark.parametrize(
    "typed",
    ["ferara", "ferrrara", "fereara", "frerara", "ferrara", "FERRARA"],
    ids=["dropped", "added", "changed", "swapped", "as spelled", "in capitals"],
)
def test_one_typo_of_each_kind_shares_a_variant_with_the_name(typed):
    assert _one_lookup_finds(typed, "Ferrara")


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("damico", "D'Amico"),
        ("d’amicco", "D'Amico"),
        ("nicolo", "Niccolò"),
        ("NICCOLÒ", "Niccolò"),
        ("dell'aqua", "Dell'Acqua"),
        ("desantis", "De Santis"),
        ("santiss", "De Santis"),  # a typo in one word of a name typed apart
    ],
)
def test_accents_apostrophes_and_spaces_do_not_count_as_typos(typed, name):
    assert _one_lookup_finds(typed, name)


def test_two_typos_share_no_variant():
    assert not _one_lookup_finds("forrari", "Ferrara")  # two letters changed
    assert not _one_lookup_finds("frara", "Ferrara")  # two letters dropped
    assert not _one_lookup_finds("fearar", "Ferrara")  # a letter dropped, another added


def test_a_name_of_several_words_is_also_each_word():
    assert name_vocabulary.entries("De Santis") == {"De Santis", "Santis"}
    assert name_vocabulary.entries("Dell'Acqua") == {"Dell'Acqua", "Dell", "Acqua"}
    assert name_vocabulary.entries("Ugo") == set()  # too short to be typed with a typo


@pytest.mark.django_db
def test_names_near_checks_the_distance_after_the_lookup():
    name_vocabulary.add_names(names=["Bianchi", "Ferrara"])

    # "ianchix" and "bianchi" share "ianchi", yet are two edits apart.
    near = name_vocabulary.names_near(["ianchix", "ferara", "zzzzz"])

    assert {
        word: [name_vocabulary.key(name) for name in names] for word, names in near.items()
    } == {"ferara": ["ferrara"]}


@pytest.mark.django_db
def test_a_word_that_is_a_name_is_not_widened_to_its_neighbours():
    name_vocabulary.add_names(names=["Mario", "Maria", "Dario"])

    near = name_vocabulary.names_near(["mario", "marip"])

    assert [name_vocabulary.key(name) for name in near["mario"]] == ["mario"]
    assert [name_vocabulary.key(name) for name in near["marip"]] == ["maria", "mario"]


@pytest.mark.django_db
def test_words_typed_apart_are_one_name_when_together_they_are_near_it():
    name_vocabulary.add_names(names=["Marta", "De Luca", "Luca", "Ferrara"])

    found = name_vocabulary.segments(["marta", "de", "lca", "ferara"])

    assert [(text, [name_vocabulary.key(name) for name in names]) for text, names in found] == [
        ("marta", ["marta"]),
        ("de lca", ["deluca"]),
        ("ferara", ["ferrara"]),
    ]


@pytest.mark.django_db
def test_words_that_are_names_as_typed_stay_apart():
    name_vocabulary.add_names(names=["Marta", "Luca", "Martaluca"])

    found = name_vocabulary.segments(["marta", "luca", "zz"])

    assert [text for text, _names in found] == ["marta", "luca", "zz"]


@pytest.mark.django_db
def test_adding_names_twice_adds_them_once():
    name_vocabulary.add_names(names=["Ferrara", "De Santis", "", "  "])
    rows = NameVariant.objects.count()

    name_vocabulary.add_names(names=["Ferrara", "De Santis"])

    assert NameVariant.objects.count() == rows
    assert rows == len(name_vocabulary.variants("ferrara") | name_vocabulary.variants("de santis"))


# --- Search ---------------------------------------------------------------------------------


@pytest.fixture
def surnames(db):
    """Customers with surnames a typo away from others, and the vocabulary refreshed."""
    people = {
        last_name: factories.CustomerFactory(first_name=first_name, last_name=last_name)
        for first_name, last_name in [
            ("Giulia", "Ferrara"),
            ("Marco", "Ferrari"),
            ("Paolo", "Esposito"),
            ("Anna", "De Santis"),
            ("Luca", "Santi"),
            ("Niccolò", "Dell'Acqua"),
            ("Sara", "D'Amico"),
            ("Marta", "De Luca"),
            ("Luca", "Fedele"),
        ]
    }
    tasks.refresh_name_vocabulary()
    return people


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("ferara", "Ferrara"),
        ("ferrrara", "Ferrara"),
        ("fereara", "Ferrara"),
        ("frerara", "Ferrara"),
        ("giulia ferara", "Ferrara"),
        ("espoito", "Esposito"),
        ("esposiot", "Esposito"),
        ("desantis", "De Santis"),
        ("de santiss", "De Santis"),
        ("anna desanti", "De Santis"),
        ("nicolo dell'aqua", "Dell'Acqua"),
        ("damico", "D'Amico"),
        ("de lca", "De Luca"),  # words too short to forgive a typo alone
        ("dee luca", "De Luca"),
        ("marta del uca", "De Luca"),  # the space misplaced
    ],
)
def test_a_typo_finds_the_customer_and_no_one_else(surnames, typed, found):
    assert list(Customer.objects.search(typed)) == [surnames[found]]


def test_a_typo_in_one_word_still_needs_the_other_words(surnames):
    assert list(Customer.objects.search("marco ferara")) == []


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("ma ferrari", ["Ferrari"]),
        ("co ferrari", []),  # the end of Marco
        ("am sara", ["D'Amico"]),  # after the apostrophe
        ("l fedele", ["Fedele"]),
        ("ri ferrari", []),  # the end of Ferrari, typo search or not
    ],
)
def test_a_word_of_one_or_two_letters_must_begin_a_word_of_the_name(surnames, typed, found):
    assert list(Customer.objects.search(typed)) == [surnames[name] for name in found]


def test_a_typo_search_makes_three_queries_and_reads_no_trigram_similarity(surnames):
    with CaptureQueriesContext(connection) as captured:
        found = list(Customer.objects.active().search("frerara").order_by()[:26])

    assert found == [surnames["Ferrara"]]
    # As typed (nobody), the vocabulary, the customers holding the names it found.
    assert len(captured) == 3
    assert not any("<%" in query["sql"] for query in captured)


def test_a_name_not_in_the_vocabulary_yet_is_still_forgiven_a_typo(surnames):
    pellegrini = factories.CustomerFactory(first_name="Ada", last_name="Pellegrini")

    assert list(Customer.objects.search("pelegrini")) == [pellegrini]


def test_the_search_screen_finds_a_customer_typed_with_a_typo(client, staff, surnames):
    client.force_login(staff)

    response = client.get(reverse("crm:customer-list"), {"q": "espoito"}, HTTP_HX_REQUEST="true")

    body = response.content.decode()
    assert response.status_code == 200
    assert "Esposito" in body and "Ferrara" not in body


# --- Keeping it current ---------------------------------------------------------------------


def _keys() -> set[str]:
    return {
        name_vocabulary.key(name) for name in NameVariant.objects.values_list("name", flat=True)
    }


@pytest.mark.django_db
def test_the_refresh_task_adds_new_names_and_drops_names_nobody_holds():
    factories.CustomerFactory(first_name="Giulia", last_name="Ferrara")
    gone = factories.CustomerFactory(first_name="Ottavio", last_name="Zanardelli")

    first = tasks.refresh_name_vocabulary()
    again = tasks.refresh_name_vocabulary()
    Customer.objects.filter(pk=gone.pk).update(status=Customer.Status.ERASED)
    factories.CustomerFactory(first_name="Giulia", last_name="Espositi")
    after_erasure = tasks.refresh_name_vocabulary()

    assert first == {"added": 4, "dropped": 0}
    assert again == {"added": 0, "dropped": 0}
    assert after_erasure == {"added": 1, "dropped": 2}
    assert _keys() == {"giulia", "ferrara", "espositi"}


@pytest.mark.django_db
def test_registering_a_customer_puts_the_names_in_the_vocabulary(staff):
    services.register_customer(
        first_name="Gianmarco", last_name="De Pellegrino", phone="347 555 0101", by=staff
    )

    assert _keys() == {"gianmarco", "depellegrino", "pellegrino"}
    assert [
        name_vocabulary.key(n) for n in name_vocabulary.names_near(["pelegrino"])["pelegrino"]
    ] == ["pellegrino"]
