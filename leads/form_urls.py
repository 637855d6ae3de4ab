"""The first-party forms: the page and the post it sends (leads.forms_page)."""
from django.urls import path

from leads.forms_page import form_page, form_submit

urlpatterns = [
    path("forms/<str:webhook_id>/", form_page, name="lead-form"),
    path("api/v1/forms/<str:webhook_id>/submit/", form_submit, name="lead-form-submit"),
]
