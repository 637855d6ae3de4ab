"""The provider quick-start page, served beside the API docs."""
from django.urls import path

from providers.views import provider_quickstart

urlpatterns = [
    path("", provider_quickstart, name="api-docs-providers"),
]
