from django.urls import path

from . import views

urlpatterns = [
    path("workspace/statements/", views.StatementListView.as_view(), name="partner-workspace-statements"),
    path("workspace/statements/<str:period>/", views.StatementDetailView.as_view(),
         name="partner-workspace-statement-detail"),
]
