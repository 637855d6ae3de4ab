"""Admin building blocks every app's admin reuses: person and number search, read-only audit
tables, big-table changelists, bounded inlines, confirmation pages with reason forms, buttons on a
record for its list actions, readable values (phones, money, rates, JSON, long ids, a refused
step's words), CSV export.
The staff roles (groups) the admin honours are leadhub.roles'.

Base layer: imports no project app; models are reached through what each admin passes in.
"""
import csv
import json
import re
from datetime import timedelta
from decimal import Decimal

from django import forms
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import get_fields_from_path, quote, unquote
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth import admin as auth_admin
from django.contrib.auth.models import Group, User
from django.db import models
from django.db.models import Q
from django.forms.models import BaseInlineFormSet
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.html import format_html, format_html_join

from leadhub.errors import ServiceRefusal
from leadhub.keys import MAX_ROTATION_GRACE
from leadhub.paginator import EstimatedCountPaginator
from leadhub.search import person_search_q, phone_from_search
from leadhub.times import ZONE_SAFE_RANGE, time_in_calendar

class ExactSearchMixin:
    """Search hook (`get_search_results`): the person in the row (`person_search_fields`, the
    columns `leadhub.search.person_search_q` reads) is found by phone in any format, email or name,
    exactly as the partner API's `?search=` finds them; a bare number also matches the id-like
    `number_search_fields`, and `search_fields` handle every other term. A phone is matched alone:
    one indexed equality lookup, none of the LIKE scans."""

    person_search_fields = None
    number_search_fields = ["pk"]

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        person = person_search_q(term, **self.person_search_fields) if self.person_search_fields else None
        if person is not None and phone_from_search(term):
            return queryset.filter(person), False
        if self.get_search_fields(request):
            results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        else:
            results, may_have_duplicates = queryset.none(), False
        if person is not None:
            results |= queryset.filter(person)
        if self.number_search_fields and term.isdigit() and len(term) <= 18:
            by_number = Q.create([(field, int(term)) for field in self.number_search_fields], connector=Q.OR)
            results |= queryset.filter(by_number)
        return results, may_have_duplicates


class SafeChangeList(ChangeList):
    """Every admin's changelist (BaseAdmin): whatever the query string, a page or the admin's own
    "invalid lookup" redirect (`?e=1`), never an OverflowError; and any stored time in the date hierarchy.

    - A lookup the calendar, an int or the database driver cannot take is an invalid lookup: a
      drill-down too long for an int or past year 9999 (`?created_at__year=9999&created_at__month=12`:
      its next month is in year 10000), and a time whose UTC time is off the calendar (the bound
      `?created_at__gte=0001-01-01T00:00:00%2B14:00`, or year 1 drilled into in a zone ahead of
      UTC), which SQLite's driver converts to UTC. The admin takes a lookup on any column of the
      model, so this is caught where every one is applied, not per filter. (A NUL in an admin URL
      is refused before any view: leadhub.middleware.AdminNulMiddleware.)
    - The hierarchy's links truncate times to the ops zone's dates in the database, which gives
      year 0 or 10000 for a time within a day of the calendar's edge, and no driver reads that
      back: the hierarchy (the only reader of `queryset` once the page's rows are read) leaves
      those rows out; the list still shows them.
    """

    def get_filters(self, request):
        try:
            return super().get_filters(request)
        except (OverflowError, ValueError) as exc:
            raise IncorrectLookupParameters(exc) from exc

    def get_results(self, request):
        try:
            super().get_results(request)  # counts the rows: every lookup value is converted here
        except OverflowError as exc:
            raise IncorrectLookupParameters(exc) from exc
        hierarchy = self.date_hierarchy and get_fields_from_path(self.model, self.date_hierarchy)[-1]
        if isinstance(hierarchy, models.DateTimeField):
            self.queryset = self.queryset.filter(**{f"{self.date_hierarchy}__range": ZONE_SAFE_RANGE})


