from django.urls import path

from sources.api import views

lead_list = views.ProviderLeadViewSet.as_view({"get": "list"})
lead_detail = views.ProviderLeadViewSet.as_view({"get": "retrieve"})

urlpatterns = [
    path("leads/", lead_list, name="provider-lead-list"),
    path("leads/<int:pk>/", lead_detail, name="provider-lead-detail"),
    path("statements/", views.ProviderStatementListView.as_view(), name="provider-statement-list"),
    path("statements/<str:period>/", views.ProviderStatementDetailView.as_view(), name="provider-statement-detail"),
]
