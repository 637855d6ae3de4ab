"""Hostile query strings never end in a 500: every query parameter of every partner API list route
and every list-filter and date-hierarchy parameter of every admin changelist, each sent alone,
with values that reach past what the databases take: a NUL (PostgreSQL text cannot hold one,
so it is a 400 naming the parameter wherever it is sent), numbers past 64 bits or not finite,
and dates off the calendar or pushed off it by an offset, the ops zone or a drill-down's step.
"""
import re
from urllib.parse import urlencode

import pytest
from django import forms
from django.contrib import admin
from django.contrib.admin import FieldListFilter
from django.contrib.admin.utils import get_fields_from_path
from django.test import Client, RequestFactory
from django.urls import URLResolver, get_resolver
from rest_framework import serializers

from leadhub.testing import admin_url, assert_error, make_appointment, make_contact_history, make_conversion, make_lead
from leadhub.testing.api import workspace_with_key
from workspaces.api.partner import PartnerAPIMixin, accepted_query_params

pytestmark = pytest.mark.django_db

NUL = "\x00"
# By what a parameter is parsed into: text is compared as text, so only a NUL reaches past what
# a database takes; numbers and dates are parsed first, and these reach past 64 bits, finiteness
# and the calendar (year 10000 in UTC; year 0 is the same path, proven on a few columns below).
TEXT = [NUL]
NUMBERS = [NUL, "9" * 30, "inf", "1e999"]
DATES = [NUL, "9" * 30, "2026-02-30", "9999-12-31T23:59:59-12:00"]
UNKNOWN = [NUL, "9" * 30, "inf", "9999-12-31T23:59:59-12:00"]  # a custom filter's, and pagination's
DATE_FIELDS = (forms.DateField, forms.DateTimeField, serializers.DateField, serializers.DateTimeField)
NUMBER_FIELDS = (forms.IntegerField, forms.DecimalField, forms.FloatField, forms.ModelChoiceField,
                 forms.NullBooleanField, forms.BooleanField, serializers.IntegerField, serializers.DecimalField)
# The date hierarchy reads its drill-down in the ops zone: each edge in a zone that pushes it over
# (Tokyo's year-1 local time is UTC+9:19, so 0001-01-01 there is in year 0 in UTC; Los Angeles' 9999
# is UTC-8, and the step after its last day, month or year is in year 10000).
ZONED = {"Asia/Tokyo": [{"year": "1"}, {"year": "1", "month": "1", "day": "1"}],
         "America/Los_Angeles": [{"year": "9999"}, {"year": "9999", "month": "12"},
                                 {"year": "9999", "month": "12", "day": "31"}]}
HIERARCHY = [{"year": "9" * 30}, {"year": "0"}, {"year": NUL}, {"year": "2026", "month": "13"}]


def values_for(field):
    """The hostile values for a parameter parsed by `field` (a form or serializer field; a range's halves count)."""
    if field is None:
        return UNKNOWN
    parts = getattr(field, "fields", None) or [field]
    if any(isinstance(part, DATE_FIELDS) for part in parts):
        return DATES
    if any(isinstance(part, NUMBER_FIELDS) for part in parts):
        return NUMBERS
    return TEXT


def partner_list_routes():
    """(path, view class) of every partner GET route that names no object."""
    found = []

    def walk(patterns, prefix):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + str(pattern.pattern))
                continue
            view_class = getattr(pattern.callback, "cls", None)
            actions = getattr(pattern.callback, "actions", None) or {}
            path = "/" + (prefix + str(pattern.pattern)).replace("^", "").replace("$", "")
            if (view_class and issubclass(view_class, PartnerAPIMixin) and not re.search(r"[<(]", path)
                    and (actions.get("get") == "list" or (not actions and hasattr(view_class, "get")))):
                found.append((path, view_class))

    walk(get_resolver().url_patterns, "")
    return found


def partner_parameters(view_class):
    """(name, hostile values) for every query parameter the view reads (workspaces.api.partner.accepted_query_params)."""
    view = view_class()
    fields = {}
    if getattr(view, "filterset_class", None) is not None:
        for name, filter_ in view.filterset_class.base_filters.items():
            for suffix in getattr(filter_.field.widget, "suffixes", None) or [""]:
                fields[f"{name}_{suffix}" if suffix else name] = filter_.field
    if getattr(view, "query_serializer", None) is not None:
        fields.update(view.query_serializer().fields)
    return [(name, values_for(fields.get(name))) for name in sorted(accepted_query_params(view))]


