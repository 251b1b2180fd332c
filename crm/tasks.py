"""Celery entry points of the customer app: ids in, load, call a service."""

from celery import shared_task

from crm import name_vocabulary, services
from crm.imports import pipeline
from crm.models import Customer, ImportBatch


@shared_task(queue="scores")
def refresh_profile_completeness(customer_id: int) -> int | None:
    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None:
        return None  # deleted since it was queued: nothing to do
    return services.refresh_profile_completeness(customer=customer)


@shared_task(queue="imports")
def run_import(import_batch_id: int) -> str | None:
    """Run a channel import from its checkpoint; after its time budget, hand over to a fresh
    task. Safe to run twice: a second run stops at its first batch."""
    batch = ImportBatch.objects.filter(pk=import_batch_id).first()
    if batch is None:
        return None  # deleted since it was queued: nothing to do
    state = pipeline.run_import(batch=batch, time_budget=pipeline.DEFAULT_TIME_BUDGET)
    if state == pipeline.CONTINUE:
        run_import.delay(import_batch_id)
    return state


@shared_task(queue="imports")
def resume_stalled_imports() -> list[int]:
    """Re-enqueue imports whose worker died (see CELERY_BEAT_SCHEDULE)."""
    return pipeline.resume_stalled_imports()


@shared_task(queue="default")
def refresh_name_vocabulary() -> dict[str, int]:
    """Add the golden records' new names to the vocabulary of typo search, drop the names no
    active customer holds (see CELERY_BEAT_SCHEDULE). Safe to run twice."""
    return name_vocabulary.refresh_name_vocabulary()