class BaseAdmin(admin.ModelAdmin):
    """The base of every admin (Django's user and group admins included, below): its changelist is
    a SafeChangeList (leadhub/tests/test_hostile_queries.py walks the registry), and its forms'
    times are ones the database can store and give back (leadhub.times.time_in_calendar)."""

    def get_changelist(self, request, **kwargs):
        return SafeChangeList

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        """A date-time column's field refuses a time whose UTC time is off the calendar."""
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if isinstance(db_field, models.DateTimeField) and field is not None:
            field.validators.append(time_in_calendar)
        return field


class NoWritesMixin:
    """Rows that are viewed, never added, edited or deleted by hand (admins and inlines alike)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(NoWritesMixin, BaseAdmin):
    """Audit and history tables: viewable, never added, edited or deleted by hand."""


class LargeTableMixin:
    """Changelists of tables that grow without bound: the page links are sized from the planner's
    row estimate, and the "N total" link (a second full COUNT(*)) is not shown."""

    show_full_result_count = False
    paginator = EstimatedCountPaginator


class AuditLogAdmin(LargeTableMixin, ReadOnlyAdmin):
    """Append-only rows hanging off a parent (events, history, tracking): read-only and large.
    Subclasses name the parents in `raw_id_fields` (no <select> of every parent) and
    `list_select_related` (joined in the page's one query)."""


class LatestRowsFormSet(BaseInlineFormSet):
    """Only the newest rows, so the page of a busy record stays fast; the changelist has the rest."""

    limit = 20

    def get_queryset(self):
        queryset = super().get_queryset()
        if not queryset.query.is_sliced:
            queryset = self._queryset = queryset[: self.limit]
        return queryset


class ReadOnlyInline(NoWritesMixin, admin.TabularInline):
    """A bounded, view-only list of related rows with links to each row's own page."""

    formset = LatestRowsFormSet
    extra = 0
    show_change_link = True
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields


def changelist_link(model, label, **filters):
    """A link to `model`'s changelist filtered by `filters` (e.g. contact__id__exact=5)."""
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    query = "&".join(f"{key}={value}" for key, value in filters.items())
    return format_html('<a href="{}?{}">{}</a>', url, query, label)


def change_link(obj, label=None):
    """A link to `obj`'s admin change page."""
    opts = obj._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    return format_html('<a href="{}">{}</a>', url, label or str(obj))


def change_link_by_id(model, pk, label=None):
    """A link to the change page of `model` row `pk` without loading it (ids held as plain values)."""
    if pk in (None, ""):
        return "—"
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[quote(pk)])
    return format_html('<a href="{}">{}</a>', url, label or pk)


# --- Readable values -----------------------------------------------------------------------------

NANP = re.compile(r"^\+1(\d{3})(\d{3})(\d{4})$")


def phone_display(phone):
    """`+14158161212` as `(415) 816-1212`; anything else (foreign, partial) as stored."""
    match = NANP.match(phone or "")
    return f"({match[1]}) {match[2]}-{match[3]}" if match else (phone or "—")


def money_display(value, currency="USD"):
    """`13500` as `$13,500.00`; another currency as `13,500.00 EUR`."""
    if value is None:
        return "—"
    amount = f"{Decimal(value):,.2f}"
    if currency in ("", None, "USD"):
        return f"-${amount[1:]}" if amount.startswith("-") else f"${amount}"
    return f"{amount} {currency}"


def percent_display(value):
    """A percentage stored as 0–100: `12.5%`."""
    return "—" if value is None else f"{value:,.1f}%"


def short_id(value, length=8):
    """A long id cut to `length` characters, the whole id in the title (hover) so it can be copied."""
    text = "" if value is None else str(value)
    if len(text) <= length + 1:
        return text or "—"
    return format_html('<span class="short-id" title="{}">{}…</span>', text, text[:length])


def _flatten(value, prefix=""):
    if isinstance(value, dict) and value:
        for key, item in value.items():
            yield from _flatten(item, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list) and value and any(isinstance(item, (dict, list)) for item in value):
        for index, item in enumerate(value):
            yield from _flatten(item, f"{prefix}[{index}]")
    else:
        if isinstance(value, list):
            value = ", ".join(str(item) for item in value)
        elif value is None or value == {} or value == []:
            value = "—"
        yield prefix or "(value)", value


