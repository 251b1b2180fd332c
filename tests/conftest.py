"""One fixture per persona, and the shared factories' fixtures."""

import pytest

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
