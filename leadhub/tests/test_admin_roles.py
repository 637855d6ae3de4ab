"""Staff roles: the groups the data migration creates, and the admin honouring them."""
import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission

from leadhub.roles import OPERATIONS, READ_ONLY_ANALYST, ROLE_APPS, sync_role_groups
from leadhub.testing import admin_url, make_lead, make_workspace
from leads.models import Lead, WorkspaceTracking

pytestmark = pytest.mark.django_db

CHANGELIST = admin_url(Lead, "changelist")


def perms(group_name):
    return set(Group.objects.get(name=group_name).permissions.values_list("content_type__app_label", "codename"))


def business_perms():
    permissions = Permission.objects.filter(content_type__app_label__in=ROLE_APPS)
    return set(permissions.values_list("content_type__app_label", "codename"))


@pytest.fixture
def login(client, django_user_model):
    def as_member(group_name):
        user = django_user_model.objects.create_user(f"{group_name[:4].lower()}-user", password="x", is_staff=True)
        user.groups.add(Group.objects.get(name=group_name))
        client.force_login(user)
        return client

    return as_member


def test_groups_cover_every_business_model_and_nothing_else():
    every_model = {
        (model._meta.app_label, f"view_{model._meta.model_name}")
        for label in ROLE_APPS
        for model in apps.get_app_config(label).get_models()
    }

    assert perms(OPERATIONS) == business_perms()
    assert perms(READ_ONLY_ANALYST) == {p for p in business_perms() if p[1].startswith("view_")}
    assert every_model <= perms(READ_ONLY_ANALYST)
    assert not any(codename.endswith(("_user", "_group")) for _, codename in perms(OPERATIONS))


def test_sync_is_idempotent_and_restores_a_missing_permission():
    group = Group.objects.get(name=READ_ONLY_ANALYST)
    group.permissions.remove(Permission.objects.get(codename="view_lead"))

    sync_role_groups(apps)
    sync_role_groups(apps)

    assert ("leads", "view_lead") in perms(READ_ONLY_ANALYST)
    assert Group.objects.filter(name__in=[OPERATIONS, READ_ONLY_ANALYST]).count() == 2


def test_analyst_sees_without_change_buttons_and_may_only_export(login):
    lead = make_lead()
    client = login(READ_ONLY_ANALYST)

    changelist = client.get(CHANGELIST)
    page = client.get(admin_url(lead, "change", lead.pk))
    exported = client.post(CHANGELIST, {"action": "export_csv", "_selected_action": [lead.pk]})
    assigned = client.post(
        CHANGELIST,
        {"action": "assign_to_workspace", "_selected_action": [lead.pk], "post": "yes", "workspace": make_workspace().pk},
    )
    edited = client.post(admin_url(lead, "change", lead.pk), {"notes": "x"})

    assert changelist.status_code == 200 and page.status_code == 200
    assert set(dict(changelist.context["action_form"].fields["action"].choices)) == {"", "export_csv"}
    html = page.content.decode()
    assert 'name="_save"' not in html and "Timeline" in html
    assert exported["Content-Type"].startswith("text/csv")
    assert edited.status_code == 403
    assert assigned.status_code == 302 and not WorkspaceTracking.objects.exists()
    assert client.get(f"{CHANGELIST}follow-ups/").status_code == 200


def test_operations_may_act(login):
    lead = make_lead()
    client = login(OPERATIONS)

    changelist = client.get(CHANGELIST)
    done = client.post(
        CHANGELIST,
        {"action": "change_status", "_selected_action": [lead.pk], "post": "yes", "new_status": "contacted", "reason": "r"},
    )

    assert {"assign_to_workspace", "change_status", "release_hold", "export_csv"} <= set(
        dict(changelist.context["action_form"].fields["action"].choices)
    )
    assert done.status_code == 302
    lead.refresh_from_db()
    assert lead.status == "contacted"


def test_staff_without_a_role_sees_nothing(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("nobody", password="x", is_staff=True))

    assert client.get(CHANGELIST).status_code == 403
    assert client.get(f"{CHANGELIST}follow-ups/").status_code == 403


def test_analyst_is_offered_no_write_action_on_any_admin(rf, django_user_model):
    """Every action but CSV export needs a write permission (an action without `permissions=` is
    offered to anyone who may view the list: an analyst could rotate a partner's key)."""
    from django.contrib import admin as django_admin

    analyst = django_user_model.objects.create_user("analyst", password="x", is_staff=True)
    analyst.groups.add(Group.objects.get(name=READ_ONLY_ANALYST))
    request = rf.get("/")
    request.user = django_user_model.objects.get(pk=analyst.pk)  # fresh permission cache
    offered = {
        f"{model._meta.label}.{name}"
        for model, model_admin in django_admin.site._registry.items()
        if model._meta.app_label in ROLE_APPS and model_admin.has_view_permission(request)
        for name in model_admin.get_actions(request)
        if name != "export_csv"
    }

    assert offered == set()
