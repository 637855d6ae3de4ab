"""Liveness/readiness probe for load balancers and ops."""
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse


def _database_status():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return "ok"
    except Exception as exc:  # any driver error means "not ready"
        return f"error: {exc.__class__.__name__}"


def _redis_status():
    if not settings.REDIS_URL:
        return "disabled"
    try:
        client = cache.client.get_client(write=True)  # django-redis raw client: bypasses IGNORE_EXCEPTIONS
        client.ping()
        return "ok"
    except Exception as exc:
        return f"error: {exc.__class__.__name__}"


def healthz(request):
    database = _database_status()
    redis = _redis_status()
    status = 200 if database == "ok" else 503
    return JsonResponse(
        {"status": "ok" if status == 200 else "unavailable", "database": database, "redis": redis},
        status=status,
    )
