"""Beat entry point (CELERY_BEAT_SCHEDULE `statements-close`); the work is billing.services'."""
from celery import shared_task

from billing.services import statements_close_due


@shared_task(name="billing.tasks.close_statements")
def close_statements():
    return statements_close_due()