def json_display(value):
    """JSON data as key/value rows (nested keys dotted), the raw JSON one click away."""
    raw = json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)
    if value in (None, {}, []):
        return "—"
    rows = format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", _flatten(value))
    return format_html(
        '<table class="json-rows"><tbody>{}</tbody></table>'
        '<details class="raw-json"><summary>Raw JSON</summary><pre>{}</pre></details>',
        rows, raw,
    )


def refusal_words(exc) -> str:
    """What a refused step tells ops: each field's own words ("... is more than two years ahead"),
    which say more than a summary naming the fields ("Invalid appointment data: scheduled_at."),
    else the refusal's reason; a Django ValidationError's messages."""
    if isinstance(exc, ServiceRefusal):
        return " ".join(message for messages in exc.errors.values() for message in messages) or exc.reason
    return "; ".join(exc.messages)


class RecordActionsMixin:
    """Buttons on a record's change page for the list actions named in `record_actions`. A button
    posts that one record to the very action function the changelist runs (same service, same
    confirmation page and permission check), then comes back to the record."""

    record_actions = ()

    def get_urls(self):
        opts = self.opts
        return [
            path(
                "<path:object_id>/action/<str:action>/",
                self.admin_site.admin_view(self.record_action_view),
                name=f"{opts.app_label}_{opts.model_name}_record_action",
            ),
            *super().get_urls(),
        ]

    def record_action_buttons(self, request, obj):
        actions = self.get_actions(request)
        opts = self.opts
        return [
            {
                "name": name,
                "label": actions[name][2] % {"verbose_name_plural": opts.verbose_name_plural},
                "url": reverse(f"admin:{opts.app_label}_{opts.model_name}_record_action", args=[quote(obj.pk), name]),
            }
            for name in self.record_actions
            if name in actions
        ]

    def record_action_view(self, request, object_id, action):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404
        actions = self.get_actions(request)
        if action not in self.record_actions or action not in actions:
            raise PermissionDenied
        response = actions[action][0](self, request, self.get_queryset(request).filter(pk=obj.pk))
        if response is not None:
            return response
        opts = self.opts
        return HttpResponseRedirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[quote(obj.pk)]))

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["record_actions"] = self.record_action_buttons(request, obj)
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)


class NoBulkDeleteMixin:
    """No "Delete selected" on records whose removal has an audited way (purge, cancel, void)."""

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


def secrets_issued_page(model_admin, request, *, title, issued, done_url=None):
    """The one sight of keys or secrets just issued (`issued`: [(what, value)]): rendered into
    this response, never into a message (the messages cookie would carry it to the browser and
    back on every later page) and never cached. `done_url` is where the page leads on (default:
    the changelist)."""
    opts = model_admin.opts
    response = TemplateResponse(request, "admin/leadhub/secrets_issued.html", {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "opts": opts,
        "issued": issued,
        "done_url": done_url or reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"),
    })
    add_never_cache_headers(response)
    return response


class SecretsIssuedOnAddMixin:
    """Admins whose new rows come with a secret (an API key, a signing secret): `save_model` hands
    each to `secret_issued`, and the answer to the add is the page that shows them once, leading
    on to wherever the admin would have redirected."""

    def secret_issued(self, request, what, secret):
        request.__dict__.setdefault("issued_secrets", []).append((what, secret))

    def response_add(self, request, obj, post_url_continue=None):
        response = super().response_add(request, obj, post_url_continue)
        issued = request.__dict__.pop("issued_secrets", None)
        if issued and response.status_code == 302:
            return secrets_issued_page(self, request, title=f"{obj} added", issued=issued, done_url=response["Location"])
        return response


def secret_state(value):
    """What any admin page shows of a stored key or secret (or its digest): whether it is set."""
    return "set" if value else "not set"


