"""One JSON body for every refused or failed request under /api/, so clients parse a single format:

    {"code": "...", "message": "...", "errors": {"field": ["..."]}, "request_id": "..."}

Provider webhooks add `outcome` and `reason` (see `failure_body`). `api_exception_handler` turns
every DRF, Django and service exception a view raises into it; `leadhub.middleware.ApiErrorMiddleware`
does the same for answers Django gives before or after any view (no route, a crash, DEBUG pages).

Status rule: 400 a malformed request (query parameters, body shape, content type), 401/403/404,
409 a conflict, 422 invalid values in a well-formed body.
"""
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from leadhub.api.parsers import JSON_SENT_AS_FORM, is_json_sent_as_form
from leadhub.errors import ServiceConflict, ServiceRefusal, errors_message


class Refusal(Exception):
    """A request refused on purpose: HTTP status, a machine-readable code and a human reason.

    `stored_code` / `stored_reason` are what ops see in the rejected-submission log when that is
    more precise than what the client may be told (e.g. "wrong key" vs "unknown provider").
    """

    def __init__(self, status, code, reason, *, errors=None, headers=None, stored_code=None, stored_reason=None,
                 fields=None):
        super().__init__(reason)
        self.status = status
        self.code = code
        self.reason = reason
        self.errors = errors or {}
        self.fields = fields or {}
        self.headers = headers or {}
        self.stored_code = stored_code or code
        self.stored_reason = stored_reason or reason

    @classmethod
    def from_service(cls, exc: ServiceRefusal):
        return cls(service_refusal_status(exc), exc.code, exc.reason, errors=exc.errors, fields=exc.fields,
                   stored_code=exc.stored_code)


class MalformedRequest(exceptions.ValidationError):
    """A 400: the request itself is wrong (unknown or invalid query parameters, unknown body
    fields), as opposed to a plain ValidationError, which is a 422 on the values of a body."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid_request"


def service_refusal_status(exc: ServiceRefusal) -> int:
    return status.HTTP_409_CONFLICT if isinstance(exc, ServiceConflict) else status.HTTP_422_UNPROCESSABLE_ENTITY


def error_body(*, code, message, request_id, errors=None, **extra):
    return {"code": code, "message": message, "errors": errors or {}, **extra, "request_id": request_id}


def failure_body(*, code, reason, request_id, status_code=400, errors=None, **extra):
    """A provider webhook's refusal: the error body plus `outcome` ("error" for our own 5xx) and `reason`."""
    outcome = "error" if status_code >= 500 else "failure"
    return {"outcome": outcome, "reason": reason,
            **error_body(code=code, message=reason, request_id=request_id, errors=errors, **extra)}


def refusal_response(refusal, *, request_id, **extra):
    """The refusal's body: `extra` (the endpoint's keys, all null) with what the refusal itself
    says of them (`refusal.fields`)."""
    body = failure_body(code=refusal.code, reason=refusal.reason, request_id=request_id,
                        status_code=refusal.status, errors=refusal.errors, **{**extra, **refusal.fields})
    response = JsonResponse(body, status=refusal.status)
    for name, value in refusal.headers.items():
        response[name] = value
    return response


def field_errors(detail, prefix="") -> dict:
    """DRF error detail as `{"field": ["message", ...]}`; nested fields are dotted (`consent.value`,
    `items.0.email`) and errors about the body as a whole are under `non_field_errors`."""
    if isinstance(detail, dict):
        errors = {}
        for key, value in detail.items():
            errors.update(field_errors(value, f"{prefix}{key}" if not prefix else f"{prefix}.{key}"))
        return errors
    if isinstance(detail, list) and any(isinstance(item, (dict, list)) for item in detail):
        errors = {}
        for index, item in enumerate(detail):
            errors.update(field_errors(item, f"{prefix}.{index}" if prefix else str(index)))
        return errors
    messages = detail if isinstance(detail, list) else [detail]
    return {prefix or "non_field_errors": [str(message) for message in messages]}


