from django.urls import path

from leads.api import views

urlpatterns = [
    path("webhooks/<str:webhook_id>/leads/", views.LeadWebhookView.as_view(), name="lead-webhook"),
]

# Partner API (issue 4): /api/v1/leads/ ... for workspace keys and staff.
from rest_framework.routers import SimpleRouter as _SimpleRouter  # noqa: E402

from leads.api.views import PartnerLeadViewSet  # noqa: E402

_partner_router = _SimpleRouter()
_partner_router.register("leads", PartnerLeadViewSet, basename="partner-lead")
urlpatterns += _partner_router.urls
