"""The shared ZIP/product matcher."""
import pytest

from leadhub.testing import make_workspace
from workspaces.models import AppointmentRoutingRule
from workspaces.routing import match_workspace

pytestmark = pytest.mark.django_db


def rule(workspace=None, **fields):
    return AppointmentRoutingRule.objects.create(workspace=workspace or make_workspace(), **fields)


def test_zip_and_product_must_both_match_case_insensitively():
    solar = rule(zip_codes=["94105", "94107"], product_types=["Solar"])
    rule(zip_codes=["94105"], product_types=["Kitchen"])
    assert match_workspace(zip_code="94107", product="solar") == (solar.workspace, solar)
    assert match_workspace(zip_code="94107-1234", product="SOLAR") == (solar.workspace, solar)
    assert match_workspace(zip_code="10001", product="solar") is None
    assert match_workspace(zip_code="94107", product="bath") is None


def test_empty_product_list_means_any_product():
    any_product = rule(zip_codes=["60601"], product_types=[])
    assert match_workspace(zip_code="60601", product="Roofing") == (any_product.workspace, any_product)


def test_lowest_priority_number_wins_then_oldest_rule():
    first_low = rule(zip_codes=["94105"], priority=2)
    rule(zip_codes=["94105"], priority=3)
    assert match_workspace(zip_code="94105", product="x")[1] == first_low
    top = rule(zip_codes=["94105"], priority=1)
    rule(zip_codes=["94105"], priority=1)
    assert match_workspace(zip_code="94105", product="x")[1] == top


def test_inactive_rules_and_inactive_workspaces_never_match():
    rule(zip_codes=["94105"], is_active=False)
    rule(make_workspace(is_active=False), zip_codes=["94105"])
    assert match_workspace(zip_code="94105", product="solar") is None
