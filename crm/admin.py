"""Admin for the customer side of Bottega.

Customers, source records, orders and interactions grow to millions of rows, so: foreign keys
to them are raw-id fields (never a <select> of every customer), changelists join what they show
(``list_select_related``) and skip the full-table count, and inlines show a bounded slice.

What the pipeline derives (golden-record provenance, scores, import counters, match evidence) is
shown, never edited here; the ledgers (consents, merge events, rejected rows) cannot be changed.
"""

import json

from django.contrib import admin
from django.forms.models import BaseInlineFormSet
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode

from crm.models import (
    Case,
    Consent,
    Customer,
    HubIdentifier,
    Identity,
    ImportBatch,
    Interaction,
    MatchCandidate,
    MatchModel,
    MergeEvent,
    Note,
    Order,
    OrderLine,
    Preference,
    RejectedRow,
    Source,
    SourceRecord,
)


def json_block(value: object) -> str:
    """JSON as an indented, escaped block a manager can read."""
    if not value:
        return "—"
    text = json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True, default=str)
    return format_html('<pre style="white-space: pre-wrap; margin: 0">{}</pre>', text)


def changelist_link(model: type, label: str, **filters: object) -> str:
    """A link to ``model``'s changelist, filtered (e.g. one customer's orders)."""
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    return format_html('<a href="{}?{}">{}</a>', url, urlencode(filters), label)


class BoundedInlineFormSet(BaseInlineFormSet):
    """Shows only the first ``limit`` rows: a loyal customer may have thousands."""

    limit = 20

    def get_queryset(self):
        if not hasattr(self, "_bounded_queryset"):
            self._bounded_queryset = super().get_queryset()[: self.limit]
        return self._bounded_queryset


class ReadOnlyInline(admin.TabularInline):
    """A view of related rows; they are changed on their own pages or by the pipeline."""

    formset = BoundedInlineFormSet
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written only by Bottega itself: viewable, never added, changed or deleted here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "channel", "store", "trust", "is_active")
    list_select_related = ("store",)
    list_filter = ("channel", "is_active")
    search_fields = ("code", "name")
    ordering = ("-trust", "code")


class IdentityInline(ReadOnlyInline):
    model = Identity
    fields = ("kind", "value", "is_verified", "source_record", "created_at")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("source_record__source")


class SourceRecordInline(ReadOnlyInline):
    model = SourceRecord
    fields = (
        "source",
        "external_id",
        "first_name",
        "last_name",
        "email",
        "phone",
        "match_rule",
        "match_score",
        "seen_at",
    )

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("source").order_by("-seen_at", "-pk")


class NoteInline(ReadOnlyInline):
    model = Note
    fields = ("body", "is_pinned", "author", "store", "created_at")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author", "store")


class PreferenceInline(ReadOnlyInline):
    model = Preference
    fields = ("kind", "value", "is_declared", "is_dislike", "captured_at")


class ConsentInline(ReadOnlyInline):
    model = Consent
    fields = ("purpose", "channel", "is_granted", "recorded_at", "source", "proof")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("source")


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "email",
        "phone",
        "status",
        "merged_into",
        "home_store",
        "rfm_segment",
        "lifetime_value",
        "last_purchase_at",
    )
    list_select_related = ("merged_into", "home_store")
    list_filter = ("status", "home_store", "rfm_segment", "language")
    # Kept for the autocomplete and the search box; the search itself is Customer.search().
    search_fields = ("first_name", "last_name", "email", "phone", "identities__value")
    ordering = ("last_name", "first_name", "pk")
    show_full_result_count = False
    inlines = [IdentityInline, SourceRecordInline, NoteInline, PreferenceInline, ConsentInline]
    readonly_fields = (
        "status",
        "merged_into",
        "provenance_block",
        "recency_days",
        "frequency",
        "monetary",
        "rfm_segment",
        "lifetime_value",
        "predicted_value",
        "churn_risk",
        "profile_completeness",
        "last_purchase_at",
        "last_seen_at",
        "last_channel",
        "scores_updated_at",
        "created_at",
        "updated_at",
        "history_links",
    )
    fieldsets = (
        (None, {"fields": (("first_name", "last_name"), ("email", "phone"), "birth_date")}),
        ("Address", {"fields": ("street", ("postcode", "city"), ("province", "country"))}),
        ("With the chain", {"fields": ("home_store", "member_since", "language")}),
        ("Business", {"classes": ["collapse"], "fields": ("company_name", "vat_number")}),
        ("Record", {"fields": ("status", "merged_into", "history_links")}),
        (
            "Scores",
            {
                "fields": (
                    ("rfm_segment", "recency_days", "frequency", "monetary"),
                    ("lifetime_value", "predicted_value", "churn_risk"),
                    "profile_completeness",
                    ("last_purchase_at", "last_seen_at", "last_channel"),
                    "scores_updated_at",
                )
            },
        ),
        ("Where each value came from", {"classes": ["collapse"], "fields": ("provenance_block",)}),
        (None, {"fields": (("created_at", "updated_at"),)}),
    )

    def get_search_results(self, request, queryset, search_term):
        # One customer search for the whole of Bottega: phone digits in any format, a card
        # number, an exact e-mail or the words of a name find the same people everywhere.
        # Customer.search() is already distinct, so the admin need not de-duplicate.
        return queryset.search(search_term), False

    @admin.display(description="provenance")
    def provenance_block(self, customer: Customer) -> str:
        return json_block(customer.provenance)

    @admin.display(description="history")
    def history_links(self, customer: Customer) -> str:
        if customer.pk is None:
            return "—"
        links = [
            (Order, "orders", {"customer__id__exact": customer.pk}),
            (Interaction, "interactions", {"customer__id__exact": customer.pk}),
            (Case, "cases", {"customer__id__exact": customer.pk}),
            (MergeEvent, "merges", {"survivor__id__exact": customer.pk}),
            (MatchCandidate, "match candidates", {"customer__id__exact": customer.pk}),
        ]
        return format_html_join(
            " · ", "{}", ((changelist_link(model, label, **f),) for model, label, f in links)
        )


