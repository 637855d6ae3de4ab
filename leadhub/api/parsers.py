"""Limits on JSON bodies, shared by the provider webhooks (providers.payloads) and the partner API.

- Nesting: no lead, appointment or conversion needs more than a few levels of grouping. Deeper
  bodies are refused with a 400 before anything walks them; without the limit a 1 MB body of
  brackets drives Python's parser into RecursionError, which would surface as a 500.
- NUL characters (`\\u0000`): PostgreSQL cannot store them in text or jsonb, so a value carrying
  one would fail at INSERT time as a 500; it is refused up front as a 400 instead.
"""
import io
import json

from rest_framework.exceptions import ParseError
from rest_framework.parsers import FormParser, JSONParser

MAX_JSON_DEPTH = 20
JSON_TOO_DEEP = f"JSON body nests arrays/objects more than {MAX_JSON_DEPTH} levels deep."
NUL_CHARACTER = "Text may not contain NUL characters (\\u0000): they cannot be stored."


def json_depth_exceeds(value, limit=MAX_JSON_DEPTH, depth=1) -> bool:
    """Whether arrays/objects in `value` nest more than `limit` levels (`{}` is one level).

    Recurses at most `limit + 1` levels, whatever the input."""
    if not isinstance(value, (dict, list)):
        return False
    if depth > limit:
        return True
    children = value.values() if isinstance(value, dict) else value
    return any(json_depth_exceeds(child, limit, depth + 1) for child in children)


def contains_nul(value) -> bool:
    """Whether any key or string in a parsed body holds a NUL character (depth-checked bodies only)."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(contains_nul(key) or contains_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(contains_nul(item) for item in value)
    return False


class DepthLimitedJSONParser(JSONParser):
    """DRF's JSON parser plus the nesting and NUL limits."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(JSON_TOO_DEEP) from None
        if json_depth_exceeds(data):
            raise ParseError(JSON_TOO_DEEP)
        if contains_nul(data):
            raise ParseError(NUL_CHARACTER)
        return data


JSON_SENT_AS_FORM = (
    "The body is JSON but was sent as a form (Content-Type: application/x-www-form-urlencoded, curl's "
    "default for -d); send it with `Content-Type: application/json`."
)


def is_json_sent_as_form(body: bytes) -> bool:
    """Whether a form-encoded body is really a JSON object or array (a client that forgot the
    Content-Type). Parsed as a form it would be one nameless field and every real field "missing"."""
    text = body.strip()
    if text[:1] not in (b"{", b"["):
        return False
    try:
        json.loads(text)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return False
    return True


class JSONAwareFormParser(FormParser):
    """DRF's form parser, but a JSON body sent with the form content type is a 400 that says so."""

    def parse(self, stream, media_type=None, parser_context=None):
        body = stream.read() if stream is not None else b""
        if is_json_sent_as_form(body):
            raise ParseError(JSON_SENT_AS_FORM, code="json_sent_as_form")
        return super().parse(io.BytesIO(body), media_type, parser_context)
