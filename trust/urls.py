from django.urls import path

from trust import views

urlpatterns = [
    path("cases/<str:reference>/package.zip", views.case_package_download, name="trust-case-package"),
    path("trust/registry.json", views.registry_json, name="trust-registry"),
]
