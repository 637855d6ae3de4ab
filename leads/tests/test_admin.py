"""Leads admin: every page renders, the audit trail is read-only, leads are not added by hand."""
import pytest
from django.apps import apps
from django.contrib import admin

from leadhub.testing import admin_url, assert_admin_pages_render, assert_admin_read_only, make_contact_history
from leads.models import (
    ConsentEvidence,
    Lead,
    LeadAccess,
    LeadActivity,
    LeadEvent,
    LeadHold,
    LeadPipelineStage,
    LeadStatusHistory,
    WorkspaceTracking,
)


@pytest.fixture
def history(db):
    return make_contact_history()


@pytest.mark.django_db
def test_lead_and_stage_pages_render(admin_client, history):
    lead = history["leads"][0]

    assert_admin_pages_render(admin_client, lead)
    assert_admin_pages_render(admin_client, LeadPipelineStage.objects.first())
    page = admin_client.get(admin_url(lead, "change", lead.pk))
    inline_models = {inline.opts.model for inline in page.context["inline_admin_formsets"]}
    assert inline_models == {
        LeadAccess, LeadHold, ConsentEvidence, LeadEvent, LeadStatusHistory, LeadActivity, type(history["appointment"]),
        type(history["conversion"]),
    }


@pytest.mark.django_db
@pytest.mark.parametrize("model", [LeadAccess, LeadEvent, LeadStatusHistory, LeadActivity, WorkspaceTracking])
def test_audit_tables_render_and_are_read_only(admin_client, history, model):
    row = model.objects.first()

    assert_admin_pages_render(admin_client, row)
    assert_admin_read_only(admin_client, row)


@pytest.mark.django_db
def test_leads_come_from_ingest_not_the_admin_and_stages_are_not_deleted(admin_client, history):
    stage = LeadPipelineStage.objects.first()

    assert admin_client.get(admin_url(Lead, "add")).status_code == 403
    assert admin_client.post(admin_url(stage, "delete", stage.pk), {"post": "yes"}).status_code == 403


@pytest.mark.django_db
def test_lead_changelist_filters_by_stage_and_finds_typed_phone(admin_client, history):
    lead = history["leads"][0]
    digits = lead.phone[2:]
    typed = f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"

    by_stage = admin_client.get(admin_url(Lead, "changelist"), {"status": "new"})
    by_phone = admin_client.get(admin_url(Lead, "changelist"), {"q": typed})

    assert {row.pk for row in by_stage.context["cl"].result_list} == {lead.pk for lead in history["leads"]}
    assert {row.pk for row in by_phone.context["cl"].result_list} == {lead.pk for lead in history["leads"]}


def test_every_leads_model_is_in_the_admin():
    assert set(apps.get_app_config("leads").get_models()) <= set(admin.site._registry)
