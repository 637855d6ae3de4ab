from django.urls import path

from workspaces.api.views import (
    OutboundEventDetailView,
    OutboundEventListView,
    WebhookRedeliverView,
    WebhookSecretView,
    WorkspaceProfileView,
    WorkspaceWebhookView,
)

urlpatterns = [
    path("workspace/", WorkspaceProfileView.as_view(), name="partner-workspace"),
    path("workspace/webhook/", WorkspaceWebhookView.as_view(), name="partner-workspace-webhook"),
    path("workspace/webhook/redeliver/", WebhookRedeliverView.as_view(), name="partner-workspace-webhook-redeliver"),
    path("workspace/webhook/secret/", WebhookSecretView.as_view(), name="partner-workspace-webhook-secret"),
    path("workspace/events/", OutboundEventListView.as_view(), name="partner-workspace-events"),
    path("workspace/events/<uuid:pk>/", OutboundEventDetailView.as_view(), name="partner-workspace-event-detail"),
]
