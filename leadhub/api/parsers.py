"""Limits on request bodies, shared by the provider webhooks (providers.payloads) and the partner API
(and the NUL rule for query strings, shared by the partner API and the admin).

- Nesting: no lead, appointment or conversion needs more than a few levels of grouping. Deeper
  bodies are refused with a 400 before anything walks them; without the limit a 1 MB body of
  brackets drives Python's parser into RecursionError, which would surface as a 500.
- Values no column can hold, refused up front as a 400 naming each one's field path instead of
  failing at INSERT time as a 500: NUL characters (`\\u0000`; PostgreSQL text and jsonb cannot
  store them), unpaired UTF-16 surrogates (`"\\ud800"` is valid JSON but no character: no
  database, page or answer can encode it as UTF-8) and numbers that are not finite (`NaN` and
  `Infinity`, which are not JSON but Python's parser takes, `1e400`, which overflows a double to
  infinity, and integers too long for Python's int(); jsonb and numeric columns refuse them, and
  they would land in `raw_payload` or `custom_data` wherever they sit).
"""
import io
import json
import math
import re
from itertools import islice

from rest_framework import status
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.parsers import FormParser, JSONParser, get_encoding

MAX_JSON_DEPTH = 20
JSON_TOO_DEEP = f"JSON body nests arrays/objects more than {MAX_JSON_DEPTH} levels deep."
NUL_CHARACTER = "Text may not contain NUL characters (\\u0000): they cannot be stored."
UNPAIRED_SURROGATE = ("Text may not contain an unpaired UTF-16 surrogate (\\ud800 to \\udfff): it is no character "
                      "and cannot be stored.")
NOT_FINITE = ("Must be a finite number: NaN, Infinity and numbers beyond about ±1.8e308 (such as 1e400) "
              "cannot be stored.")
# Enough for a sender to see the pattern; a body full of them does not make a huge answer or log row.
MAX_NAMED_PATHS = 10


def json_depth_exceeds(value, limit=MAX_JSON_DEPTH, depth=1) -> bool:
    """Whether arrays/objects in `value` nest more than `limit` levels (`{}` is one level).

    Recurses at most `limit + 1` levels, whatever the input."""
    if not isinstance(value, (dict, list)):
        return False
    if depth > limit:
        return True
    children = value.values() if isinstance(value, dict) else value
    return any(json_depth_exceeds(child, limit, depth + 1) for child in children)


def _json_int(text: str):
    """An integer past int()'s digit limit is past every column too: an infinity, so it is named
    like one instead of failing the whole parse."""
    try:
        return int(text)
    except ValueError:
        return float(text)


def json_loads(data, *, strict=True):
    """json.loads (bytes or text) where NaN / Infinity literals and out-of-range numbers come back
    as float infinities or NaN, for `unstorable_values` to name by field path. `strict=False` takes
    control characters (a raw tab or line break) inside strings."""
    return json.loads(data, parse_constant=float, parse_int=_json_int, strict=strict)


def _join(path: str, key) -> str:
    # The path is shown and stored: a NUL or a surrogate in a key is spelled as its escape.
    key = str(key).replace("\x00", "\\u0000").encode("utf-8", "backslashreplace").decode("utf-8")
    return f"{path}.{key}" if path else key


def _keys_and_leaves(value, path=""):
    """(field path, item) for every object key and every leaf value of a depth-checked body;
    paths are dotted as `leadhub.api.exceptions.field_errors` spells them (`custom_data.tags.1`)."""
    if isinstance(value, dict):
        for key, item in value.items():
            item_path = _join(path, key)
            yield item_path, key
            yield from _keys_and_leaves(item, item_path)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _keys_and_leaves(item, _join(path, index))
    else:
        yield path, value


def _has_nul(item) -> bool:
    return isinstance(item, str) and "\x00" in item


_SURROGATE = re.compile("[\ud800-\udfff]")


def _has_surrogate(item) -> bool:
    """A pair (`"\\ud83d\\ude00"`) is parsed into its one character: what is left is unpaired."""
    return isinstance(item, str) and _SURROGATE.search(item) is not None


NUL_IN_QUERY = "May not contain a NUL character (%00)."


def nul_parameters(query) -> list[str]:
    """The names of a query string's parameters (a QueryDict) whose name or any value holds a
    NUL (`%00`), escaped for showing. PostgreSQL text cannot hold one, so a filter, search or
    lookup passing it to a query would end in a DataError; no parameter of ours means anything
    with one."""
    return [_join("", name) for name, values in query.lists() if _has_nul(name) or any(map(_has_nul, values))]


def _not_finite(item) -> bool:
    return isinstance(item, float) and not math.isfinite(item)


UNSTORABLE = (("nul_character", NUL_CHARACTER, _has_nul), ("unpaired_surrogate", UNPAIRED_SURROGATE, _has_surrogate),
              ("number_not_finite", NOT_FINITE, _not_finite))


def unstorable_values(value):
    """(code, message, {field path: [message]}) for the first kind of value in a parsed body that
    cannot be stored, or None. A value at the top (a body that is one string) is under
    `non_field_errors`."""
    for code, message, unstorable in UNSTORABLE:
        paths = islice(dict.fromkeys(path for path, item in _keys_and_leaves(value) if unstorable(item)),
                       MAX_NAMED_PATHS)
        errors = {path or "non_field_errors": [message] for path in paths}
        if errors:
            return code, message, errors
    return None


class UnstorableValues(ValidationError):
    """The 400 for a partner body holding unstorable values: a ValidationError, so the error body
    lists them per field path, with the status and code of the other parse errors."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "parse_error"


class DepthLimitedJSONParser(JSONParser):
    """DRF's JSON parser plus the nesting limit and the refusal of unstorable values."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = get_encoding(parser_context or {})
        try:
            data = json_loads(stream.read().decode(encoding))
        except RecursionError:
            raise ParseError(JSON_TOO_DEEP) from None
        except ValueError as exc:  # UnicodeDecodeError too
            raise ParseError(f"JSON parse error - {exc}") from None
        if json_depth_exceeds(data):
            raise ParseError(JSON_TOO_DEEP)
        if refused := unstorable_values(data):
            code, _message, errors = refused
            raise UnstorableValues(errors, code=code)
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
