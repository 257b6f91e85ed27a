"""Pages of the supervisors' dashboard (included at the site root by govservice/urls.py)."""

from __future__ import annotations

from django.urls import path

from dashboard import views

urlpatterns = [
    path("supervision/dashboard/", views.dashboard_page, name="dashboard"),
    path("supervision/dashboard.csv", views.dashboard_csv, name="dashboard-csv"),
]
