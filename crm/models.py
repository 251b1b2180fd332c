"""The customer: golden record, channel records, identities, history, consent.

The golden record (Customer) is derived from the channel records (SourceRecord) linked to it.
Everything a channel said is kept on its SourceRecord, and the orders and interactions a channel
sent point at that SourceRecord too, so moving a record between customers (merge, unmerge) and
recomputing never loses a value.
"""

import operator
import re
from functools import reduce

from django.conf import settings
from django.db import connections, models
from django.db.models import BooleanField, Q
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from stores.models import Associate, Store


class Channel(models.TextChoices):
    """Where a customer met the chain. Stores carry their own kind; this names the medium."""

    POS = "pos", _("Store till")
    WEB = "web", _("Web shop")
    APP = "app", _("App")
    LOYALTY = "loyalty", _("Loyalty registry")
    SOCIAL = "social", _("Social pages")
    CONTACT_CENTER = "contact_center", _("Contact center")
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")
    PHONE = "phone", _("Phone")
    STORE = "store", _("In store")
    BOTTEGA = "bottega", _("Captured in Bottega")


class Source(models.Model):
    """A channel that sends us records of people: a till system, the web shop, the loyalty
    registry… ``trust`` ranks sources when golden-record fields disagree (higher wins)."""

    code = models.SlugField(max_length=30, unique=True)
    name = models.CharField(max_length=80)
    channel = models.CharField(max_length=20, choices=Channel.choices)
    store = models.ForeignKey(
        Store,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text="Where this source's orders happen when a row names no store (the web shop).",
    )
    trust = models.PositiveSmallIntegerField(default=50)
    column_mapping = models.JSONField(
        default=dict, blank=True, help_text="File column → Bottega field, per import kind."
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["-trust", "code"]

    def __str__(self) -> str:
        return self.name


class CustomerQuerySet(models.QuerySet):
    def active(self) -> "CustomerQuerySet":
        return self.filter(status=Customer.Status.ACTIVE)

    def search(self, text: str) -> "CustomerQuerySet":
        """Customers found by what an associate types or scans: an e-mail, a phone number in any
        format, a loyalty card or another identifier, or words of a name.

        An identifier that matches wins over names (a scanned card finds its holder and nobody
        else). Names match when every word typed is part of the first or last name (a word of
        one or two letters, the start of one of their words), accents and case aside; when no
        name matches that way, words a typo away match too, found through the name vocabulary
        (``crm/name_vocabulary.py``). On PostgreSQL names match through the trigram index of
        migration 0007; elsewhere through a portable fallback.
        """
        text = " ".join(text.split())
        if not text:
            return self
        found = self._by_identifier(text)
        if found is not None:
            return found
        words = [word for word in search_words(text) if word]
        if not words:
            return self.none()
        if connections[self.db].vendor == "postgresql":
            return self._by_name_on_postgresql(words)
        return self._by_name_portable(words)

    def possible_duplicates(
        self, *, first_name: str = "", last_name: str = "", email: str = "", phone: str = ""
    ) -> "CustomerQuerySet":
        """Customers who may be the person being registered: they hold the e-mail or phone
        typed, or have the name (typos and accents aside)."""
        from crm.identity import normalize

        values = {
            value
            for value in (normalize.normalize_email(email), normalize.normalize_phone(phone))
            if value
        }
        query = Q(pk__in=[])
        if values:
            holders = Identity.objects.filter(value__in=values).values_list(
                "customer_id", flat=True
            )
            query |= Q(pk__in=list(holders)) | Q(email__in=values) | Q(phone__in=values)
        first, last = first_name.strip(), last_name.strip()
        if len(first) >= 2 and len(last) >= 2:
            named = self.search(f"{first} {last}").values_list("pk", flat=True)[:20]
            query |= Q(pk__in=list(named))
        return self.filter(query)

    def _by_identifier(self, text: str) -> "CustomerQuerySet | None":
        """The holders of the identifier typed, or None when the text is no identifier or
        nobody holds it (and names are worth a try)."""
        from crm.identity import normalize  # normalize needs the settings, not the models

        values = set()
        golden = Q()
        if "@" in text:
            email = normalize.normalize_email(text) or text.lower()
            values.add(email)
            golden |= Q(email=email)  # golden e-mails are normalized: lower case, indexed
        digits = sum(char.isdigit() for char in text)
        if digits >= 6 and _IDENTIFIER_CHARACTERS.fullmatch(text):
            if phone := normalize.normalize_phone(text):
                values.add(phone)
                golden |= Q(phone=phone)
            if card := normalize.normalize_loyalty_card(text):
                values.add(card)
        if " " not in text and digits:
            values.add(text)  # a till code or web account id, exactly as issued
        if not values:
            return None
        holders = list(
            Identity.objects.filter(value__in=values).values_list("customer_id", flat=True)
        )
        found = self.filter(golden | Q(pk__in=holders)) if golden or holders else self.none()
        if "@" in text or found.exists():
            return found
        return None

    def _by_name_on_postgresql(self, words: list[str]) -> "CustomerQuerySet":
        # The stored, folded name of migration 0007 and its trigram index serve LIKE and word
        # similarity (<%) alike.
        exact = self
        for word in words:
            exact = exact.filter(_word_condition(word))
        if exact.exists():
            return exact
        # A word of five letters or more, or words typed apart that together make one name,
        # may also be any name of the vocabulary one typo away (crm/name_vocabulary.py), found
        # by the same indexed LIKE. Only a word the vocabulary knows nothing near falls back
        # to word similarity (<%), which rechecks every name sharing enough trigrams. A
        # shorter word has too few letters to tell a typo from another name (and trigrams,
        # half the table to recheck): it must match as typed.
        from crm import name_vocabulary

        fuzzy = self
        for word, names in name_vocabulary.segments(words, using=self.db):
            if names:
                spellings = [word, *names]
                like = " OR ".join([f"{_SEARCH_NAME_SQL} LIKE %s"] * len(spellings))
                fuzzy = fuzzy.filter(_name_condition(f"({like})", *map(_like, spellings)))
            elif len(word) >= FUZZY_MIN_LENGTH:
                fuzzy = fuzzy.filter(_name_condition(f"%s <%% {_SEARCH_NAME_SQL}", word))
            else:
                fuzzy = fuzzy.filter(_word_condition(word))
        return fuzzy

    def _by_name_portable(self, words: list[str]) -> "CustomerQuerySet":
        exact = self
        for word in words:
            if len(word) < TRIGRAM_LENGTH:
                starts = rf"(^|{_WORD_SEPARATOR_AS_STORED}){re.escape(word)}"
                exact = exact.filter(Q(first_name__iregex=starts) | Q(last_name__iregex=starts))
            else:
                exact = exact.filter(Q(first_name__icontains=word) | Q(last_name__icontains=word))
        if exact.exists():
            return exact
        # Accents and typos: a word of five letters or more may also be any name of the
        # vocabulary spelled like it or one typo from it (crm/name_vocabulary.py), stored as
        # customers hold it, so icontains finds them.
        from crm import name_vocabulary

        segments = name_vocabulary.segments(words, using=self.db)
        fuzzy = self
        for word, names in segments:
            if not names:
                continue
            spellings = [word, *names]
            fuzzy = fuzzy.filter(
                reduce(
                    operator.or_,
                    (
                        Q(first_name__icontains=name) | Q(last_name__icontains=name)
                        for name in spellings
                    ),
                )
            )
        unknown = [word for word, names in segments if not names]
        if not unknown:
            return fuzzy
        # The other words (a name not in the vocabulary yet, an accent in a short word): read
        # the names that start like them, and compare them in Python the way the normalizers
        # do. Bounded, so a short word cannot read the table.
        starts = Q()
        for word in unknown:
            starts |= Q(first_name__istartswith=word[:2]) | Q(last_name__istartswith=word[:2])
        close = [
            pk
            for pk, first, last in fuzzy.filter(starts).values_list(
                "pk", "first_name", "last_name"
            )[:PORTABLE_FUZZY_LIMIT]
            if _name_is_close(unknown, f"{first} {last}")
        ]
        return self.filter(pk__in=close)


# The name accents off, lower case ("first last"), as migration 0007 stores it and indexes it
# by trigrams (PostgreSQL only).
_SEARCH_NAME_SQL = '"crm_customer"."search_name"'
# A word typed shorter than a trigram must begin a word of the name: see _word_condition.
TRIGRAM_LENGTH = 3
# What may stand before a word inside a name ("Dell'Acqua", "Anna-Maria"). The folded name
# has the typographic apostrophe as a plain one (unaccent), and a class holding it would keep
# pg_trgm from reading the regular expression's trigrams.
_WORD_SEPARATOR = "[ '.-]"
_WORD_SEPARATOR_AS_STORED = "[ '’.-]"
_IDENTIFIER_CHARACTERS = re.compile(r"[0-9+()./\s-]+|[A-Za-z0-9-]+")
PORTABLE_FUZZY_LIMIT = 5000
FUZZY_MIN_LENGTH = 5


def _like(word: str) -> str:
    """A LIKE pattern for the word anywhere, its own wildcards escaped."""
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _word_condition(word: str) -> RawSQL:
    """That one word typed is part of the indexed name (PostgreSQL).

    A word of one or two letters must begin a word of the name: "m rossi" is Mario or Maria
    Rossi, not Giacomo Rossi. Letters that few are no trigram, so anywhere in the name the
    index could not narrow the search by them, and a miss ("dn rosa" for De Rosa) would
    recheck every name holding the other words; at the start of a word they are the padded
    trigrams the index holds (" dn"), found through it like any other."""
    if len(word) >= TRIGRAM_LENGTH:
        return _name_condition(f"{_SEARCH_NAME_SQL} LIKE %s", _like(word))
    # A regular expression's escape of every character that is not a letter or digit.
    escaped = "".join(char if char.isalnum() else f"\\{char}" for char in word)
    return _name_condition(f"{_SEARCH_NAME_SQL} ~ %s", f"(^|{_WORD_SEPARATOR}){escaped}")


def _name_condition(sql: str, *words: str) -> RawSQL:
    """A condition on the indexed name; ``sql`` is made of the constants above, the words
    typed are always query parameters."""
    return RawSQL(sql, words, output_field=BooleanField())  # noqa: S611


def search_words(text: str) -> list[str]:
    """The words of a name search, accents and case folded ("Niccolò" → "niccolo")."""
    from crm.identity import normalize

    return normalize.fold(text).split()


def _name_is_close(words: list[str], name: str) -> bool:
    """Whether every word typed is part of a word of the name, or one typo away from it."""
    from rapidfuzz.distance import OSA  # a swap of two letters counts as one typo

    # "dell'acqua" is also read as "dell" and "acqua", "anna-maria" as "anna" and "maria".
    name_words = search_words(name)
    name_words += [part for word in name_words for part in re.split(r"[^a-z0-9]+", word) if part]
    return all(
        any(
            (candidate.startswith(word) if len(word) < TRIGRAM_LENGTH else word in candidate)
            or (
                len(word) >= FUZZY_MIN_LENGTH
                and min(OSA.distance(word, candidate), OSA.distance(word, candidate[: len(word)]))
                <= 1
            )
            for candidate in name_words
        )
        for word in words
    )


class Customer(models.Model):
    """The golden record of one person, derived from the source records linked to it."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        MERGED = "merged", _("Merged into another")
        ERASED = "erased", _("Erased (privacy request)")

    class Language(models.TextChoices):
        ITALIAN = "it", _("Italiano")
        ENGLISH = "en", _("English")

    class Segment(models.TextChoices):
        """The RFM segments the scoring names; ``rfm_segment`` holds the value."""

        CHAMPION = "Champion", _("Champion")
        LOYAL = "Loyal", _("Loyal")
        POTENTIAL_LOYALIST = "Potential loyalist", _("Potential loyalist")
        NEW = "New", _("New")
        PROMISING = "Promising", _("Promising")
        NEEDS_ATTENTION = "Needs attention", _("Needs attention")
        ABOUT_TO_SLEEP = "About to sleep", _("About to sleep")
        AT_RISK = "At risk", _("At risk")
        CANT_LOSE_THEM = "Can't lose them", _("Can't lose them")
        HIBERNATING = "Hibernating", _("Hibernating")
        LOST = "Lost", _("Lost")

    first_name = models.CharField(max_length=80, blank=True)
    last_name = models.CharField(max_length=80, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=32, blank=True, help_text="E.164")
    birth_date = models.DateField(null=True, blank=True)
    street = models.CharField(max_length=200, blank=True)
    postcode = models.CharField(max_length=12, blank=True)
    city = models.CharField(max_length=80, blank=True)
    province = models.CharField(max_length=4, blank=True)
    country = models.CharField(max_length=2, default="IT")
    language = models.CharField(max_length=5, choices=Language.choices, default=Language.ITALIAN)
    home_store = models.ForeignKey(
        Store, null=True, blank=True, on_delete=models.SET_NULL, related_name="home_customers"
    )
    company_name = models.CharField(max_length=160, blank=True, help_text="B2B customers")
    vat_number = models.CharField(max_length=20, blank=True)
    member_since = models.DateField(null=True, blank=True)

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="absorbed"
    )
    provenance = models.JSONField(
        default=dict,
        blank=True,
        help_text="Per golden field: the source record, source and date its value came from.",
    )

    # Scores, refreshed after imports and nightly.
    recency_days = models.PositiveIntegerField(null=True, blank=True)
    frequency = models.PositiveIntegerField(default=0)
    monetary = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    rfm_segment = models.CharField(max_length=30, blank=True)
    lifetime_value = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    predicted_value = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    churn_risk = models.FloatField(null=True, blank=True, help_text="0 = staying, 1 = leaving")
    profile_completeness = models.PositiveSmallIntegerField(default=0, help_text="percent")
    last_purchase_at = models.DateTimeField(null=True, blank=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    last_channel = models.CharField(max_length=20, choices=Channel.choices, blank=True)
    scores_updated_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CustomerQuerySet.as_manager()

    class Meta:
        ordering = ["last_name", "first_name", "pk"]
        permissions = [
            ("merge_customer", "Can merge and unmerge customers"),
            ("export_customer", "Can export customer data"),
            ("view_console", "Can use the CRM manager console"),
        ]
        indexes = [
            models.Index(fields=["last_name", "first_name"]),
            models.Index(fields=["email"]),
            models.Index(fields=["phone"]),
            models.Index(fields=["status", "home_store"]),
            models.Index(fields=["rfm_segment"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(status="merged") & Q(merged_into__isnull=False))
                | (~Q(status="merged") & Q(merged_into__isnull=True)),
                name="customer_merged_iff_merged_into",
            ),
            models.CheckConstraint(
                condition=~Q(merged_into=models.F("pk")), name="customer_not_merged_into_itself"
            ),
            models.CheckConstraint(
                condition=Q(churn_risk__isnull=True) | Q(churn_risk__gte=0, churn_risk__lte=1),
                name="customer_churn_risk_is_probability",
            ),
            models.CheckConstraint(
                condition=Q(profile_completeness__lte=100),
                name="customer_completeness_is_percent",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or f"Customer {self.pk}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def initials(self) -> str:
        return "".join(part[:1] for part in (self.first_name, self.last_name)).upper() or "?"

    @property
    def rfm_segment_label(self) -> str:
        """The RFM segment in the reader's language; a name the scoring does not know as is."""
        if self.rfm_segment in self.Segment.values:
            return self.Segment(self.rfm_segment).label
        return self.rfm_segment

    @property
    def masked_phone(self) -> str:
        """Enough of the number to tell two people apart, not enough to call them."""
        return f"•••{self.phone[-3:]}" if self.phone else ""


class SourceRecord(models.Model):
    """One channel's record of a person, kept whole. ``raw`` is the row as it arrived;
    the normalized fields are what matching and the golden record read."""

    class MatchRule(models.TextChoices):
        NEW = "new", _("New customer")
        STRONG = "strong", _("Strong identifier")
        PROBABILISTIC = "probabilistic", _("Probabilistic score")
        MANUAL = "manual", _("Manual (merge or review)")
        DETACHED = "detached", _("Detached by hand")

    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="records")
    external_id = models.CharField(max_length=100)
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.PROTECT, related_name="source_records"
    )
    raw = models.JSONField(default=dict, help_text="The row exactly as the channel sent it.")

    first_name = models.CharField(max_length=80, blank=True)
    last_name = models.CharField(max_length=80, blank=True)
    email = models.CharField(max_length=254, blank=True)
    phone = models.CharField(max_length=32, blank=True)
    # Telling a mobile from a landline parses the number again (some 50 µs), and matching
    # reads every stored record it compares in every batch that finds it: imports keep the
    # kind beside the number. NULL: not kept (written another way), worked out when read.
    phone_kind = models.CharField(
        max_length=8,
        null=True,
        blank=True,
        editable=False,
        help_text="mobile, landline or unknown, as matching reads the phone; empty without one.",
    )
    birth_date = models.DateField(null=True, blank=True)
    street = models.CharField(max_length=200, blank=True)
    postcode = models.CharField(max_length=12, blank=True)
    city = models.CharField(max_length=80, blank=True)
    country = models.CharField(max_length=2, blank=True)
    loyalty_card = models.CharField(max_length=40, blank=True)

    match_rule = models.CharField(max_length=20, choices=MatchRule.choices, blank=True)
    match_score = models.FloatField(null=True, blank=True)
    match_evidence = models.JSONField(default=dict, blank=True)
    import_batch = models.ForeignKey(
        "ImportBatch", null=True, blank=True, on_delete=models.SET_NULL, related_name="records"
    )
    row_number = models.PositiveIntegerField(null=True, blank=True)
    seen_at = models.DateTimeField(
        null=True, blank=True, help_text="When the channel created or last changed this record."
    )
    linked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["source", "external_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"], name="sourcerecord_unique_external_id"
            ),
        ]
        indexes = [
            models.Index(fields=["customer"]),
            models.Index(fields=["last_name", "first_name"]),
            models.Index(fields=["email"]),
            models.Index(fields=["phone"]),
            models.Index(fields=["loyalty_card"]),
        ]

    def __str__(self) -> str:
        return f"{self.source.code}:{self.external_id}"


