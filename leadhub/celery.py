"""Celery app: outbound webhooks, appointment forwarding and nightly rollups."""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadhub.settings")

app = Celery("leadhub")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
