"""Celery tasks of the outbox: thin wrappers around workspaces.delivery.

`acks_late` + `reject_on_worker_lost`: a task whose worker dies is handed out again rather than
lost; the row's claim (see delivery) keeps that from becoming a second concurrent send.
"""
from celery import shared_task

from workspaces.delivery import outbox_deliver, outbox_sweep


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def deliver_event(event_id):
    outbox_deliver(event_id=event_id)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def sweep_outbox():
    return outbox_sweep()
