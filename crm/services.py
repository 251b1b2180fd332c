"""Writes and domain rules of the customer app that touch more than one field or row."""

from crm.models import Customer

# The golden fields a complete profile has, and what each is worth to an associate.
COMPLETENESS_WEIGHTS = {
    "first_name": 15,
    "last_name": 15,
    "email": 20,
    "phone": 20,
    "birth_date": 10,
    "city": 10,
    "home_store_id": 10,
}


def profile_completeness(customer: Customer) -> int:
    """Percent of the weighted golden fields that hold a value."""
    earned = sum(
        weight for field, weight in COMPLETENESS_WEIGHTS.items() if getattr(customer, field)
    )
    return round(100 * earned / sum(COMPLETENESS_WEIGHTS.values()))


def refresh_profile_completeness(*, customer: Customer) -> int:
    """Store the customer's profile completeness. Idempotent; writes one column."""
    customer.profile_completeness = profile_completeness(customer)
    Customer.objects.filter(pk=customer.pk).update(
        profile_completeness=customer.profile_completeness
    )
    return customer.profile_completeness
