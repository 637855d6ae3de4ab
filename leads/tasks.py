"""Celery: consent-evidence verification, after the transaction that asked for it (no post waits
on a verifier). Both are idempotent: a piece already asked about is never asked again."""
from celery import shared_task

from leads.services.evidence import consent_evidence_verify, held_lead_evidence_check


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def verify_consent_evidence(evidence_id, advertiser_name=""):
    consent_evidence_verify(evidence_id=evidence_id, advertiser_name=advertiser_name)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def check_held_lead_evidence(lead_id):
    held_lead_evidence_check(lead_id=lead_id)
