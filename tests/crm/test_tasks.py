import pytest

from crm import services, tasks
from crm.models import Customer
from tests import factories
from tests.celery_worker import running_worker, wait_for


@pytest.mark.django_db
def test_completeness_counts_only_the_fields_that_hold_a_value():
    customer = factories.CustomerFactory.build(
        first_name="Anna", last_name="Dell'Acqua", email="", phone="", birth_date=None, city=""
    )

    assert services.profile_completeness(customer) == 30


@pytest.mark.django_db
def test_the_task_stores_completeness_and_ignores_a_deleted_customer(customer):
    Customer.objects.filter(pk=customer.pk).update(profile_completeness=0)

    stored = tasks.refresh_profile_completeness(customer.pk)

    customer.refresh_from_db()
    assert customer.profile_completeness == stored == 90  # no home store
    assert tasks.refresh_profile_completeness(customer.pk + 1000) is None


@pytest.mark.worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_worker_process_runs_the_task_from_the_broker(customer):
    Customer.objects.filter(pk=customer.pk).update(profile_completeness=0)

    with running_worker() as worker:
        tasks.refresh_profile_completeness.delay_on_commit(customer.pk)
        done = wait_for(
            lambda: Customer.objects.get(pk=customer.pk).profile_completeness == 90,
            timeout=90,
        )

        assert worker.poll() is None, "the worker process died"
    assert done, "the worker did not run the task within 90 s"
