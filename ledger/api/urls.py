from django.urls import path

from ledger.api.views import BalanceView

urlpatterns = [
    path("workspace/balance/", BalanceView.as_view(), name="partner-workspace-balance"),
]
