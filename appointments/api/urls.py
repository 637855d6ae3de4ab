from django.urls import path
from rest_framework.routers import SimpleRouter

from appointments.api import views

router = SimpleRouter()
router.register("appointments", views.PartnerAppointmentViewSet, basename="partner-appointment")

urlpatterns = [
    path("webhooks/<str:webhook_id>/appointments/", views.AppointmentWebhookView.as_view(),
         name="appointment-webhook"),
    *router.urls,
]