def _as_api_exception(exc):
    """Django and service exceptions as the DRF exception that carries their status."""
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied()
    return exc


def _is_json_sent_as_form(request) -> bool:
    """A JSON-only endpoint given curl's default form content type with a JSON body: say what to
    fix (send `Content-Type: application/json`) rather than only that the type is unsupported."""
    if request is None or not request.content_type.startswith("application/x-www-form-urlencoded"):
        return False
    return is_json_sent_as_form(request._request.body)


def api_exception_handler(exc, context):
    """REST_FRAMEWORK["EXCEPTION_HANDLER"]: every exception a view raises, in the one body."""
    request = context.get("request")
    request_id = getattr(request, "request_id", "") if request is not None else ""
    if isinstance(exc, Refusal):
        set_rollback()
        return refusal_response(exc, request_id=request_id)
    if isinstance(exc, ServiceRefusal):
        set_rollback()
        extra = {"allowed": exc.allowed} if hasattr(exc, "allowed") else {}
        body = error_body(code=exc.code, message=exc.reason, request_id=request_id, errors=exc.errors,
                          **{**extra, **exc.fields})
        # A DRF Response, rendered as every other error body below: a refusal of code `validation`
        # answers byte for byte what the Django ValidationError it replaced answered.
        return Response(body, status=service_refusal_status(exc))
    if isinstance(exc, DjangoValidationError):
        extra = {"allowed": exc.allowed} if hasattr(exc, "allowed") else {}
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
        exc.extra = extra
    if isinstance(exc, exceptions.UnsupportedMediaType) and _is_json_sent_as_form(request):
        exc = exceptions.ParseError(JSON_SENT_AS_FORM, code="json_sent_as_form")
    exc = _as_api_exception(exc)
    response = drf_exception_handler(exc, context)  # status, Retry-After, WWW-Authenticate, rollback
    if response is None:
        return None  # a crash: ApiErrorMiddleware answers the 500
    extra = dict(getattr(exc, "extra", {}))
    if isinstance(exc, exceptions.ValidationError):
        errors = field_errors(exc.detail)
        if type(exc) is exceptions.ValidationError:
            response.status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
        code = "validation" if response.status_code == 422 else exc.default_code
        body = error_body(code=code, message=errors_message(errors), request_id=request_id,
                          errors=errors, **extra)
    elif isinstance(exc.detail, dict) and "detail" not in exc.detail:  # messages per field, e.g. a 409 on a header
        errors = field_errors(exc.detail)
        body = error_body(code=exc.default_code, message=errors_message(errors), request_id=request_id,
                          errors=errors, **extra)
    else:
        detail = exc.detail
        if isinstance(detail, dict):  # e.g. {"detail": "...", "missing_scope": "leads:write"}
            extra.update({key: value for key, value in detail.items() if key != "detail"})
            detail = detail["detail"]
        code = getattr(detail, "code", None) or exc.default_code
        body = error_body(code=code, message=str(detail), request_id=request_id, **extra)
    response.data = body
    return response


# What Django itself answers under /api/ (leadhub.middleware.ApiErrorMiddleware), by status.
STATUS_ERRORS = {
    400: ("bad_request", "The request could not be understood."),
    403: ("permission_denied", "You do not have permission to perform this action."),
    404: ("not_found", "No such API route or object."),
    405: ("method_not_allowed", "This method is not allowed on this route."),
    413: ("body_too_large", "The request body is too large."),
    500: ("server_error", "Server error; quote the request_id when asking us about it."),
}


def status_error_response(status_code, *, request_id):
    code, message = STATUS_ERRORS.get(status_code, STATUS_ERRORS[500 if status_code >= 500 else 400])
    return JsonResponse(error_body(code=code, message=message, request_id=request_id), status=status_code)
