"""The one file that mounts every app."""
from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from leadhub.admin_login import admin_login
from leadhub.health import healthz

urlpatterns = [
    path(f"{settings.ADMIN_URL}dashboard/", include("analytics.urls")),
    path(f"{settings.ADMIN_URL}login/", admin_login, name="admin-login"),
    path(settings.ADMIN_URL, admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/v1/", include("leads.api.urls")),
    path("api/v1/", include("people.api.urls")),
    path("api/v1/", include("workspaces.api.urls")),
    path("api/v1/", include("distribution.api.urls")),
    path("api/v1/", include("appointments.api.urls")),
    path("api/v1/", include("conversions.api.urls")),
    path("api/v1/", include("analytics.api.urls")),
    path("api/v1/", include("providers.api.urls")),
]

# Under /api/ Django's own 404 and 500 pages are JSON, like every other API answer.
handler404 = "leadhub.api.handlers.page_not_found"
handler500 = "leadhub.api.handlers.server_error"
