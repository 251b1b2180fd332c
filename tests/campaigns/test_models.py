import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from campaigns.models import Campaign, CampaignMember, Offer
from tests import factories

pytestmark = pytest.mark.django_db

MARCH_FIRST = dt.datetime(2025, 3, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def campaign(db):
    return factories.CampaignFactory(name="Spring coffee")


# --- Offers -------------------------------------------------------------------------------


@pytest.mark.parametrize("discount", [Decimal("-5"), Decimal("100.01")])
def test_it_refuses_a_discount_that_is_not_a_percentage(discount):
    offer = factories.OfferFactory()
    offer.discount_percent = discount

    with pytest.raises(IntegrityError), transaction.atomic():
        offer.save()


def test_it_accepts_an_offer_that_gives_the_item_away():
    factories.OfferFactory(code="free-espresso", discount_percent=Decimal("100"))

    offer = Offer.objects.get(code="free-espresso")

    assert offer.discount_percent == Decimal("100.00")


def test_it_refuses_an_offer_that_ends_before_it_starts():
    offer = factories.OfferFactory(valid_from=dt.date(2025, 3, 1))
    offer.valid_until = dt.date(2025, 2, 28)

    with pytest.raises(IntegrityError), transaction.atomic():
        offer.save()


def test_an_offer_may_last_a_single_day():
    factories.OfferFactory(
        code="one-day", valid_from=dt.date(2025, 3, 1), valid_until=dt.date(2025, 3, 1)
    )

    offer = Offer.objects.get(code="one-day")

    assert offer.valid_until == offer.valid_from


def test_an_offer_may_have_no_end_date():
    factories.OfferFactory(code="open-ended", valid_from=dt.date(2025, 3, 1), valid_until=None)

    assert Offer.objects.filter(code="open-ended", valid_until__isnull=True).exists()


# --- Campaigns ----------------------------------------------------------------------------


def test_it_refuses_a_control_group_larger_than_ninety_percent(campaign):
    campaign.control_group_percent = 91

    with pytest.raises(IntegrityError), transaction.atomic():
        campaign.save()


def test_it_accepts_a_control_group_of_ninety_percent(campaign):
    campaign.control_group_percent = 90

    campaign.save()

    assert Campaign.objects.get(control_group_percent=90) == campaign


@pytest.mark.parametrize("length", [dt.timedelta(0), dt.timedelta(hours=-1)])
def test_it_refuses_a_campaign_that_does_not_end_after_it_starts(campaign, length):
    campaign.starts_at = MARCH_FIRST
    campaign.ends_at = MARCH_FIRST + length

    with pytest.raises(IntegrityError), transaction.atomic():
        campaign.save()


def test_a_campaign_may_run_without_an_end(campaign):
    campaign.starts_at = MARCH_FIRST
    campaign.ends_at = None

    campaign.save()

    assert Campaign.objects.get(starts_at=MARCH_FIRST).ends_at is None


# --- Members ------------------------------------------------------------------------------


def test_it_refuses_the_same_customer_twice_in_one_campaign(campaign, customer):
    CampaignMember.objects.create(campaign=campaign, customer=customer)

    with pytest.raises(IntegrityError), transaction.atomic():
        CampaignMember.objects.create(campaign=campaign, customer=customer, is_control=True)


def test_a_customer_may_be_in_two_campaigns(campaign, customer):
    other_campaign = factories.CampaignFactory(name="Autumn tea")
    CampaignMember.objects.create(campaign=campaign, customer=customer)

    CampaignMember.objects.create(campaign=other_campaign, customer=customer)

    assert customer.campaign_memberships.count() == 2


def test_a_control_group_member_cannot_have_been_contacted(campaign, customer):
    member = CampaignMember.objects.create(campaign=campaign, customer=customer, is_control=True)
    member.contacted_at = MARCH_FIRST

    with pytest.raises(IntegrityError), transaction.atomic():
        member.save()


def test_a_targeted_member_may_be_contacted(campaign, customer, agent):
    member = CampaignMember.objects.create(campaign=campaign, customer=customer)
    member.contacted_at = MARCH_FIRST
    member.contacted_by = agent

    member.save()

    assert CampaignMember.objects.get(contacted_at=MARCH_FIRST) == member


def test_a_control_group_member_may_still_buy(campaign, customer):
    order = factories.OrderFactory(customer=customer)
    member = CampaignMember.objects.create(campaign=campaign, customer=customer, is_control=True)
    member.converted_order = order
    member.revenue = order.total

    member.save()

    assert CampaignMember.objects.get(converted_order=order).is_control is True


# --- How each record reads ----------------------------------------------------------------


def test_a_segment_an_offer_and_a_campaign_read_as_their_names():
    segment = factories.SegmentFactory(name="Coffee lovers")
    offer = factories.OfferFactory(name="10% off coffee")
    campaign = factories.CampaignFactory(name="Spring coffee", segment=segment, offer=offer)

    texts = (str(segment), str(offer), str(campaign))

    assert texts == ("Coffee lovers", "10% off coffee", "Spring coffee")


def test_a_member_reads_as_customer_in_campaign(campaign, customer):
    member = CampaignMember.objects.create(campaign=campaign, customer=customer)

    text = str(member)

    assert text == "Maria Rossi in Spring coffee"