@admin.register(SourceRecord)
class SourceRecordAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "customer",
        "first_name",
        "last_name",
        "email",
        "phone",
        "loyalty_card",
        "match_rule",
        "match_score",
        "seen_at",
    )
    list_select_related = ("source", "customer")
    list_filter = ("source", "match_rule")
    search_fields = ("=external_id", "last_name", "=email", "phone", "=loyalty_card")
    ordering = ("source", "external_id")
    show_full_result_count = False
    raw_id_fields = ("customer", "import_batch")
    readonly_fields = ("raw_block", "match_evidence_block", "created_at", "linked_at")
    fieldsets = (
        (None, {"fields": ("source", "external_id", "customer")}),
        (
            "As normalized",
            {
                "fields": (
                    ("first_name", "last_name"),
                    ("email", "phone"),
                    "birth_date",
                    "street",
                    ("postcode", "city", "country"),
                    "loyalty_card",
                )
            },
        ),
        ("As the channel sent it", {"fields": ("raw_block",)}),
        ("Match", {"fields": ("match_rule", "match_score", "match_evidence_block", "linked_at")}),
        ("Import", {"fields": ("import_batch", "row_number", "seen_at", "created_at")}),
    )

    @admin.display(description="raw")
    def raw_block(self, record: SourceRecord) -> str:
        return json_block(record.raw)

    @admin.display(description="match evidence")
    def match_evidence_block(self, record: SourceRecord) -> str:
        return json_block(record.match_evidence)


@admin.register(Identity)
class IdentityAdmin(admin.ModelAdmin):
    list_display = ("value", "kind", "customer", "is_verified", "source_record", "created_at")
    list_select_related = ("customer", "source_record__source")
    list_filter = ("kind", "is_verified")
    search_fields = ("^value",)
    ordering = ("kind", "value")
    show_full_result_count = False
    raw_id_fields = ("customer", "source_record")


@admin.register(HubIdentifier)
class HubIdentifierAdmin(admin.ModelAdmin):
    list_display = ("value", "kind", "people_count", "is_confirmed", "detected_at")
    list_editable = ("is_confirmed",)
    list_filter = ("kind", "is_confirmed")
    search_fields = ("value",)
    ordering = ("-people_count",)


class FirstRejectedRowsFormSet(BoundedInlineFormSet):
    limit = 50


class RejectedRowInline(ReadOnlyInline):
    model = RejectedRow
    formset = FirstRejectedRowsFormSet
    fields = ("row_number", "column", "reason")


