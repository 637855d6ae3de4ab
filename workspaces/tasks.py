"""Celery tasks of the outbox: thin wrappers around workspaces.delivery.

`acks_late` + `reject_on_worker_lost`: a task whose worker dies is handed out again rather than
lost; the row's claim (see delivery) keeps that from becoming a second concurrent send. A task
that fails is acknowledged all the same: one that failed on the database says so
(`outbox_tasks_lost`), so the next sweep queues its event again.
"""
from celery import shared_task

from workspaces.delivery import DATABASE_DOWN, outbox_deliver, outbox_sweep, outbox_tasks_lost


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def deliver_event(event_id):
    try:
        outbox_deliver(event_id=event_id)
    except DATABASE_DOWN:
        outbox_tasks_lost()
        raise


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def sweep_outbox():
    return outbox_sweep()
