from django.urls import path
from rest_framework.routers import SimpleRouter

from leads.api.views.partner import PartnerLeadViewSet
from leads.api.views.webhook import LeadWebhookView

router = SimpleRouter()
router.register("leads", PartnerLeadViewSet, basename="partner-lead")

urlpatterns = [
    path("webhooks/<str:webhook_id>/leads/", LeadWebhookView.as_view(), name="lead-webhook"),
    *router.urls,
]
