from django.urls import path

from analytics.api import views

urlpatterns = [
    path("analytics/contact-lead-ratio/", views.ContactLeadRatioView.as_view(), name="partner-analytics-contact-lead-ratio"),
    path(
        "analytics/appointment-conversion/",
        views.AppointmentConversionView.as_view(),
        name="partner-analytics-appointment-conversion",
    ),
    path("analytics/providers/", views.ProviderPerformanceView.as_view(), name="partner-analytics-providers"),
    path("analytics/workspaces/", views.WorkspaceEfficiencyView.as_view(), name="partner-analytics-workspaces"),
    path("analytics/geography/", views.GeographyView.as_view(), name="partner-analytics-geography"),
    path("analytics/daily/", views.DailySeriesView.as_view(), name="partner-analytics-daily"),
    path("analytics/funnel/", views.FunnelView.as_view(), name="partner-analytics-funnel"),
    path("analytics/buyers/", views.BuyerSalesView.as_view(), name="partner-analytics-buyers"),
    path("analytics/webhooks/", views.WebhookSalesView.as_view(), name="partner-analytics-webhooks"),
    path("analytics/compliance/", views.ComplianceCountsView.as_view(), name="partner-analytics-compliance"),
    path("analytics/margin/", views.MarginView.as_view(), name="partner-analytics-margin"),
    path("analytics/return-rate/", views.ReturnRateView.as_view(), name="partner-analytics-return-rate"),
]
