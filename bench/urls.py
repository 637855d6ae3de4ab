"""The project's URLs plus `bench/bare/`: the framework's ceiling on this machine.

The bare endpoint parses JSON, checks four fields and inserts one row into a table the benchmark
creates itself; it is mounted only by bench/settings.py, never in the real application.
"""
import json
import re

from django.db import connection
from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from leadhub.urls import urlpatterns as project_urlpatterns

BARE_TABLE = "bench_bare_leads"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?1?\D*\d{3}\D*\d{3}\D*\d{4}$")


@csrf_exempt
def bare(request):
    try:
        payload = json.loads(request.body)
    except ValueError:
        return JsonResponse({"outcome": "failure", "reason": "Body is not valid JSON."}, status=400)
    errors = {
        name: ["This field is required."]
        for name in ("first_name", "last_name", "email", "phone")
        if not str(payload.get(name, "")).strip()
    }
    if "email" not in errors and not _EMAIL.match(payload["email"]):
        errors["email"] = ["Enter a valid email address."]
    if "phone" not in errors and not _PHONE.match(payload["phone"]):
        errors["phone"] = ["Enter a valid phone number."]
    if errors:
        return JsonResponse({"outcome": "failure", "errors": errors}, status=422)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {BARE_TABLE} (first_name, last_name, email, phone) VALUES (%s, %s, %s, %s) RETURNING id",
            [payload["first_name"], payload["last_name"], payload["email"], payload["phone"]],
        )
        (row_id,) = cursor.fetchone()
    return JsonResponse({"outcome": "success", "id": row_id}, status=201)


urlpatterns = [*project_urlpatterns, path("bench/bare/", bare)]