class Identity(models.Model):
    """A normalized identifier of a customer (e-mail, phone, card…). The same value may belong
    to two customers (a family landline), but only once to each."""

    class Kind(models.TextChoices):
        EMAIL = "email", _("E-mail")
        PHONE = "phone", _("Phone")
        LOYALTY_CARD = "loyalty_card", _("Loyalty card")
        WEB_ACCOUNT = "web_account", _("Web account")
        APP_ID = "app_id", _("App id")
        SOCIAL_HANDLE = "social_handle", _("Social handle")
        POS_CUSTOMER = "pos_customer", _("Till customer code")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="identities")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    value = models.CharField(max_length=254)
    source_record = models.ForeignKey(
        SourceRecord, null=True, blank=True, on_delete=models.SET_NULL, related_name="identities"
    )
    is_verified = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "identities"
        ordering = ["kind", "value"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "value", "customer"], name="identity_once_per_customer"
            ),
            models.CheckConstraint(condition=~Q(value=""), name="identity_value_not_empty"),
        ]
        indexes = [models.Index(fields=["value", "kind"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.value}"


class HubIdentifier(models.Model):
    """A value shared by too many different people to identify anyone (the store's own phone,
    noemail@…, the in-store tablet's account). Matching never links on it."""

    kind = models.CharField(max_length=20, choices=Identity.Kind.choices)
    value = models.CharField(max_length=254)
    people_count = models.PositiveIntegerField(default=0)
    detected_at = models.DateTimeField(default=timezone.now)
    is_confirmed = models.BooleanField(default=False, help_text="Checked by a CRM manager.")

    class Meta:
        ordering = ["-people_count"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "value"], name="hubidentifier_unique_value"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.value}"


class ImportBatch(models.Model):
    """A channel file (or API batch) and its fate. Job state lives here, not in the broker, so
    an import whose worker died can be picked up again."""

    class Kind(models.TextChoices):
        PEOPLE = "people", _("People")
        ORDERS = "orders", _("Orders")
        INTERACTIONS = "interactions", _("Interactions")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        STAGING = "staging", _("Reading")
        VALIDATING = "validating", _("Checking")
        RESOLVING = "resolving", _("Matching")
        LOADING = "loading", _("Loading")
        SCORING = "scoring", _("Scoring")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="imports")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    file = models.FileField(upload_to="imports/%Y/%m/", blank=True)
    file_name = models.CharField(max_length=255, blank=True)
    content_hash = models.CharField(max_length=64, help_text="SHA-256 of the file")
    size_bytes = models.PositiveBigIntegerField(default=0)
    column_mapping = models.JSONField(default=dict, blank=True)
    is_dry_run = models.BooleanField(default=False)

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    checkpoint = models.PositiveIntegerField(default=0, help_text="Rows fully processed.")
    rows_total = models.PositiveIntegerField(null=True, blank=True)
    rows_read = models.PositiveIntegerField(default=0)
    rows_rejected = models.PositiveIntegerField(default=0)
    rows_unchanged = models.PositiveIntegerField(default=0, help_text="Already seen.")
    customers_created = models.PositiveIntegerField(default=0)
    records_linked = models.PositiveIntegerField(default=0)
    sent_to_review = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "import batches"
        ordering = ["-created_at"]
        constraints = [
            # The same file twice from the same source is the same import.
            models.UniqueConstraint(
                fields=["source", "kind", "content_hash"],
                condition=Q(is_dry_run=False),
                name="importbatch_unique_file",
            ),
        ]
        indexes = [models.Index(fields=["status", "heartbeat_at"])]

    def __str__(self) -> str:
        return f"{self.source.code} {self.kind} #{self.pk}"


