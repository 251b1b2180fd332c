"""The three roles of Bottega, as auth groups, and what each may do.

Each app's migrations grant the permissions on its own models, so the apps keep leaning one way
(campaigns → crm → stores) while the roles stay in one place.
"""

STORE_ASSOCIATE = "Store associate"
CONTACT_CENTER_AGENT = "Contact center agent"
CRM_MANAGER = "CRM manager"
ALL = (STORE_ASSOCIATE, CONTACT_CENTER_AGENT, CRM_MANAGER)

# Associate.role → group name.
GROUP_FOR_ROLE = {
    "store_associate": STORE_ASSOCIATE,
    "contact_center_agent": CONTACT_CENTER_AGENT,
    "crm_manager": CRM_MANAGER,
}


def grant(apps, app_label: str, grants: dict[str, list[str]]) -> None:
    """In a data migration: give each group the listed permission codenames of ``app_label``.

    Permissions are normally created after migrations run, so create this app's first.
    """
    from django.apps import apps as installed_apps
    from django.contrib.auth.management import create_permissions

    create_permissions(installed_apps.get_app_config(app_label), verbosity=0, apps=apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, codenames in grants.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        permissions = Permission.objects.filter(
            content_type__app_label=app_label, codename__in=codenames
        )
        missing = set(codenames) - set(permissions.values_list("codename", flat=True))
        if missing:
            raise LookupError(f"Unknown permissions in {app_label}: {sorted(missing)}")
        group.permissions.add(*permissions)


def assign_role_group(associate) -> None:
    """Put the associate's user in their role's group and in no other role's group; a CRM
    manager also gets into the admin (``is_staff``). Groups that are not roles are left alone.

    Permissions come from the group, so an associate added or moved from a sheet or the admin
    can do on day one what their role allows.
    """
    from django.contrib.auth.models import Group

    group_name = GROUP_FOR_ROLE[associate.role]
    user = associate.user
    user.groups.remove(*Group.objects.filter(name__in=ALL).exclude(name=group_name))
    user.groups.add(Group.objects.get(name=group_name))
    is_manager = group_name == CRM_MANAGER
    if is_manager != user.is_staff and not user.is_superuser:
        user.is_staff = is_manager
        user.save(update_fields=["is_staff"])
