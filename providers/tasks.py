"""Celery tasks of the providers app: thin wrappers around services."""
from celery import shared_task

from providers.services import webhook_finalize_deletions


@shared_task
def finalize_webhook_deletions():
    """Beat: close for good the deleted webhook configs whose restore window has passed."""
    return webhook_finalize_deletions()
