from django.urls import path
from rest_framework.routers import SimpleRouter

from appointments.api import views
from appointments.form_step import form_appointment

router = SimpleRouter()
router.register("appointments", views.PartnerAppointmentViewSet, basename="partner-appointment")

urlpatterns = [
    path("webhooks/<str:webhook_id>/appointments/", views.AppointmentWebhookView.as_view(),
         name="appointment-webhook"),
    path("forms/<str:webhook_id>/appointment/", form_appointment, name="lead-form-appointment"),
    *router.urls,
]
