"""Bottega's Italian stays whole: every message of the catalogue is translated, none is left
fuzzy (gettext ignores a fuzzy translation, so the screen would quietly show English), each
translation keeps its msgid's placeholders (a lost or renamed one raises a KeyError at
render time), and the compiled catalogue says what the .po says."""

import ast
import gettext
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from crm.models import MatchCandidate
from stores.models import UserSettings
from tests import factories

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "it" / "LC_MESSAGES" / "django.po"

# A printf placeholder as Python's % operator reads it: %(name)s, %d, %.2f; "%%" is a percent sign.
PLACEHOLDER = re.compile(r"%(?:\(\w+\))?[-#0 +]*(?:\d+|\*)?(?:\.\d+)?[diouxXeEfFgGcrsa%]")


@dataclass
class Message:
    line: int
    context: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)  # plural form (0 when none) → text
    flags: set[str] = field(default_factory=set)

    def __str__(self) -> str:
        context = f"[{self.context}] " if self.context else ""
        return f"line {self.line}: {context}{self.msgid!r}"


def read_po(text: str) -> list[Message]:
    """The messages of a .po file, as gettext reads them (obsolete "#~" entries are skipped).

    An entry is its comments, then msgctxt, msgid, msgid_plural and msgstr (or msgstr[n]),
    each a string that may go on over several quoted lines."""
    messages: list[Message] = []
    current: Message | None = None
    target: tuple[str, int] | None = None  # the field the next quoted line continues

    def start(number: int) -> Message:
        message = Message(line=number)
        messages.append(message)
        return message

    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#~"):
            target = None
            continue
        if line.startswith("#"):
            if current is None or current.msgstr:  # comments open the next entry
                current = start(number)
            if line.startswith("#,"):
                current.flags.update(flag.strip() for flag in line[2:].split(","))
            target = None
            continue
        keyword, _, rest = line.partition(" ")
        if keyword.startswith('"'):
            keyword, rest = "", line
        if keyword in ("msgctxt", "msgid") and (current is None or current.msgstr):
            current = start(number)
        if keyword == "msgctxt":
            target = ("context", 0)
        elif keyword == "msgid":
            target = ("msgid", 0)
        elif keyword == "msgid_plural":
            target = ("msgid_plural", 0)
        elif keyword.startswith("msgstr"):
            form = int(keyword[7:-1]) if keyword.startswith("msgstr[") else 0
            target = ("msgstr", form)
        elif keyword:
            raise ValueError(f"line {number}: unexpected {keyword!r}")
        if current is None or target is None:
            raise ValueError(f"line {number}: a string outside any entry")
        _append(current, target, ast.literal_eval(rest))
    return messages


def _append(message: Message, target: tuple[str, int], text: str) -> None:
    name, form = target
    if name == "msgstr":
        message.msgstr[form] = message.msgstr.get(form, "") + text
    else:
        setattr(message, name, (getattr(message, name) or "") + text)


def plural_forms(header: Message) -> int:
    match = re.search(r"nplurals\s*=\s*(\d+)", header.msgstr.get(0, ""))
    return int(match.group(1)) if match else 1


def placeholders(text: str) -> Counter:
    return Counter(token for token in PLACEHOLDER.findall(text) if token != "%%")


def problems(messages: list[Message]) -> list[str]:
    """What keeps a catalogue from being whole, one line per message and reason."""
    header = next((m for m in messages if m.msgid == "" and m.context is None), None)
    nplurals = plural_forms(header) if header else 1
    found = []
    for message in messages:
        if "fuzzy" in message.flags:  # msgfmt leaves out a fuzzy header too: charset, plural rule
            found.append(f"{message}: fuzzy")
        if message is header:
            continue
        if message.msgid_plural is None:
            expected = {0: message.msgid}
        else:
            expected = dict.fromkeys(range(nplurals), message.msgid_plural) | {0: message.msgid}
        if not all(message.msgstr.get(form) for form in expected):
            found.append(f"{message}: untranslated")
            continue
        for form, source in expected.items():
            if placeholders(message.msgstr[form]) != placeholders(source):
                found.append(f"{message}: msgstr[{form}] changes the placeholders")
    return found


@pytest.fixture(scope="module")
def italian() -> list[Message]:
    return read_po(CATALOGUE.read_text(encoding="utf-8"))


def test_every_italian_message_is_translated_kept_whole_and_not_fuzzy(italian):
    assert problems(italian) == []


def test_the_check_finds_each_way_a_translation_goes_wrong():
    catalogue = read_po(
        r"""msgid ""
msgstr ""
"Language: it\n"
"Plural-Forms: nplurals=2; plural=(n != 1);\n"

#: templates/crm/console.html:5
msgid "CRM console"
msgstr "Console CRM"

msgid "Skip for now"
msgstr ""

#, fuzzy
#| msgid "Review"
msgctxt "queue"
msgid "Review queue"
msgstr "Recensione"

#, python-format
msgid "Back to %(customer)s"
msgstr "Torna a %(cliente)s"

#, python-format
msgid "%(counter)s pair"
msgid_plural "%(counter)s pairs"
msgstr[0] "%(counter)s coppia"
msgstr[1] ""

#, python-format
msgid ""
"%(pending)s waiting, "
"%(skipped)s skipped"
msgstr "%(pending)s in attesa, %(skipped)d saltate, 100%% verificate"

#~ msgid "Gone"
#~ msgstr ""
"""
    )

    assert problems(catalogue) == [
        "line 10: 'Skip for now': untranslated",
        "line 13: [queue] 'Review queue': fuzzy",
        "line 19: 'Back to %(customer)s': msgstr[0] changes the placeholders",
        "line 23: '%(counter)s pair': untranslated",
        "line 29: '%(pending)s waiting, %(skipped)s skipped': msgstr[0] changes the placeholders",
    ]


def test_the_compiled_catalogue_says_what_the_po_says(italian):
    """Forgetting compilemessages would leave the screens with the .mo's older words."""
    with CATALOGUE.with_suffix(".mo").open("rb") as compiled:
        translations = gettext.GNUTranslations(compiled)
    stale = []
    for message in italian:
        if not message.msgid or "fuzzy" in message.flags:
            continue
        for form, expected in message.msgstr.items():
            if not expected:
                continue  # untranslated: the first test names it
            count = 1 if form == 0 else 2  # Italian: the singular, then the plural
            if message.msgid_plural is None:
                found = (
                    translations.pgettext(message.context, message.msgid)
                    if message.context
                    else translations.gettext(message.msgid)
                )
            elif message.context:
                found = translations.npgettext(
                    message.context, message.msgid, message.msgid_plural, count
                )
            else:
                found = translations.ngettext(message.msgid, message.msgid_plural, count)
            if found != expected:
                stale.append(str(message))

    assert stale == []


def test_a_manager_who_chose_italian_works_the_review_queue_in_italian(client, manager):
    UserSettings.objects.create(user=manager, language="it")
    existing = factories.CustomerFactory(first_name="Maria", last_name="Rossi")
    record = factories.SourceRecordFactory(
        source=factories.source("web"), first_name="Maria", last_name="Rosi"
    )
    MatchCandidate.objects.create(source_record=record, customer=existing, score=0.9)
    client.force_login(manager)

    page = client.get(reverse("crm:review-queue")).content.decode()

    assert "<h1>Coda di verifica</h1>" in page
    assert "Accetta: stessa persona" in page  # the pair's own partial, too
    assert "Review queue" not in page