class RejectedRow(models.Model):
    """A row of an import that failed validation: where, and why, in a manager's words."""

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="rejected_rows")
    row_number = models.PositiveIntegerField()
    column = models.CharField(max_length=80, blank=True)
    reason = models.CharField(max_length=255)
    raw = models.JSONField(default=dict)

    class Meta:
        ordering = ["batch", "row_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["batch", "row_number", "column"], name="rejectedrow_unique_cell"
            ),
        ]

    def __str__(self) -> str:
        return f"row {self.row_number}, {self.column}: {self.reason}"


class MatchCandidate(models.Model):
    """A doubtful match waiting for a CRM manager: this source record may be this customer."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")
        SKIPPED = "skipped", _("Skipped")

    source_record = models.ForeignKey(
        SourceRecord, on_delete=models.CASCADE, related_name="match_candidates"
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="match_candidates"
    )
    score = models.FloatField()
    evidence = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-score"]
        constraints = [
            # A pair is proposed once; a rejected pair stays rejected.
            models.UniqueConstraint(
                fields=["source_record", "customer"], name="matchcandidate_unique_pair"
            ),
        ]
        indexes = [models.Index(fields=["status", "-score"])]

    def __str__(self) -> str:
        return f"{self.source_record} ~ {self.customer} ({self.score:.2f})"


class MergeEvent(models.Model):
    """Every merge, unmerge and detach, with what it moved, so it can be undone."""

    class Kind(models.TextChoices):
        MERGE = "merge", _("Merge")
        UNMERGE = "unmerge", _("Unmerge")
        DETACH = "detach", _("Detach a source record")
        AUTO_LINK = "auto_link", _("Automatic link")

    kind = models.CharField(max_length=10, choices=Kind.choices)
    survivor = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="merge_events")
    other = models.ForeignKey(
        Customer,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merge_events_as_other",
        help_text="The customer absorbed (merge) or split off (unmerge, detach).",
    )
    moved_source_records = models.JSONField(default=list, blank=True)
    snapshot = models.JSONField(default=dict, blank=True, help_text="What it takes to undo.")
    reason = models.CharField(max_length=255, blank=True)
    score = models.FloatField(null=True, blank=True)
    evidence = models.JSONField(default=dict, blank=True)
    undoes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="undone_by"
    )
    performed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    performed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-performed_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(survivor=models.F("other")), name="mergeevent_two_customers"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


class OrderQuerySet(models.QuerySet):
    def for_customer(self, customer: Customer) -> "OrderQuerySet":
        return self.filter(customer=customer).order_by("-ordered_at")


class Order(models.Model):
    """A purchase from any channel. It belongs to the source record its channel named, and to
    that record's customer (kept here for fast reads, updated on merge and unmerge)."""

    class Status(models.TextChoices):
        COMPLETED = "completed", _("Completed")
        PENDING = "pending", _("Pending")
        CANCELLED = "cancelled", _("Cancelled")
        RETURNED = "returned", _("Returned")
        PARTIALLY_RETURNED = "partially_returned", _("Partially returned")

    # A foreign key whose column leads a composite index or unique constraint below gets no
    # index of its own: that one serves its lookups, and every inserted order (an import
    # writes hundreds of thousands) would maintain both.
    source = models.ForeignKey(
        Source, on_delete=models.PROTECT, related_name="orders", db_index=False
    )
    external_id = models.CharField(max_length=100)
    customer = models.ForeignKey(
        Customer,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="orders",
        db_index=False,
    )
    source_record = models.ForeignKey(
        SourceRecord, null=True, blank=True, on_delete=models.PROTECT, related_name="orders"
    )
    store = models.ForeignKey(
        Store, on_delete=models.PROTECT, related_name="orders", db_index=False
    )
    associate = models.ForeignKey(
        Associate,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="orders",
        db_index=False,
    )
    ordered_at = models.DateTimeField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.COMPLETED)
    currency = models.CharField(max_length=3, default="EUR")
    total = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    import_batch = models.ForeignKey(
        ImportBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="orders"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = OrderQuerySet.as_manager()

    class Meta:
        ordering = ["-ordered_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"], name="order_unique_external_id"
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "-ordered_at"]),
            models.Index(fields=["store", "ordered_at"]),
            models.Index(fields=["associate", "ordered_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.source.code}:{self.external_id}"


class OrderLine(models.Model):
    # No index of their own: the unique constraint leads with the order, the index below
    # with the product (see Order).
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines", db_index=False)
    line_number = models.PositiveSmallIntegerField()
    product = models.ForeignKey(
        "stores.Product",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="lines",
        db_index=False,
    )
    sku = models.CharField(max_length=40)
    product_name = models.CharField(max_length=160, blank=True)
    quantity = models.DecimalField(max_digits=10, decimal_places=3, default=1)
    unit_price = models.DecimalField(max_digits=10, decimal_places=2)
    line_total = models.DecimalField(max_digits=12, decimal_places=2)
    is_returned = models.BooleanField(default=False)

    class Meta:
        ordering = ["order", "line_number"]
        constraints = [
            models.UniqueConstraint(fields=["order", "line_number"], name="orderline_unique"),
            models.CheckConstraint(condition=~Q(quantity=0), name="orderline_quantity_not_zero"),
        ]
        indexes = [models.Index(fields=["product", "order"])]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.sku}"


class Interaction(models.Model):
    """Something a customer did or that we did with them: a store visit, a web session, a social
    comment, a call, a campaign touch."""

    class Kind(models.TextChoices):
        STORE_VISIT = "store_visit", _("Store visit")
        CHECK_IN = "check_in", _("Card or app check-in")
        TRIED_ON = "tried_on", _("Tried on, didn't buy")
        WEB_VISIT = "web_visit", _("Web visit")
        CART_ABANDONED = "cart_abandoned", _("Abandoned cart")
        APP_SESSION = "app_session", _("App session")
        WISHLIST = "wishlist", _("Added to wishlist")
        SOCIAL = "social", _("Social interaction")
        CALL = "call", _("Call")
        EMAIL = "email", _("E-mail")
        CAMPAIGN_TOUCH = "campaign_touch", _("Campaign touch")
        CASE = "case", _("Case")
        REVIEW = "review", _("Review")
        SURVEY = "survey", _("Survey answer")

    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.PROTECT, related_name="interactions"
    )
    source_record = models.ForeignKey(
        SourceRecord,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="interactions",
    )
    source = models.ForeignKey(
        Source, null=True, blank=True, on_delete=models.PROTECT, related_name="interactions"
    )
    external_id = models.CharField(max_length=100, blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    channel = models.CharField(max_length=20, choices=Channel.choices)
    store = models.ForeignKey(
        Store, null=True, blank=True, on_delete=models.PROTECT, related_name="interactions"
    )
    associate = models.ForeignKey(
        Associate, null=True, blank=True, on_delete=models.SET_NULL, related_name="interactions"
    )
    occurred_at = models.DateTimeField(default=timezone.now)
    text = models.TextField(blank=True)
    payload = models.JSONField(default=dict, blank=True)
    value = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    import_batch = models.ForeignKey(
        ImportBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="interactions"
    )

    class Meta:
        ordering = ["-occurred_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=~Q(external_id=""),
                name="interaction_unique_external_id",
            ),
            # An external id means something only within the source that issued it.
            models.CheckConstraint(
                condition=Q(external_id="") | Q(source__isnull=False),
                name="interaction_external_id_has_source",
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "-occurred_at"]),
            models.Index(fields=["store", "kind", "occurred_at"]),
            models.Index(fields=["source_record"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.occurred_at:%Y-%m-%d}"


class Preference(models.Model):
    """What a customer likes or needs: declared by them, or inferred from what they buy."""

    class Kind(models.TextChoices):
        SIZE = "size", _("Size")
        BRAND = "brand", _("Brand")
        CATEGORY = "category", _("Category")
        COLOUR = "colour", _("Colour")
        TASTE = "taste", _("Taste")
        DIET = "diet", _("Diet or allergy")
        CONTACT_TIME = "contact_time", _("Preferred contact time")
        CONTACT_CHANNEL = "contact_channel", _("Preferred contact channel")
        OTHER = "other", _("Other")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="preferences")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    value = models.CharField(max_length=120)
    is_declared = models.BooleanField(default=True, help_text="Said by the customer, not inferred")
    is_dislike = models.BooleanField(default=False, help_text="Rules an item out (allergies…).")
    source_record = models.ForeignKey(
        SourceRecord, null=True, blank=True, on_delete=models.SET_NULL, related_name="preferences"
    )
    captured_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    captured_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "value"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "kind", "value"], name="preference_unique_per_customer"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.value}"


