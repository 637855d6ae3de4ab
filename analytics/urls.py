"""Dashboard URLs, mounted under the admin prefix by leadhub/urls.py; staff only via admin_view."""
from django.contrib import admin
from django.urls import path

from analytics import views

urlpatterns = [
    path("", admin.site.admin_view(views.dashboard), name="analytics-dashboard"),
    path("<slug:chart>.csv", admin.site.admin_view(views.dashboard_csv), name="analytics-dashboard-csv"),
]
