from django.urls import path

from workspaces.api.views import WorkspaceProfileView, WorkspaceWebhookView

urlpatterns = [
    path("workspace/", WorkspaceProfileView.as_view(), name="partner-workspace"),
    path("workspace/webhook/", WorkspaceWebhookView.as_view(), name="partner-workspace-webhook"),
]
