"""ZIP entries have one parser: a routing rule and a forwarding rule with the same entries take
the same ZIPs, accept the same entries (`*` included) and refuse the same ones."""
import pytest
from django.core.exceptions import ValidationError

from distribution.services import appointment_decide
from leadhub.testing import make_workspace
from workspaces.forwarding import ZipCsvInvalid, zip_entries_from_csv
from workspaces.models import LeadForwardingRule
from workspaces.services import routing_rule_save
from workspaces.zips import ZipEntryKind, parse_zip_entry, zip5, zip_matches

ENTRY_LISTS = [["90210"], ["90210-90299"], ["902*"], ["*"], ["94105", "*"], [], ["10090-10210", "941*"]]
ZIPS = ["90210", "90210-1234", "902101234", "90255", "90300", "10150", "94199", "", "9021", "abcde"]


@pytest.mark.parametrize(
    "entry, parsed",
    [
        ("90210", (ZipEntryKind.EXACT, "90210", "90210")),
        (" 90210 - 90299 ", (ZipEntryKind.RANGE, "90210", "90299")),
        ("902*", (ZipEntryKind.PREFIX, "90200", "90299")),
        ("*", (ZipEntryKind.ANY, "00000", "99999")),
    ],
)
def test_each_kind_of_entry_parses_to_its_bounds(entry, parsed):
    assert parse_zip_entry(entry) == parsed


@pytest.mark.parametrize("zip_code, five", [("90210", "90210"), ("90210-1234", "90210"), ("902101234", "90210"),
                                            (" 90210 ", "90210"), ("9021", None), ("", None), (None, None)])
def test_the_zip_being_matched_is_its_five_digits(zip_code, five):
    assert zip5(zip_code) == five


@pytest.mark.django_db
@pytest.mark.parametrize("entries", ENTRY_LISTS, ids=lambda entries: ",".join(entries) or "empty")
def test_routing_and_forwarding_take_the_same_zips_for_the_same_entries(entries):
    routing_rule_save(workspace=make_workspace(), zip_codes=entries, product_types=[])
    for zip_code in ZIPS:
        routed = bool(appointment_decide(zip_code=zip_code, product="solar").winners)
        assert routed == zip_matches(entries, zip_code), zip_code


@pytest.mark.django_db
@pytest.mark.parametrize("entry", ["9021", "90299-90210", "90*", "abcde", "**", "90210-9029"])
def test_routing_and_forwarding_refuse_the_same_entries(entry):
    with pytest.raises(ValidationError) as routing:
        routing_rule_save(workspace=make_workspace(), zip_codes=[entry], product_types=[])
    forwarding = LeadForwardingRule(webhook_id="wh-x", target_url="https://partner.example/in", zip_codes=[entry])
    with pytest.raises(ValidationError) as rule_clean:
        forwarding.clean()
    with pytest.raises(ZipCsvInvalid) as csv_load:
        zip_entries_from_csv(f"94105\n{entry}\n")  # (a bad first row is a header)
    assert entry in str(routing.value.message_dict["zip_codes"])
    assert entry in str(rule_clean.value.message_dict["zip_codes"])
    assert entry in str(csv_load.value.errors["zip_csv"])
