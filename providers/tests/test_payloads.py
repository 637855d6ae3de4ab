"""providers.payloads: one parse for live posts and re-processing, with a 400 naming the problem."""
import pytest

from leadhub.api.exceptions import Refusal
from leadhub.errors import ServiceRefusal
from providers.payloads import BodyUnreadable, parse_body, payload_read


@pytest.mark.parametrize(
    "content_type, body, expected",
    [
        ("application/json", b'{"a": 1, "b": {"c": true}}', {"a": 1, "b": {"c": True}}),
        ("Application/JSON; charset=utf-8", b'{"a": "x"}', {"a": "x"}),
        ("application/x-www-form-urlencoded", b"a=1&b=%C3%A9&b=2", {"a": "1", "b": ["\u00e9", "2"]}),
        ("application/x-www-form-urlencoded; charset=latin-1", b"a=%E9", {"a": "\u00e9"}),
        (
            "multipart/form-data; boundary=XyZ",
            b'--XyZ\r\nContent-Disposition: form-data; name="first_name"\r\n\r\nAda\r\n--XyZ--\r\n',
            {"first_name": "Ada"},
        ),
    ],
)
def test_accepted_encodings_parse_to_a_dict(content_type, body, expected):
    assert parse_body(body, content_type) == expected


@pytest.mark.parametrize(
    "content_type, body, status, code",
    [
        ("application/json", b"{", 400, "malformed_json"),
        ("application/json", b"NaN", 400, "json_not_object"),
        ("application/json", b'{"a": NaN}', 400, "number_not_finite"),
        ("application/json", b"\xff\xfe\x00", 400, "malformed_json"),
        ("application/json", b'"just a string"', 400, "json_not_object"),
        ("application/x-www-form-urlencoded; charset=bogus", b"a=1", 400, "malformed_form"),
        ("multipart/form-data", b"no boundary", 400, "malformed_form"),
        ("text/plain", b"a=1", 415, "unsupported_media_type"),
        ("", b"a=1", 415, "unsupported_media_type"),
    ],
)
def test_bad_bodies_are_refused_saying_why(content_type, body, status, code):
    with pytest.raises(Refusal) as caught:
        parse_body(body, content_type)

    assert (caught.value.status, caught.value.code) == (status, code)
    assert caught.value.reason
    with pytest.raises(BodyUnreadable) as read:  # a service (re-processing) reads the same refusal
        payload_read(body, content_type)
    assert isinstance(read.value, ServiceRefusal)
    assert (read.value.status, read.value.code, read.value.reason) == (status, code, caught.value.reason)


def test_too_many_form_fields_is_400(settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 3

    with pytest.raises(Refusal) as caught:
        parse_body(b"a=1&b=2&c=3&d=4", "application/x-www-form-urlencoded")

    assert caught.value.code == "too_many_fields"
