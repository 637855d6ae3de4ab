"""Django's own error pages, as JSON under /api/: an API client never has to parse HTML.

Django answers some requests before any API view runs (a URL that matches no route, e.g.
`/api/v1/leads/abc/`; an unhandled exception). Under /api/ those answers use DRF's
`{"detail": ...}` shape, which the OpenAPI schema documents; the admin keeps its HTML pages.
"""
from django.http import JsonResponse
from django.views import defaults

API_PREFIX = "/api/"


def _is_api(request):
    return request.path.startswith(API_PREFIX)


def page_not_found(request, exception):
    if _is_api(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if _is_api(request):
        body = {"detail": "Server error.", "request_id": getattr(request, "request_id", "")}
        return JsonResponse(body, status=500)
    return defaults.server_error(request)
