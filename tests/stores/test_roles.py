"""The role groups and their permissions are data, created by migrations: check what they hold."""

import pytest
from django.contrib.auth.models import Group, Permission

from stores import roles
from stores.models import Associate

pytestmark = pytest.mark.django_db

CAMPAIGN_PERMISSIONS = [
    f"campaigns.{verb}_{model}"
    for verb in ("add", "change", "delete", "view")
    for model in ("segment", "offer", "campaign", "campaignmember")
]


def test_the_migrations_create_the_three_role_groups():
    names = set(Group.objects.values_list("name", flat=True))

    assert names == {roles.STORE_ASSOCIATE, roles.CONTACT_CENTER_AGENT, roles.CRM_MANAGER}


def test_every_associate_role_has_a_group_of_its_own():
    role_names = [roles.GROUP_FOR_ROLE[role] for role in Associate.Role.values]

    groups = Group.objects.filter(name__in=role_names)

    assert groups.count() == len(Associate.Role.values) == 3


# --- Store associate ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "permission",
    [
        "crm.view_customer",
        "crm.add_customer",
        "crm.view_note",
        "crm.add_note",
        "crm.view_preference",
        "crm.add_preference",
        "crm.view_consent",
        "crm.add_consent",
    ],
)
def test_a_store_associate_may_see_and_record_customers_notes_preferences_and_consents(
    staff, permission
):
    allowed = staff.has_perm(permission)

    assert allowed


@pytest.mark.parametrize(
    "permission",
    [
        "crm.view_case",
        "crm.merge_customer",
        "crm.view_console",
        "crm.delete_customer",
        "crm.export_customer",
        "campaigns.view_campaign",
    ],
)
def test_a_store_associate_may_not_see_cases_merge_use_the_console_or_delete(staff, permission):
    allowed = staff.has_perm(permission)

    assert not allowed


# --- Contact center agent -----------------------------------------------------------------


@pytest.mark.parametrize(
    "permission",
    [
        "crm.view_case",
        "crm.add_case",
        "crm.change_case",
        "campaigns.view_campaign",
        "campaigns.view_campaignmember",
        "campaigns.change_campaignmember",
    ],
)
def test_a_contact_center_agent_may_work_cases_and_call_lists(agent, permission):
    allowed = agent.has_perm(permission)

    assert allowed


@pytest.mark.parametrize(
    "permission",
    [
        "crm.merge_customer",
        "crm.view_console",
        "crm.delete_case",
        "campaigns.add_campaignmember",
        "campaigns.change_campaign",
    ],
)
def test_a_contact_center_agent_may_not_merge_use_the_console_or_run_campaigns(agent, permission):
    allowed = agent.has_perm(permission)

    assert not allowed


# --- CRM manager --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "permission",
    ["crm.merge_customer", "crm.export_customer", "crm.view_console", "crm.delete_customer"],
)
def test_a_crm_manager_may_merge_export_and_use_the_console(manager, permission):
    allowed = manager.has_perm(permission)

    assert allowed


@pytest.mark.parametrize("permission", CAMPAIGN_PERMISSIONS)
def test_a_crm_manager_may_do_everything_on_campaigns(manager, permission):
    allowed = manager.has_perm(permission)

    assert allowed


# --- Consent is a ledger ------------------------------------------------------------------


@pytest.mark.parametrize("permission", ["crm.change_consent", "crm.delete_consent"])
def test_no_persona_may_edit_or_delete_a_consent(staff, agent, manager, permission):
    allowed = [user.has_perm(permission) for user in (staff, agent, manager)]

    assert allowed == [False, False, False]


def test_no_group_holds_a_permission_to_edit_or_delete_consents():
    ledger_edits = Permission.objects.filter(
        content_type__app_label="crm", codename__in=["change_consent", "delete_consent"]
    )

    holders = Group.objects.filter(permissions__in=ledger_edits)

    assert ledger_edits.count() == 2
    assert list(holders) == []


def test_assigning_a_role_moves_the_user_between_groups_and_into_the_admin(staff):
    associate = staff.associate
    associate.role = Associate.Role.CRM_MANAGER

    roles.assign_role_group(associate)

    staff.refresh_from_db()
    assert [group.name for group in staff.groups.all()] == [roles.CRM_MANAGER]
    assert staff.is_staff
