"""Celery tasks of the providers app: thin wrappers around services."""
from celery import shared_task

from providers.services.lifecycle import webhook_finalize_deletions
from providers.services.rejected import rejected_submissions_purge
from providers.services.replay import signature_receipts_purge


@shared_task
def finalize_webhook_deletions():
    """Beat: close for good the deleted webhook configs whose restore window has passed."""
    return webhook_finalize_deletions()


@shared_task
def purge_rejected_submissions():
    """Beat: forget refused posts older than REJECTED_RETENTION_DAYS."""
    return rejected_submissions_purge()


@shared_task
def purge_signature_receipts():
    """Beat: forget signed posts whose signature window has long passed."""
    return signature_receipts_purge()
