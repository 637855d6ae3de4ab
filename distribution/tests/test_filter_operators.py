"""Filter operators are one registry (distribution.offer_filters.OPERATORS): each operator an offer may
save (FilterOp) has its validator and its test, and one that lacks either is found here."""
import pytest

from distribution.offer_filters import OPERATORS, Operator, filter_compile
from distribution.models import FilterOp
from leads.models import Lead

# Per operator: a value it takes, a lead value it holds for and one it does not, and a value it refuses.
CASES = {
    FilterOp.EQ: ("CA", "ca", "NV", "CA, NV"),
    FilterOp.IN: ("CA, NV", "NV", "TX", ""),
    FilterOp.NOT_IN: ("CA, NV", "TX", "CA", ""),
    FilterOp.GTE: ("150", 150, 149, "lots"),
    FilterOp.LTE: ("150", 150, 151, "150, 200"),
    FilterOp.BETWEEN: ("100, 200", 200, 201, "200, 100"),
    FilterOp.PRESENT: ("", "CA", None, None),
    FilterOp.ABSENT: ("", None, "CA", None),
}
COLUMN = {FilterOp.GTE: "monthly_electric_bill", FilterOp.LTE: "monthly_electric_bill",
          FilterOp.BETWEEN: "monthly_electric_bill"}


def test_every_operator_an_offer_may_save_is_registered_with_both_parts():
    assert set(OPERATORS) == set(FilterOp.values) == set(CASES)
    assert all(isinstance(op, Operator) and callable(op.wanted) and callable(op.holds) for op in OPERATORS.values())


@pytest.mark.parametrize("op", list(CASES), ids=str)
def test_each_operator_validates_its_value_and_tests_the_lead(op):
    value, holds, fails, refused = CASES[op]
    column = COLUMN.get(op, "state")
    predicate = filter_compile(column, op, value)
    assert predicate(Lead(**{column: holds})) and not predicate(Lead(**{column: fails}))
    if refused is not None:
        with pytest.raises(ValueError, match=column):
            filter_compile(column, op, refused)


def test_an_unknown_operator_is_refused_naming_the_known_ones():
    with pytest.raises(ValueError, match="'near' is not a filter operator; use one of: eq, in"):
        filter_compile("state", "near", "CA")
