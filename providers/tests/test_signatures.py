"""providers.signatures: the HMAC scheme partners implement, checked without HTTP."""
import hashlib
import hmac

import pytest

from providers.signatures import SignatureError, sign, verify

SECRET = "whsec_unit"
BODY = b'{"first_name": "Ada"}'
NOW = 1_800_000_000


def test_sign_matches_the_documented_formula():
    expected = hmac.new(SECRET.encode(), b"1800000000." + BODY, hashlib.sha256).hexdigest()

    assert sign(SECRET, BODY, t=NOW) == f"t=1800000000,v1={expected}"


def test_fresh_signature_verifies():
    verify(SECRET, sign(SECRET, BODY, t=NOW), BODY, now=NOW + 299)


def test_any_of_several_v1_values_may_match_during_secret_rotation():
    old = sign("whsec_old", BODY, t=NOW)
    new_mac = sign(SECRET, BODY, t=NOW).split("v1=")[1]

    verify(SECRET, f"{old},v1={new_mac}", BODY, now=NOW)


@pytest.mark.parametrize(
    "header, now, code",
    [
        (None, NOW, "signature_missing"),
        ("", NOW, "signature_missing"),
        ("v1=abc", NOW, "signature_malformed"),
        ("t=soon,v1=abc", NOW, "signature_malformed"),
        ("t=1800000000", NOW, "signature_malformed"),
        ("t=1800000000,v1=é", NOW, "signature_invalid"),
        ("t=1800000000,v1=" + "0" * 64, NOW, "signature_invalid"),
        (sign(SECRET, BODY, t=NOW), NOW + 301, "signature_expired"),
        (sign(SECRET, BODY, t=NOW), NOW - 301, "signature_in_future"),
    ],
)
def test_bad_signatures_say_what_is_wrong(header, now, code):
    with pytest.raises(SignatureError) as caught:
        verify(SECRET, header, BODY, now=now)

    assert caught.value.code == code
    assert caught.value.reason


def test_uppercase_hex_is_accepted():
    header = sign(SECRET, BODY, t=NOW)
    t_part, mac = header.split(",v1=")

    verify(SECRET, f"{t_part},v1={mac.upper()}", BODY, now=NOW)
