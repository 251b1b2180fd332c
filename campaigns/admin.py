"""Admin for segments, offers, campaigns and their members."""

from django.contrib import admin
from import_export.admin import ImportExportModelAdmin

from campaigns import resources
from campaigns.models import Campaign, CampaignMember, Offer, Segment
from crm import admin as crm_admin


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "is_dynamic", "member_count", "refreshed_at", "created_by")
    list_select_related = ("created_by",)
    list_filter = ("is_dynamic",)
    search_fields = ("name", "slug")
    ordering = ("name",)
    prepopulated_fields = {"slug": ("name",)}
    raw_id_fields = ("created_by",)
    # Counted by the nightly refresh, not typed in.
    readonly_fields = ("member_count", "refreshed_at", "created_at")

    def save_model(self, request, obj, form, change):
        if not change and obj.created_by_id is None:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(Offer)
class OfferAdmin(ImportExportModelAdmin):
    resource_classes = [resources.OfferResource]
    list_display = (
        "code",
        "name",
        "product",
        "category",
        "discount_percent",
        "required_consent",
        "valid_from",
        "valid_until",
        "is_active",
    )
    list_select_related = ("product", "category")
    list_filter = ("is_active", "required_consent", "category")
    search_fields = ("code", "name")
    date_hierarchy = "valid_from"
    ordering = ("name",)
    raw_id_fields = ("product",)
    autocomplete_fields = ("category",)


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "name",
        "status",
        "channel",
        "segment",
        "offer",
        "control_group_percent",
        "starts_at",
        "ends_at",
        "members_link",
    )
    list_select_related = ("segment", "offer")
    list_filter = ("status", "channel")
    search_fields = ("code", "name")
    date_hierarchy = "starts_at"
    ordering = ("-created_at",)
    autocomplete_fields = ("segment", "offer")
    raw_id_fields = ("created_by",)
    readonly_fields = ("results_block", "created_at", "members_link")
    exclude = ("results",)

    def save_model(self, request, obj, form, change):
        if not change and obj.created_by_id is None:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    @admin.display(description="results")
    def results_block(self, campaign: Campaign) -> str:
        return crm_admin.json_block(campaign.results)

    @admin.display(description="members")
    def members_link(self, campaign: Campaign) -> str:
        if campaign.pk is None:
            return "—"
        return crm_admin.changelist_link(CampaignMember, "members", campaign__id__exact=campaign.pk)


@admin.register(CampaignMember)
class CampaignMemberAdmin(admin.ModelAdmin):
    list_display = (
        "customer",
        "campaign",
        "is_control",
        "contacted_at",
        "contacted_by",
        "outcome",
        "responded_at",
        "revenue",
    )
    list_select_related = ("customer", "campaign", "contacted_by")
    list_filter = ("is_control", "campaign")
    search_fields = ("customer__last_name", "=customer__email", "=campaign__code")
    ordering = ("campaign", "pk")
    show_full_result_count = False
    autocomplete_fields = ("campaign",)
    raw_id_fields = ("customer", "contacted_by", "converted_order")