def test_every_query_parameter_of_every_partner_list_route_refuses_hostile_values_with_a_400():
    workspace, client = workspace_with_key(metadata={"api_rate": "100000/min"})
    lead = make_lead(workspace=workspace)  # a row on each list, so a value let through reaches the database
    make_appointment(lead=lead, matched_workspace=workspace)
    make_conversion(lead=lead, workspace=workspace)
    routes = partner_list_routes()
    assert {"/api/v1/leads/", "/api/v1/workspace/events/", "/api/v1/analytics/daily/"} <= {path for path, _ in routes}
    failures = []
    for path, view_class in routes:
        for name, values in partner_parameters(view_class):
            for value in values:
                try:
                    response = client.get(path, {name: value})
                except Exception as exc:  # noqa: BLE001  (the test client re-raises what would be a 500)
                    failures.append((path, name, value, repr(exc)[:120]))
                    continue
                if response.status_code >= 500:
                    failures.append((path, name, value, response.status_code))
                elif NUL in value:  # named as sent, whichever filter reads it
                    assert_error(response, 400, code="invalid_request", field=name)
    assert not failures, "\n".join(map(repr, failures))


def filter_parameters(model_admin, request):
    """(name, hostile values) for every list-filter parameter of `model_admin`,
    whether or not the filter shows: one with nothing to choose still reads its parameter."""
    for list_filter in model_admin.get_list_filter(request):
        if callable(list_filter):  # a custom filter: it parses its parameter as it likes
            spec, form_field = list_filter(request, {}, model_admin.model, model_admin), None
        else:
            field_path, filter_class = list_filter if isinstance(list_filter, (tuple, list)) else (
                list_filter, FieldListFilter.create)
            field = get_fields_from_path(model_admin.model, field_path)[-1]
            spec = filter_class(field, request, {}, model_admin.model, model_admin, field_path=field_path)
            form_field = (field.target_field if field.is_relation else field).formfield()
        for name in spec.expected_parameters():
            yield name, values_for(form_field)


def changelist_queries(model_admin, request, zone):
    """The hostile queries to send `model_admin`'s changelist in the ops `zone`: every list-filter
    value in the first zone, and in each zone the drill-downs it pushes off the calendar."""
    every = zone == next(iter(ZONED))
    for name, values in filter_parameters(model_admin, request) if every else ():
        for value in values:
            yield {name: value}
    if model_admin.date_hierarchy:
        for steps in (HIERARCHY if every else []) + ZONED[zone]:
            yield {f"{model_admin.date_hierarchy}__{step}": value for step, value in steps.items()}


def test_every_admin_changelist_parameter_refuses_hostile_values_without_a_500(settings, admin_user):
    make_contact_history()  # a row behind every filter: one with nothing to choose is not applied
    request = RequestFactory().get("/")
    request.user = admin_user
    failures = []
    for zone in ZONED:
        settings.OPS_TIME_ZONE = zone
        client = Client()  # its middleware reads the zone on its first request
        client.force_login(admin_user)
        for model, model_admin in admin.site._registry.items():
            url = admin_url(model, "changelist")
            for query in changelist_queries(model_admin, request, zone):
                try:
                    status = client.get(f"{url}?{urlencode(query)}").status_code
                except Exception as exc:  # noqa: BLE001  (the test client re-raises what would be a 500)
                    status = repr(exc)[:120]
                if not isinstance(status, int) or status >= 500:
                    failures.append((zone, url, query, status))
                elif NUL in "".join(query.values()):
                    assert status == 400, (url, query, status)
    assert not failures, "\n".join(map(repr, failures))


# Changelists and a date-time column of theirs that no list filter reads (Django's user admin too).
UNFILTERED_TIMES = {"/admin/leads/lead/": "created_at", "/admin/analytics/leadanalytics/": "created_at",
                    "/admin/auth/user/": "date_joined"}
OFF_THE_CALENDAR_IN_UTC = {"gte": "0001-01-01T00:00:00+14:00", "lt": "9999-12-31T23:59:59-12:00", "year": "1"}


def test_a_lookup_on_any_column_whose_utc_time_leaves_the_calendar_is_no_500(settings, admin_client):
    """The admin takes a lookup on any column, a filter's or not: one whose time SQLite's driver
    cannot convert to UTC (year 1 read in Tokyo, UTC+9:19 then, is year 0) is an invalid lookup."""
    settings.OPS_TIME_ZONE = "Asia/Tokyo"
    make_contact_history()
    for url, column in UNFILTERED_TIMES.items():
        for lookup, value in OFF_THE_CALENDAR_IN_UTC.items():
            response = admin_client.get(url, {f"{column}__{lookup}": value})
            assert response.status_code in (200, 302), (url, lookup, response.status_code)


def test_every_admin_has_the_safe_changelist(admin_user):
    from leadhub.admin import SafeChangeList

    request = RequestFactory().get("/")
    request.user = admin_user
    for model_admin in admin.site._registry.values():
        assert issubclass(model_admin.get_changelist(request), SafeChangeList), model_admin
