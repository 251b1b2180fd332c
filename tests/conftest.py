"""One fixture per persona, and the shared factories' fixtures."""

import os

import pytest
from django.utils import translation

from stores.models import Associate
from tests import factories


@pytest.fixture
def store(db):
    return factories.StoreFactory(code="mi01", name="Milano Brera")


@pytest.fixture
def staff(store):
    """A store associate working at ``store``."""
    return factories.AssociateFactory(
        user__username="associate", store=store, role=Associate.Role.STORE_ASSOCIATE
    ).user


@pytest.fixture
def agent(db):
    contact_center = factories.StoreFactory(code="cc", name="Contact center", kind="contact_center")
    return factories.AssociateFactory(
        user__username="agent", store=contact_center, role=Associate.Role.CONTACT_CENTER_AGENT
    ).user


@pytest.fixture
def manager(store):
    return factories.AssociateFactory(
        user__username="manager", store=store, role=Associate.Role.CRM_MANAGER
    ).user


@pytest.fixture
def superuser(db):
    return factories.UserFactory(username="admin", is_staff=True, is_superuser=True)


@pytest.fixture
def customer(db):
    return factories.CustomerFactory(first_name="Maria", last_name="Rossi")


@pytest.fixture(scope="session", autouse=True)
def _end_stray_database_sessions(django_db_setup, django_db_blocker):
    """A worker process a test started (or killed) can keep its PostgreSQL session open for a
    moment after the test; end such sessions, and say whose they were, so the test database can
    be dropped at the end of the run."""
    yield
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, application_name, state, left(query, 80),"
            " pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        for row in cursor.fetchall():
            print(f"\nended a stray database session: {row[:4]}")


@pytest.fixture(scope="session", autouse=True)
def _empty_test_broker():
    """Start every run with an empty broker. A worker killed by an earlier run leaves its task
    unacknowledged, and the broker would hand it to this run's workers, where the same ids
    name other rows."""
    import shutil

    import redis
    from django.conf import settings

    url = settings.CELERY_BROKER_URL
    if url.startswith("redis://"):
        redis.Redis.from_url(url).flushdb()
    elif url.startswith("filesystem://"):
        folder = settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"]
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder, exist_ok=True)


@pytest.fixture(autouse=True)
def _language_of_the_settings():
    """Each test starts in the site's default language. A request made by a test activates
    the signed-in user's language for the thread and nothing puts it back (in production the
    next request chooses again), so without this a test's expectations would depend on which
    tests ran before it in the same process."""
    yield
    translation.deactivate()
