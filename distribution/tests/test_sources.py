"""Where distribution starts: a referral never goes back to the workspace that sent it, and a CSV
import distributes only when asked (`--distribute`)."""
import csv
import io

import pytest
from django.core.management import call_command

from distribution.models import Decision, Offer
from leadhub.testing import make_provider, make_webhook, make_workspace
from leadhub.testing.api import workspace_with_key
from leads.models import Lead
from providers.models import WebhookConfig

pytestmark = pytest.mark.django_db

REFERRAL = {
    "lead_type": "solar", "first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com",
    "phone": "(212) 736-5000", "zip_code": "10001", "consent": {"value": True, "description": "ok"},
    "tcpa_compliance": True,
}


def test_a_referral_is_never_distributed_back_to_the_workspace_that_sent_it():
    sender, client = workspace_with_key()
    Offer.objects.create(workspace=sender, priority=9)  # the sender is the best buyer of its own lead
    other = Offer.objects.create(workspace=make_workspace(), priority=1)
    WebhookConfig.objects.create(
        webhook_id=f"ws-{sender.pk}-solar", name="referrals", lead_type="solar", distribution_strategy="priority"
    )
    response = client.post("/api/v1/leads/", REFERRAL, format="json")
    assert response.status_code == 201, response.content
    lead = Lead.objects.get(pk=response.json()["lead_id"])
    assert lead.workspace_id == other.workspace_id
    decision = Decision.objects.get(lead=lead)
    assert [(c["workspace_id"], c["verdict"]) for c in decision.candidates] == [
        (sender.pk, "own_referral"), (other.workspace_id, "eligible")
    ]


def import_csv(tmp_path, webhook, provider, phone, *extra):
    path = tmp_path / f"{phone}.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["first_name", "last_name", "email", "phone", "zip_code", "consent_value", "tcpa_compliance"])
        writer.writerow(["Ada", "Lovelace", "ada@example.com", phone, "94105", "true", "yes"])
    call_command("import_leads", str(path), "--webhook", webhook.webhook_id, "--provider", provider.provider_id,
                 *extra, stdout=io.StringIO(), stderr=io.StringIO())
    return Lead.objects.get(phone=f"+1{phone}")


def test_import_leads_distributes_only_with_distribute(tmp_path):
    buyer = Offer.objects.create(workspace=make_workspace())
    webhook, provider = make_webhook(distribution_strategy="priority"), make_provider()
    kept = import_csv(tmp_path, webhook, provider, "4152004001")
    assert kept.workspace_id is None and not Decision.objects.filter(lead=kept).exists()
    sold = import_csv(tmp_path, webhook, provider, "4152004002", "--distribute")
    assert sold.workspace_id == buyer.workspace_id
    assert Decision.objects.get(lead=sold).offer_ids == [buyer.pk]