def reason_field(help_text="Kept in the audit trail; do not paste personal data here.", **kwargs):
    """The "why" an intermediate action page asks for; it ends up in the audit trail."""
    return forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}), max_length=2000, help_text=help_text, **kwargs
    )


class ReasonForm(forms.Form):
    reason = reason_field()


class ConfirmationPageMixin:
    """Actions that ask before they act: an intermediate page lists the selected rows and the
    action's form, and posts both back with `post=yes`. Its template extends
    admin/leadhub/action_confirmation.html and adds only what the page says and lists."""

    @staticmethod
    def confirmation_data(request):
        """The posted-back form data, or None on the first visit (the form starts unbound)."""
        return request.POST if "post" in request.POST else None

    def confirmation_page(self, request, *, template, title, action, selected, form=None, **context):
        return TemplateResponse(
            request,
            template,
            {
                **self.admin_site.each_context(request),
                "title": title,
                "opts": self.opts,
                "action": action,
                "selected": selected,
                "form": form,
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
                **context,
            },
        )


class RotationConfirmForm(forms.Form):
    confirm = forms.BooleanField(label="Yes, rotate now", help_text="The new value is shown once, on the next page.")


class KeyRotationForm(RotationConfirmForm):
    field_order = ["grace_hours", "confirm"]
    grace_hours = forms.DecimalField(
        label="Grace (hours)", min_value=0, max_value=MAX_ROTATION_GRACE // timedelta(hours=1), decimal_places=2,
        initial=24,
        help_text="How long the old value keeps working, so its holder can switch without an outage. "
                  "0 ends it at once: use 0 for a leaked key. A previous value still in its grace ends now.",
    )


def rotation_action(model_admin, request, queryset, *, title, action, rotate, describe):
    """An admin action that rotates a key or secret of each selected row after asking for the
    grace period and a confirmation: `rotate(obj, grace)` returns the new raw value and
    `describe(obj)` what the page showing it says (after the rotation)."""
    form = KeyRotationForm(model_admin.confirmation_data(request))
    if form.is_bound and form.is_valid():
        grace = timedelta(hours=float(form.cleaned_data["grace_hours"]))
        issued = []
        for obj in queryset:
            raw = rotate(obj, grace)
            issued.append((describe(obj), raw))
        return secrets_issued_page(model_admin, request, title=title, issued=issued)
    return model_admin.confirmation_page(
        request, template="admin/leadhub/key_rotation.html", title=title, action=action, selected=queryset, form=form
    )


# --- CSV export ----------------------------------------------------------------------------------

# Spreadsheet apps run a cell starting with these as a formula (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"^[+-]?\d[\d.]*$")


def csv_cell(value):
    if value is None:
        return ""
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    if text.startswith(FORMULA_START) and not PLAIN_NUMBER.match(text):
        return "'" + text
    return text


class _Echo:
    def write(self, value):
        return value


def csv_response(queryset, fields, filename):
    """Stream `fields` (column names) of `queryset` as CSV, row by row, without loading it all."""
    writer = csv.writer(_Echo())

    def rows():
        yield writer.writerow(fields)
        for values in queryset.values_list(*fields).iterator(chunk_size=2000):
            yield writer.writerow([csv_cell(value) for value in values])

    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}-{stamp}.csv"'
    return response


class CsvExportMixin:
    """"Export selected to CSV" for anyone who may view the rows (read-only analysts included)."""

    export_fields = ()

    @admin.action(description="Export selected to CSV", permissions=["view"])
    def export_csv(self, request, queryset):
        fields = list(self.export_fields) or [f.attname for f in self.model._meta.concrete_fields]
        return csv_response(queryset.order_by("pk"), fields, self.model._meta.db_table)


# Django's own admins take the same base: their changelists read any query string too.
class UserAdmin(BaseAdmin, auth_admin.UserAdmin):
    pass


class GroupAdmin(BaseAdmin, auth_admin.GroupAdmin):
    pass


admin.site.unregister([User, Group])
admin.site.register(User, UserAdmin)
admin.site.register(Group, GroupAdmin)
