"""Celery: retry a distribution that failed (the lead stayed unsold), retry unsold leads when
schedules open or caps reset (beat), and distribute stored leads no distribution decided on (beat)."""
from celery import shared_task

from .services import lead_distribute_retry, leads_undecided_distribute, unsold_leads_retry


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def distribute_lead(lead_id, attempt=2):
    lead_distribute_retry(lead_id=lead_id, attempt=attempt)


@shared_task(ignore_result=True)
def retry_unsold_leads():
    unsold_leads_retry()


@shared_task(ignore_result=True)
def distribute_undecided_leads():
    leads_undecided_distribute()
