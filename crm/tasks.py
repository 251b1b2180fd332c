"""Celery entry points of the customer app: ids in, load, call a service."""

from celery import shared_task

from crm import services
from crm.models import Customer


@shared_task(queue="scores")
def refresh_profile_completeness(customer_id: int) -> int | None:
    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None:
        return None  # deleted since it was queued: nothing to do
    return services.refresh_profile_completeness(customer=customer)
