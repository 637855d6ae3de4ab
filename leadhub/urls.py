"""The one file that mounts every app."""
from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from leadhub.admin_login import admin_login
from leadhub.health import healthz

# The app list is on the admin's home page; the side copy of it would take a fifth of a 1440 px
# screen from the changelists' columns.
admin.site.enable_nav_sidebar = False

urlpatterns = [
    path(f"{settings.ADMIN_URL}dashboard/", include("analytics.urls")),
    path(f"{settings.ADMIN_URL}login/", admin_login, name="admin-login"),
    path(settings.ADMIN_URL, admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/providers/", include("providers.urls")),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("", include("leads.form_urls")),
    path("api/v1/", include("leads.api.urls")),
    path("api/v1/", include("people.api.urls")),
    path("api/v1/", include("suppression.api.urls")),
    path("api/v1/", include("workspaces.api.urls")),
    path("api/v1/", include("ledger.api.urls")),
    path("api/v1/", include("distribution.api.urls")),
    path("api/v1/", include("appointments.api.urls")),
    path("api/v1/", include("conversions.api.urls")),
    path("api/v1/", include("returns.api.urls")),
    path("api/v1/", include("billing.api.urls")),
    path("api/v1/provider/", include("sources.api.urls")),
    path("api/v1/", include("analytics.api.urls")),
]
