from django.urls import path

from . import views

urlpatterns = [
    path("offers/", views.OfferListView.as_view(), name="partner-offer-list"),
    path("offers/<int:pk>/", views.OfferDetailView.as_view(), name="partner-offer-detail"),
    path("offers/<int:pk>/pause/", views.OfferPauseView.as_view(), name="partner-offer-pause"),
    path("offers/<int:pk>/resume/", views.OfferResumeView.as_view(), name="partner-offer-resume"),
    path("workspace/sales/", views.SaleListView.as_view(), name="partner-workspace-sales"),
    path("leads/<int:pk>/assign/", views.LeadAssignView.as_view(), name="staff-lead-assign"),
]
