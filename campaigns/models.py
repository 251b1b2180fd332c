"""Whom we talk to, what we offer them, and what it did."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crm.models import Consent, Customer, Order
from stores.models import Category, Product


class Segment(models.Model):
    """A named group of customers. A dynamic segment is a rule (``definition``) re-evaluated
    nightly; a static one is a list frozen when it was made."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    definition = models.JSONField(default=dict, blank=True, help_text="The rule, for dynamic ones")
    is_dynamic = models.BooleanField(default=True)
    member_count = models.PositiveIntegerField(default=0)
    refreshed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Offer(models.Model):
    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=160)
    description = models.TextField(blank=True)
    product = models.ForeignKey(Product, null=True, blank=True, on_delete=models.SET_NULL)
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.SET_NULL)
    discount_percent = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    required_consent = models.CharField(
        max_length=20,
        choices=Consent.Purpose.choices,
        blank=True,
        help_text="Offered only to customers who granted this purpose.",
    )
    valid_from = models.DateField(null=True, blank=True)
    valid_until = models.DateField(null=True, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(discount_percent__gte=0, discount_percent__lte=100),
                name="offer_discount_is_percent",
            ),
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True)
                | Q(valid_until__isnull=True)
                | Q(valid_until__gte=models.F("valid_from")),
                name="offer_valid_until_after_from",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Campaign(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("campaign status", "Draft")
        SCHEDULED = "scheduled", pgettext_lazy("campaign status", "Scheduled")
        RUNNING = "running", pgettext_lazy("campaign status", "Running")
        FINISHED = "finished", pgettext_lazy("campaign status", "Finished")
        CANCELLED = "cancelled", pgettext_lazy("campaign status", "Cancelled")

    class Medium(models.TextChoices):
        EMAIL = "email", _("E-mail")
        SMS = "sms", _("SMS")
        PHONE = "phone", _("Phone (call list)")
        STORE = "store", _("In store")
        PUSH = "push", _("App notification")

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=160)
    segment = models.ForeignKey(Segment, null=True, blank=True, on_delete=models.PROTECT)
    offer = models.ForeignKey(Offer, null=True, blank=True, on_delete=models.PROTECT)
    channel = models.CharField(max_length=10, choices=Medium.choices, default=Medium.EMAIL)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    control_group_percent = models.PositiveSmallIntegerField(
        default=10, help_text="Share of the segment held back to measure uplift."
    )
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    results = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(control_group_percent__lte=90), name="campaign_control_group_percent"
            ),
            models.CheckConstraint(
                condition=Q(starts_at__isnull=True)
                | Q(ends_at__isnull=True)
                | Q(ends_at__gt=models.F("starts_at")),
                name="campaign_ends_after_start",
            ),
        ]
        indexes = [models.Index(fields=["status", "starts_at"])]

    def __str__(self) -> str:
        return self.name


class CampaignMember(models.Model):
    """A customer in a campaign: targeted, or held back in the control group."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="members")
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="campaign_memberships"
    )
    is_control = models.BooleanField(default=False)
    added_at = models.DateTimeField(default=timezone.now)
    contacted_at = models.DateTimeField(null=True, blank=True)
    contacted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    outcome = models.CharField(max_length=40, blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    converted_order = models.ForeignKey(Order, null=True, blank=True, on_delete=models.SET_NULL)
    revenue = models.DecimalField(max_digits=12, decimal_places=2, default=0)

    class Meta:
        ordering = ["campaign", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "customer"], name="campaignmember_once_per_campaign"
            ),
            # The control group is never contacted: that is what makes uplift measurable.
            models.CheckConstraint(
                condition=Q(is_control=False) | Q(contacted_at__isnull=True),
                name="campaignmember_control_not_contacted",
            ),
        ]
        indexes = [models.Index(fields=["customer", "campaign"])]

    def __str__(self) -> str:
        return f"{self.customer} in {self.campaign}"