class Note(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="crm_notes"
    )
    store = models.ForeignKey(Store, null=True, blank=True, on_delete=models.SET_NULL)
    body = models.TextField()
    is_pinned = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-is_pinned", "-created_at"]
        indexes = [models.Index(fields=["customer", "-is_pinned", "-created_at"])]

    def __str__(self) -> str:
        return self.body[:60]


class ConsentQuerySet(models.QuerySet):
    def latest_per_purpose(self) -> "ConsentQuerySet":
        """Entries grouped by purpose and channel, newest first: the first of each group is the
        state in force."""
        return self.order_by("purpose", "channel", "-recorded_at", "-pk")


class Consent(models.Model):
    """An append-only ledger: each row is what the customer said, when, where and with what
    proof. The state in force is the newest row per purpose and channel; rows are never edited."""

    class Purpose(models.TextChoices):
        MARKETING = "marketing", _("Marketing")
        PROFILING = "profiling", _("Profiling")
        THIRD_PARTY = "third_party", _("Sharing with partners")

    class Medium(models.TextChoices):
        EMAIL = "email", _("E-mail")
        SMS = "sms", _("SMS")
        PHONE = "phone", _("Phone")
        POST = "post", _("Post")
        PUSH = "push", _("App notifications")
        ANY = "any", _("Any channel")

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="consents")
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    channel = models.CharField(max_length=10, choices=Medium.choices, default=Medium.ANY)
    is_granted = models.BooleanField()
    recorded_at = models.DateTimeField(default=timezone.now, help_text="When the customer said it")
    source = models.ForeignKey(Source, null=True, blank=True, on_delete=models.PROTECT)
    source_record = models.ForeignKey(
        SourceRecord, null=True, blank=True, on_delete=models.PROTECT, related_name="consents"
    )
    captured_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    proof = models.CharField(max_length=255, blank=True, help_text="Form number, URL, recording…")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ConsentQuerySet.as_manager()

    class Meta:
        ordering = ["-recorded_at", "-pk"]
        indexes = [models.Index(fields=["customer", "purpose", "channel", "-recorded_at"])]

    def __str__(self) -> str:
        state = "granted" if self.is_granted else "withdrawn"
        return f"{self.get_purpose_display()} ({self.channel}) {state}"

    def save(self, *args, **kwargs) -> None:
        # The ledger is evidence: a correction is a new row, never an edit of an old one.
        if not self._state.adding:
            raise ValueError("Consent entries are append-only; record a new entry instead.")
        super().save(*args, **kwargs)


