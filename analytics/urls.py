"""Dashboard URLs, mounted under the admin prefix by leadhub/urls.py: staff (admin_view) holding the
analytics view permission, which the "Operations" and "Read-only analyst" roles have."""
from django.contrib import admin
from django.contrib.auth.decorators import permission_required
from django.urls import path

from analytics import views

DASHBOARD_PERMISSION = "analytics.view_leadanalytics"


def _staff_view(view):
    return admin.site.admin_view(permission_required(DASHBOARD_PERMISSION, raise_exception=True)(view))


urlpatterns = [
    path("", _staff_view(views.dashboard), name="analytics-dashboard"),
    path("<slug:chart>.csv", _staff_view(views.dashboard_csv), name="analytics-dashboard-csv"),
]
