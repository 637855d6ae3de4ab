"""The pipeline stage admin (leads/admin.py) as ops use it: reorder, add, deactivate, never lose history."""
import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from leadhub.testing import admin_url, make_lead
from leads.models import LeadPipelineStage, validate_pipeline_status

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(client):
    client.force_login(get_user_model().objects.create_superuser("root", password="x"))
    return client


def stage(name):
    return LeadPipelineStage.objects.get(name=name)


def test_changelist_follows_order_index_and_stages_can_be_added(superuser):
    LeadPipelineStage.objects.filter(name="qualified").update(order_index=0)
    response = superuser.get(admin_url(LeadPipelineStage, "changelist"))
    assert [row.name for row in response.context["cl"].result_list][:2] == ["qualified", "new"]

    response = superuser.post(
        admin_url(LeadPipelineStage, "add"), {"name": "site_visit", "description": "", "order_index": 35, "is_active": "on"}
    )
    assert response.status_code == 302
    assert stage("site_visit").is_active


def test_deactivated_stage_keeps_its_leads_but_no_new_lead_may_enter(superuser):
    lead = make_lead(status="contacted")
    response = superuser.post(
        admin_url(LeadPipelineStage, "changelist"),
        {"action": "deactivate_stages", "_selected_action": [stage("contacted").pk, stage("new").pk]},
    )
    assert response.status_code == 302
    assert not stage("contacted").is_active and stage("new").is_active

    lead.refresh_from_db()
    assert lead.status == "contacted"
    with pytest.raises(ValidationError, match="not an active pipeline stage"):
        validate_pipeline_status("contacted")


def test_stage_in_use_cannot_be_deleted_or_renamed_unused_one_can_be_deleted(superuser):
    make_lead(status="qualified")
    used, unused = stage("qualified"), stage("negotiating")

    assert superuser.post(admin_url(used, "delete", used.pk), {"post": "yes"}).status_code == 403
    change = superuser.get(admin_url(used, "change", used.pk))
    assert "name" in change.context["adminform"].readonly_fields
    actions = superuser.get(admin_url(LeadPipelineStage, "changelist")).context["action_form"].fields["action"].choices
    assert "delete_selected" not in [name for name, _label in actions]

    assert superuser.post(admin_url(unused, "delete", unused.pk), {"post": "yes"}).status_code == 302
    assert not LeadPipelineStage.objects.filter(name="negotiating").exists()


def test_entry_stage_cannot_be_deactivated(superuser):
    new = stage("new")
    response = superuser.post(
        admin_url(new, "change", new.pk), {"description": new.description, "order_index": new.order_index}
    )
    assert response.status_code == 200
    assert "receives every new lead" in response.content.decode()
    assert stage("new").is_active
