"""The staff-only Dashboard under the admin (wrapped in `admin.site.admin_view` in analytics/urls.py)."""
import csv
from datetime import timedelta

from django import forms
from django.contrib import admin
from django.http import Http404, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone

from analytics.dashboard import CHARTS, dashboard_charts

DEFAULT_DAYS = 30


class DateRangeForm(forms.Form):
    date_from = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        cleaned = super().clean()
        date_to = cleaned.get("date_to") or timezone.now().date()
        date_from = cleaned.get("date_from") or date_to - timedelta(days=DEFAULT_DAYS - 1)
        if date_from > date_to:
            raise forms.ValidationError({"date_from": "Must not be after “To”."})
        if (date_to - date_from).days > 366:
            raise forms.ValidationError({"date_from": "Pick at most a year: one point per day is drawn."})
        return {"date_from": date_from, "date_to": date_to}


def _range(request):
    """The requested range, or None when the form has errors (shown to the user)."""
    form = DateRangeForm(request.GET)
    if not form.is_valid():
        return form, None
    return form, (form.cleaned_data["date_from"], form.cleaned_data["date_to"])


def _csv_cell(value):
    # Text from providers (e.g. a ZIP) must not run as a formula in a spreadsheet.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def dashboard(request):
    form, date_range = _range(request)
    context = {
        **admin.site.each_context(request),
        "title": "Dashboard",
        "form": form,
        "charts": dashboard_charts(*date_range) if date_range else [],
        "range_query": request.GET.urlencode(),
    }
    return TemplateResponse(request, "admin/analytics/dashboard.html", context, status=200 if date_range else 400)


def dashboard_csv(request, chart):
    if chart not in CHARTS:
        raise Http404(f"No chart '{chart}'.")
    form, date_range = _range(request)
    if date_range is None:
        return HttpResponse(form.errors.as_text(), status=400, content_type="text/plain")
    data = CHARTS[chart](*date_range)
    response = HttpResponse(content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{chart}-{date_range[0]}-{date_range[1]}.csv"'
    writer = csv.writer(response)
    writer.writerow(data.columns)
    writer.writerows([_csv_cell(value) for value in row] for row in data.rows)
    return response
