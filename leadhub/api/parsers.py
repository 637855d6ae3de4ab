"""JSON nesting limit, shared by the provider webhooks (providers.payloads) and the partner API.

No lead, appointment or conversion needs more than a few levels of grouping. Deeper bodies are
refused with a 400 naming the problem before anything walks them; without the limit a 1 MB body
of brackets drives Python's parser into RecursionError, which would surface as a 500.
"""
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_JSON_DEPTH = 20
JSON_TOO_DEEP = f"JSON body nests arrays/objects more than {MAX_JSON_DEPTH} levels deep."


def json_depth_exceeds(value, limit=MAX_JSON_DEPTH, depth=1) -> bool:
    """Whether arrays/objects in `value` nest more than `limit` levels (`{}` is one level).

    Recurses at most `limit + 1` levels, whatever the input."""
    if not isinstance(value, (dict, list)):
        return False
    if depth > limit:
        return True
    children = value.values() if isinstance(value, dict) else value
    return any(json_depth_exceeds(child, limit, depth + 1) for child in children)


class DepthLimitedJSONParser(JSONParser):
    """DRF's JSON parser plus the nesting limit."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(JSON_TOO_DEEP) from None
        if json_depth_exceeds(data):
            raise ParseError(JSON_TOO_DEEP)
        return data
