"""Celery app: outbound webhooks, appointment forwarding and nightly rollups."""
import os
import threading

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadhub.settings")

app = Celery("leadhub")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def task_run_later(task, *, args=(), kwargs=None, countdown=None):
    """Run `task` off its caller, never inside the caller's request. With a broker that is a queued
    task (its countdown honoured). Without one (Celery eager, the embedded default) a task would
    run inside its caller and ignore its countdown, so it runs in a daemon thread of this process
    once the countdown has passed, on its own database connection."""
    kwargs = kwargs or {}
    if not task.app.conf.task_always_eager:
        task.apply_async(args=args, kwargs=kwargs, **({} if countdown is None else {"countdown": countdown}))
        return

    def run():
        from django.db import connections

        try:
            task.apply(args=args, kwargs=kwargs)
        finally:
            connections.close_all()

    timer = threading.Timer(countdown or 0, run)
    timer.daemon = True
    timer.start()
