"""Ops edit a webhook's field and value mapping as rows on its admin page, try a sample post through
the same cleaning, and the provider's quick start shows the mapping read-only."""
import html
import json

import pytest
from django.contrib.auth import get_user_model

from leadhub.testing import admin_change_form_data, admin_url, make_mapping, make_webhook
from leads.models import Lead
from providers.models import WebhookFieldMapping, WebhookValueMapping

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(get_user_model().objects.create_superuser("ops", "ops@example.com", "pw-not-used-1"))
    return client


def prefix_of(page, model):
    return next(inline.formset.prefix for inline in page.context["inline_admin_formsets"]
                if inline.formset.model is model)


def post_rows(admin_client, webhook, fields=(), values=(), **changes):
    """The webhook's admin page posted back with these mapping rows: `fields` (source field, field),
    `values` (field, source value, value)."""
    page = admin_client.get(admin_url(webhook, "change", webhook.pk))
    data = {name: "" if value is None else value for name, value in admin_change_form_data(page, webhook).items()}
    for model, rows, names in ((WebhookFieldMapping, fields, ("source_field", "field")),
                               (WebhookValueMapping, values, ("field", "source_value", "value"))):
        prefix = prefix_of(page, model)
        data[f"{prefix}-TOTAL_FORMS"] = str(len(rows))
        data.update({f"{prefix}-{n}-{name}": value for n, row in enumerate(rows)
                     for name, value in zip(names, row, strict=True)})
    return admin_client.post(admin_url(webhook, "change", webhook.pk), {**data, **changes})


def test_ops_map_fields_and_values_as_rows_and_the_webhook_reads_them(admin_client):
    webhook = make_webhook()

    response = post_rows(admin_client, webhook, fields=[("Primary_Phone", "phone")],
                         values=[("consent_value", "Yes", "true")], strict="on")

    assert response.status_code == 302, response.content.decode()[:2000]
    webhook.refresh_from_db()
    assert webhook.strict
    assert webhook.payload_mapping == {"fields": {"primaryphone": "phone"}, "values": {"consentvalue": {"yes": "true"}}}


def test_a_mapping_row_naming_no_leadhub_field_is_refused_on_the_row_with_the_field_it_meant(admin_client):
    webhook = make_webhook()

    response = post_rows(admin_client, webhook, fields=[("Zip", "zip_cod"), ("When", "scheduled_at")],  # an appointment's
                         values=[("consnet", "Yes", "true")])

    assert response.status_code == 200  # the page again, with the rows' errors
    formsets = {inline.formset.model: inline.formset for inline in response.context["inline_admin_formsets"]}
    assert formsets[WebhookFieldMapping].errors[0] == {"field": ["'zip_cod' is no leadhub field: did you mean "
                                                                 "'zip_code'?"]}
    assert formsets[WebhookFieldMapping].errors[1] == {}
    assert formsets[WebhookValueMapping].errors[0] == {"field": ["'consnet' is no leadhub field: did you mean "
                                                                 "'consent_value'?"]}
    assert not WebhookFieldMapping.objects.exists() and not WebhookValueMapping.objects.exists()


def test_a_sample_post_shows_the_cleaned_lead_and_what_was_ignored_storing_nothing(admin_client):
    webhook = make_webhook(lead_type="hvac")
    make_mapping(webhook, fields={"Primary_Phone": "phone"}, values={"consent_value": {"Yes": "true"}})
    sample = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com", "Primary_Phone": "4155550132",
              "consent_value": "Yes", "zip_cod": "94105", "monthly_electric_bill": "120"}
    url = admin_url(webhook, "sample_post", webhook.pk)
    assert admin_client.get(admin_url(webhook, "change", webhook.pk)).content.decode().count(url) == 1

    response = admin_client.post(url, {"body": json.dumps(sample)})

    assert response.status_code == 200
    shown = json.loads(html.unescape(response.content.decode().split('<pre id="sample-result">')[1].split("</pre>")[0]))
    assert (shown["lead"]["phone"], shown["lead"]["consent_value"]) == ("+14155550132", True)
    assert shown["unknown_fields"] == [{"field": "zip_cod", "did_you_mean": "zip_code"}]
    assert shown["ignored_fields"] == ["monthly_electric_bill"]
    assert shown["errors"] == {}
    assert not Lead.objects.exists()


def test_the_quick_start_shows_a_webhooks_mapping_read_only(client):
    webhook = make_webhook(strict=True)
    make_mapping(webhook, fields={"Primary_Phone": "phone"}, values={"property_type": {"Own": "owner"}})

    page = client.get("/api/docs/providers/", {"webhook": webhook.webhook_id}).content.decode()
    plain = client.get("/api/docs/providers/").content.decode()

    section = page.split('<section id="webhook-mapping">')[1].split("</section>")[0]
    assert "<code>Primary_Phone</code></td><td><code>phone</code>" in section
    assert "<code>property_type</code></td><td><code>Own</code></td><td><code>owner</code>" in section
    assert "strict" in section
    assert "<form" not in section and "webhook-mapping" not in plain