class Case(models.Model):
    """A contact-center case: a complaint, a question, a request, followed to its end."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        WAITING = "waiting", _("Waiting for customer")
        RESOLVED = "resolved", _("Resolved")
        CLOSED = "closed", _("Closed")

    class Priority(models.TextChoices):
        LOW = "low", _("Low")
        NORMAL = "normal", _("Normal")
        HIGH = "high", _("High")

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="cases")
    subject = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    channel = models.CharField(max_length=20, choices=Channel.choices, default=Channel.PHONE)
    order = models.ForeignKey(Order, null=True, blank=True, on_delete=models.SET_NULL)
    store = models.ForeignKey(Store, null=True, blank=True, on_delete=models.SET_NULL)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="cases_opened",
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cases_assigned",
    )
    opened_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at"]
        indexes = [
            models.Index(fields=["status", "assigned_to"]),
            models.Index(fields=["customer", "-opened_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True) | Q(resolved_at__gte=models.F("opened_at")),
                name="case_resolved_after_opened",
            ),
        ]

    def __str__(self) -> str:
        return self.subject

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.OPEN, self.Status.WAITING)


class MatchKey(models.Model):
    """A blocking key of a source record (a hash of, say, the surname's sound and the birth
    year): how matching finds, with one indexed lookup, the existing records worth comparing
    with a new one. Written by identity resolution (``crm/identity/resolve.py``)."""

    source_record = models.ForeignKey(
        SourceRecord, on_delete=models.CASCADE, related_name="match_keys"
    )
    key = models.BigIntegerField()

    class Meta:
        constraints = [
            # (key, record) is also the index the lookups read, without touching the table.
            models.UniqueConstraint(fields=["key", "source_record"], name="matchkey_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.key} → {self.source_record_id}"


class MatchModel(models.Model):
    """A matching model trained on the source records (Fellegi–Sunter m and u, name
    frequencies), as ``crm/identity/model_store.py`` saves it. The newest one is used."""

    parameters = models.JSONField()
    records = models.PositiveIntegerField(help_text="Source records it was trained on.")
    # Training reads at most model_store.TRAIN_MAX_RECORDS records, so "the records have
    # doubled since" is counted from the population, not from the records read.
    population = models.PositiveIntegerField(
        default=0, help_text="Source records in the database when it was trained."
    )
    trained_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-trained_at", "-pk"]

    def __str__(self) -> str:
        return f"Matching model of {self.trained_at:%Y-%m-%d %H:%M} ({self.records:,} records)"


class NameVariant(models.Model):
    """The name vocabulary of typo search (``crm/name_vocabulary.py``): a first name or
    surname of the golden records, or a word of one, as search compares it (``name``), under
    its letters and under each spelling of them one letter shorter (``variant``)."""

    variant = models.TextField()
    name = models.TextField()

    class Meta:
        constraints = [
            # (variant, name) is also the index the lookups of a word's variants read.
            models.UniqueConstraint(fields=["variant", "name"], name="namevariant_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.variant} → {self.name}"
