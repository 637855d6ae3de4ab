"""Turning a webhook body into a payload dict: JSON objects and HTML-form encodings.

Works on the raw bytes and the Content-Type header alone (not on a live request), so a stored
rejected submission is re-processed through exactly the parse a live post gets: services read it
with `payload_read` (a refusal of the one service family), the webhook gate with `parse_body`
(the same refusal as its HTTP answer).
"""
from io import BytesIO

from django.conf import settings
from django.http import QueryDict
from django.http.multipartparser import MultiPartParser, MultiPartParserError
from django.core.exceptions import TooManyFieldsSent
from django.core.files.uploadhandler import MemoryFileUploadHandler
from django.utils.http import parse_header_parameters

from leadhub.api.exceptions import Refusal
from leadhub.api.parsers import (
    JSON_SENT_AS_FORM,
    JSON_TOO_DEEP,
    is_json_sent_as_form,
    json_depth_exceeds,
    json_loads,
    unstorable_values,
)
from leadhub.errors import ServiceRefusal

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"
ACCEPTED_MEDIA_TYPES = (JSON, FORM, MULTIPART)
# What the schema offers client generators; multipart is still accepted from senders that use it.
DOCUMENTED_MEDIA_TYPES = (JSON, FORM)


class BodyUnreadable(ServiceRefusal):
    """No payload can be read from a body. `status` is the webhook's answer to it: 400, or 415 for a
    content type it does not take."""

    def __init__(self, status, code, reason, *, errors=None):
        super().__init__(reason, errors=errors)
        self.status, self.code = status, code


def _as_refusal(exc: BodyUnreadable) -> Refusal:
    return Refusal(exc.status, exc.code, exc.reason, errors=exc.errors)


def media_type(content_type: str) -> tuple[str, dict]:
    media, params = parse_header_parameters(content_type or "")
    return media.lower(), params


def content_type_check(content_type: str) -> None:
    try:
        _content_type_accepted(content_type)
    except BodyUnreadable as exc:
        raise _as_refusal(exc) from None


def _content_type_accepted(content_type: str) -> None:
    if media_type(content_type)[0] not in ACCEPTED_MEDIA_TYPES:
        raise BodyUnreadable(
            415,
            "unsupported_media_type",
            f"Content-Type '{content_type or '(none)'}' is not accepted; send {', '.join(ACCEPTED_MEDIA_TYPES)}.",
        )


def method_check(method: str) -> None:
    if method != "POST":
        raise Refusal(405, "method_not_allowed", f"Method {method} is not accepted here: send the post with POST.",
                      headers={"Allow": "POST, OPTIONS"})


def accept_check(accept: str) -> None:
    """Every answer is JSON: an `Accept` that rules it out is refused (none, or any that allows
    JSON, is fine)."""
    if not accept.strip():
        return
    for item in accept.split(","):
        media, params = parse_header_parameters(item)
        if media.strip().lower() in ("*/*", "application/*", JSON) and params.get("q", "1").strip() not in (
                "0", "0.0", "0.00", "0.000"):
            return
    raise Refusal(406, "not_acceptable", f"Accept '{accept}' rules out the answer, which is always {JSON}.")


QUERY_NOT_SIGNED = "The signature covers only the body: send this field in the body, not the query string."


def query_check(query: dict, *, signed: bool) -> None:
    """A POST's query-string fields: refused on a signed webhook (the signature does not cover
    them), and, as a body's values, when no column can hold them."""
    if signed:
        raise Refusal(400, "query_fields_not_signed", f"{', '.join(query)}: {QUERY_NOT_SIGNED}",
                      errors={name: [QUERY_NOT_SIGNED] for name in query})
    if refused := unstorable_values(query):
        code, message, errors = refused
        raise Refusal(400, code, f"{', '.join(errors)}: {message}", errors=errors)


def body_too_large(size: int | None) -> Refusal:
    limit = settings.WEBHOOK_MAX_BODY_BYTES
    told = f"Body is {size} bytes" if size is not None else "Body is too large"
    return Refusal(413, "body_too_large", f"{told}; at most {limit} bytes are accepted.")


def _json_too_deep() -> BodyUnreadable:
    return BodyUnreadable(400, "json_too_deep", JSON_TOO_DEEP)


FILE_PART = "File uploads are not accepted here: send this field's value as text."


def _form_to_dict(querydict) -> dict:
    """Single values stay strings; a repeated field becomes a list, as a JSON client would send it."""
    return {key: values[0] if len(values) == 1 else values for key, values in querydict.lists()}


def parse_body(body: bytes, content_type: str) -> dict:
    """`payload_read` at the webhook: its refusal as the 400/415 `Refusal` the post is answered with."""
    try:
        return payload_read(body, content_type)
    except BodyUnreadable as exc:
        raise _as_refusal(exc) from None


def payload_read(body: bytes, content_type: str) -> dict:
    """The payload as a dict, or BodyUnreadable naming what is wrong with the body (and, for
    values no column can hold, each one's field path)."""
    payload = _parse(body, content_type)
    if refused := unstorable_values(payload):
        code, message, errors = refused
        raise BodyUnreadable(400, code, f"{', '.join(errors)}: {message}", errors=errors)
    return payload


def _parse(body: bytes, content_type: str) -> dict:
    _content_type_accepted(content_type)
    media, params = media_type(content_type)
    charset = params.get("charset") or settings.DEFAULT_CHARSET
    try:
        if media == JSON:
            try:
                payload = json_loads(body, strict=False)  # a raw tab or line break in a text, as form tools send
            except (ValueError, UnicodeDecodeError) as exc:
                raise BodyUnreadable(400, "malformed_json", f"Body is not valid JSON: {exc}.") from None
            except RecursionError:  # nested far past the limit
                raise _json_too_deep() from None
            if json_depth_exceeds(payload):
                raise _json_too_deep()
            if not isinstance(payload, dict):
                raise BodyUnreadable(400, "json_not_object", f"JSON body must be an object, not {type(payload).__name__}.")
            return payload
        if media == FORM:
            if is_json_sent_as_form(body):
                raise BodyUnreadable(400, "json_sent_as_form", JSON_SENT_AS_FORM)
            return _form_to_dict(QueryDict(body, encoding=charset))
        meta = {"CONTENT_TYPE": content_type, "CONTENT_LENGTH": str(len(body))}
        fields, files = MultiPartParser(meta, BytesIO(body), [MemoryFileUploadHandler()], charset).parse()
        if files:  # no endpoint takes files: silently dropping the part would lose what was sent
            raise BodyUnreadable(400, "file_not_accepted", f"{', '.join(files)}: {FILE_PART}",
                                 errors={name: [FILE_PART] for name in files})
        return _form_to_dict(fields)
    except TooManyFieldsSent:
        raise BodyUnreadable(400, "too_many_fields", "Form body has too many fields.") from None
    except (MultiPartParserError, LookupError) as exc:  # LookupError: unknown charset
        raise BodyUnreadable(400, "malformed_form", f"Form body could not be parsed: {exc}.") from None