def flatten(fields: tuple) -> list[str]:
    """Field names of a fieldset, whose lines may group several names."""
    names: list[str] = []
    for line in fields:
        names.extend(line if isinstance(line, tuple) else (line,))
    return names


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "kind",
        "status",
        "file_name",
        "rows_total",
        "rows_read",
        "rows_rejected",
        "rows_unchanged",
        "customers_created",
        "records_linked",
        "sent_to_review",
        "is_dry_run",
        "created_at",
        "finished_at",
    )
    list_select_related = ("source",)
    list_filter = ("status", "kind", "source", "is_dry_run")
    search_fields = ("file_name", "=content_hash")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    inlines = [RejectedRowInline]
    fieldsets = (
        (None, {"fields": ("source", "kind", "status", "is_dry_run", "error")}),
        ("File", {"fields": ("file", "file_name", "size_bytes", "content_hash")}),
        (
            "Counters",
            {
                "fields": (
                    ("rows_total", "rows_read", "checkpoint"),
                    ("rows_rejected", "rejected_rows_link"),
                    "rows_unchanged",
                    ("customers_created", "records_linked", "sent_to_review"),
                )
            },
        ),
        (
            "Run",
            {
                "fields": (
                    "created_by",
                    ("created_at", "started_at", "heartbeat_at", "finished_at"),
                    "column_mapping_block",
                )
            },
        ),
    )

    # Uploads go through the manager console or `import_channel`, which hash, stage and queue the
    # file; a batch added here would wait forever. Its state belongs to the pipeline.
    def has_add_permission(self, request):
        return False

    def get_readonly_fields(self, request, obj=None):
        return [name for fieldset in self.fieldsets for name in flatten(fieldset[1]["fields"])]

    @admin.display(description="column mapping")
    def column_mapping_block(self, batch: ImportBatch) -> str:
        return json_block(batch.column_mapping)

    @admin.display(description="all rejected rows")
    def rejected_rows_link(self, batch: ImportBatch) -> str:
        return changelist_link(RejectedRow, "see all", batch__id__exact=batch.pk)


@admin.register(RejectedRow)
class RejectedRowAdmin(ReadOnlyAdmin):
    list_display = ("batch", "row_number", "column", "reason")
    list_select_related = ("batch__source",)
    list_filter = ("batch__source", "batch__kind")
    search_fields = ("reason", "column")
    ordering = ("batch", "row_number")
    fields = ("batch", "row_number", "column", "reason", "raw_block")
    readonly_fields = fields

    @admin.display(description="row as read")
    def raw_block(self, row: RejectedRow) -> str:
        return json_block(row.raw)


@admin.register(MatchCandidate)
class MatchCandidateAdmin(ReadOnlyAdmin):
    """The review queue, best score first. Accepting a candidate links the record and
    recomputes the golden record, so decisions are made on the review screen, not here."""

    list_display = (
        "source_record",
        "customer",
        "score",
        "status",
        "created_at",
        "decided_by",
        "decided_at",
    )
    list_select_related = ("source_record__source", "customer", "decided_by")
    list_filter = ("status",)
    search_fields = ("=source_record__external_id", "customer__last_name", "=customer__email")
    ordering = ("-score",)
    date_hierarchy = "created_at"
    fields = (
        "source_record",
        "customer",
        "score",
        "evidence_block",
        "status",
        "decided_by",
        "decided_at",
        "created_at",
    )
    readonly_fields = fields

    @admin.display(description="evidence")
    def evidence_block(self, candidate: MatchCandidate) -> str:
        return json_block(candidate.evidence)


@admin.register(MergeEvent)
class MergeEventAdmin(ReadOnlyAdmin):
    list_display = (
        "__str__",
        "kind",
        "survivor",
        "other",
        "score",
        "reason",
        "performed_by",
        "performed_at",
    )
    list_select_related = ("survivor", "other", "performed_by")
    list_filter = ("kind",)
    search_fields = ("reason", "=survivor__email", "=other__email")
    date_hierarchy = "performed_at"
    ordering = ("-performed_at",)
    fields = (
        "kind",
        "survivor",
        "other",
        "reason",
        "score",
        "undoes",
        "performed_by",
        "performed_at",
        "moved_block",
        "evidence_block",
        "snapshot_block",
    )
    readonly_fields = fields

    @admin.display(description="moved source records")
    def moved_block(self, event: MergeEvent) -> str:
        return json_block(event.moved_source_records)

    @admin.display(description="evidence")
    def evidence_block(self, event: MergeEvent) -> str:
        return json_block(event.evidence)

    @admin.display(description="snapshot")
    def snapshot_block(self, event: MergeEvent) -> str:
        return json_block(event.snapshot)


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    fields = (
        "line_number",
        "product",
        "sku",
        "product_name",
        "quantity",
        "unit_price",
        "line_total",
        "is_returned",
    )
    raw_id_fields = ("product",)
    extra = 0


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "ordered_at",
        "customer",
        "store",
        "status",
        "total",
        "currency",
    )
    list_select_related = ("source", "customer", "store")
    list_filter = ("status", "source", "store")
    search_fields = ("=external_id", "=customer__email", "customer__last_name")
    date_hierarchy = "ordered_at"
    ordering = ("-ordered_at",)
    show_full_result_count = False
    raw_id_fields = ("customer", "source_record", "import_batch")
    autocomplete_fields = ("associate",)
    readonly_fields = ("created_at",)
    inlines = [OrderLineInline]


