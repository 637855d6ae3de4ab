from django.urls import path

from . import views

urlpatterns = [
    path("suppressions/", views.OptOutListView.as_view(), name="partner-suppression-list"),
]
