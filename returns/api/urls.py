from django.urls import path

from . import views

urlpatterns = [
    path("leads/<int:pk>/return/", views.LeadReturnView.as_view(), name="partner-lead-return"),
    path("returns/", views.ReturnListView.as_view(), name="partner-return-list"),
]
