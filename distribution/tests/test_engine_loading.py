"""The engine turns its candidate rows into model instances with a copy of Django's row
conversion (distribution.engine._loaders, _instances): kept because loading through the public
API made a decision six to seven times slower (bench/distribution.py). These tests fail when a
Django upgrade changes what the copy relies on: the converters the ORM applies to a column, and
`Model.from_db` with the related objects cached, giving the values and types the ORM gives."""
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from distribution.engine import _JOINED, _loaders, candidates_for
from distribution.models import Offer, OfferKind, OfferWhere
from leadhub.testing import make_lead_offer, make_workspace

AT = datetime(2026, 7, 1, 15, tzinfo=ZoneInfo("UTC"))


def named(converters):
    """Converters by name: some backends make a fresh closure per column (SQLite's decimals)."""
    return [converter.__qualname__ for converter in converters]


def test_the_copy_applies_the_converters_the_orm_applies_to_each_column():
    query = OfferWhere.objects.select_related("offer__workspace").query
    compiler = query.get_compiler(connection=connection)
    compiler.setup_query()
    orm = compiler.get_converters([column for column, _sql, _alias in compiler.select])
    ours = [converters for _model, _names, fields in _loaders(connection.vendor) for _col, converters in fields]
    assert [model for model, _alias in _JOINED] == [OfferWhere, Offer, Offer._meta.get_field("workspace").related_model]
    assert len(ours) == len(compiler.select)
    assert {i: named(converters) for i, converters in enumerate(ours) if converters} == {
        i: named(converters) for i, (converters, _expression) in orm.items()}


@pytest.mark.django_db
def test_a_candidate_row_loads_as_the_orm_loads_it(django_assert_num_queries):
    buyer = make_workspace(time_zone="America/Chicago")
    make_lead_offer(buyer, zip_codes=["94105"], products=["solar"], price="12.50", exclusive_price=Decimal("20"),
                    schedule={"mon": [["09:00", "17:00"]]}, dates_off=["2026-12-25"], duplicate_days=30)
    [candidate] = candidates_for(kind=OfferKind.LEAD, zip_code="94105", state="CA", product="solar", at=AT)
    with django_assert_num_queries(0):  # the offer and its buyer come with the row
        loaded = [candidate.where, candidate.where.offer, candidate.offer.workspace]
    for instance in loaded:
        fresh = type(instance).objects.get(pk=instance.pk)
        for field in type(instance)._meta.concrete_fields:
            ours, theirs = getattr(instance, field.attname), getattr(fresh, field.attname)
            assert (ours, type(ours)) == (theirs, type(theirs)), f"{type(instance).__name__}.{field.name}"
        assert (instance._state.adding, instance._state.db) == (False, fresh._state.db)