@admin.register(OrderLine)
class OrderLineAdmin(admin.ModelAdmin):
    list_display = (
        "order",
        "line_number",
        "sku",
        "product_name",
        "quantity",
        "unit_price",
        "line_total",
        "is_returned",
    )
    list_select_related = ("order__source",)
    list_filter = ("is_returned",)
    search_fields = ("=sku", "=order__external_id", "product_name")
    ordering = ("-order__ordered_at", "line_number")
    show_full_result_count = False
    raw_id_fields = ("order", "product")


@admin.register(Interaction)
class InteractionAdmin(admin.ModelAdmin):
    list_display = ("occurred_at", "kind", "channel", "customer", "store", "associate", "value")
    list_select_related = ("customer", "store", "associate__user")
    list_filter = ("kind", "channel", "store")
    search_fields = ("=external_id", "=customer__email", "customer__last_name")
    date_hierarchy = "occurred_at"
    ordering = ("-occurred_at",)
    show_full_result_count = False
    raw_id_fields = ("customer", "source_record", "import_batch")
    autocomplete_fields = ("associate",)
    readonly_fields = ("payload_block",)
    exclude = ("payload",)

    @admin.display(description="payload")
    def payload_block(self, interaction: Interaction) -> str:
        return json_block(interaction.payload)


@admin.register(Preference)
class PreferenceAdmin(admin.ModelAdmin):
    list_display = ("customer", "kind", "value", "is_declared", "is_dislike", "captured_at")
    list_select_related = ("customer",)
    list_filter = ("kind", "is_declared", "is_dislike")
    search_fields = ("value", "customer__last_name", "=customer__email")
    ordering = ("-captured_at",)
    raw_id_fields = ("customer", "source_record", "captured_by")


@admin.register(Note)
class NoteAdmin(admin.ModelAdmin):
    list_display = ("__str__", "customer", "author", "store", "is_pinned", "created_at")
    list_select_related = ("customer", "author", "store")
    list_filter = ("is_pinned", "store")
    search_fields = ("body", "customer__last_name", "=customer__email")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    raw_id_fields = ("customer", "author")


@admin.register(Consent)
class ConsentAdmin(admin.ModelAdmin):
    """The consent ledger: entries are added and read, never changed or deleted, by anyone.

    A correction or a withdrawal is a new entry; the newest per purpose and channel is in force.
    """

    list_display = (
        "customer",
        "purpose",
        "channel",
        "is_granted",
        "recorded_at",
        "source",
        "captured_by",
        "proof",
    )
    list_select_related = ("customer", "source", "captured_by")
    list_filter = ("purpose", "channel", "is_granted", "source")
    search_fields = ("=customer__email", "customer__last_name", "proof")
    date_hierarchy = "recorded_at"
    ordering = ("-recorded_at", "-pk")
    show_full_result_count = False
    raw_id_fields = ("customer", "source_record")
    fields = (
        "customer",
        "purpose",
        "channel",
        "is_granted",
        "recorded_at",
        "source",
        "source_record",
        "proof",
        "captured_by",
        "created_at",
    )

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:
            return self.fields
        return ("captured_by", "created_at")

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        obj.captured_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = (
        "subject",
        "customer",
        "status",
        "priority",
        "channel",
        "store",
        "assigned_to",
        "opened_at",
        "due_at",
    )
    list_select_related = ("customer", "store", "assigned_to")
    list_filter = ("status", "priority", "channel", "store")
    search_fields = ("subject", "customer__last_name", "=customer__email")
    date_hierarchy = "opened_at"
    ordering = ("-opened_at",)
    raw_id_fields = ("customer", "order", "opened_by", "assigned_to")


@admin.register(MatchModel)
class MatchModelAdmin(ReadOnlyAdmin):
    """The matching models trained on the source records; the newest one is in use."""

    list_display = ("trained_at", "records")
    date_hierarchy = "trained_at"
    readonly_fields = ("trained_at", "records", "parameters_display")
    exclude = ("parameters",)

    @admin.display(description="parameters")
    def parameters_display(self, obj: MatchModel) -> str:
        return json_block(obj.parameters)
