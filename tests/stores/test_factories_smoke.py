from stores import roles


def test_each_persona_is_in_its_role_group(staff, agent, manager):
    assert [g.name for g in staff.groups.all()] == [roles.STORE_ASSOCIATE]
    assert [g.name for g in agent.groups.all()] == [roles.CONTACT_CENTER_AGENT]
    assert [g.name for g in manager.groups.all()] == [roles.CRM_MANAGER]
