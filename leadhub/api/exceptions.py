"""One JSON shape for every refused API request, so clients parse a single format."""
from django.http import JsonResponse


class Refusal(Exception):
    """A request refused on purpose: HTTP status, a machine-readable code and a human reason.

    `stored_code` / `stored_reason` are what ops see in the rejected-submission log when that is
    more precise than what the client may be told (e.g. "wrong key" vs "unknown provider").
    """

    def __init__(self, status, code, reason, *, errors=None, headers=None, stored_code=None, stored_reason=None):
        super().__init__(reason)
        self.status = status
        self.code = code
        self.reason = reason
        self.errors = errors or {}
        self.headers = headers or {}
        self.stored_code = stored_code or code
        self.stored_reason = stored_reason or reason


def failure_body(*, code, reason, request_id, errors=None):
    body = {"outcome": "failure", "reason": reason, "code": code}
    if errors:
        body["errors"] = errors
    body["request_id"] = request_id
    return body


def refusal_response(refusal, *, request_id):
    response = JsonResponse(
        failure_body(code=refusal.code, reason=refusal.reason, request_id=request_id, errors=refusal.errors),
        status=refusal.status,
    )
    for name, value in refusal.headers.items():
        response[name] = value
    return response
