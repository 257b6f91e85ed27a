"""Pages and API routes of the standards app (included at the site root by govservice/urls.py)."""

from __future__ import annotations

from django.urls import path

from standards import views
from standards.api import views as api

urlpatterns = [
    path("items/", views.item_search_page, name="standards-items"),
    path("items/export.<str:fmt>", views.catalogue_export_view, name="standards-export"),
    path("items/import/", views.catalogue_import_page, name="standards-import"),
    path("items/import/<int:pk>/", views.catalogue_import_detail, name="standards-import-detail"),
    path("items/import/<int:pk>/progress/", views.catalogue_import_progress, name="standards-import-progress"),
    path("items/<str:code>/", views.item_detail_page, name="standards-item"),
    path("items/<str:code>/compare/", views.item_diff_page, name="standards-item-diff"),
    path("api/catalogue/counts/", api.CatalogueCountsView.as_view(), name="api-catalogue-counts"),
    path("api/items/", api.ItemListView.as_view(), name="api-items"),
    path("api/items/suggest/", api.ItemSuggestView.as_view(), name="api-items-suggest"),
    path("api/items/<str:code>/", api.ItemDetailView.as_view(), name="api-item"),
    path("api/items/<str:code>/versions/", api.VersionListView.as_view(), name="api-item-versions"),
    path("api/items/<str:code>/versions/<int:number>/", api.VersionDetailView.as_view(), name="api-item-version"),
    path("api/items/<str:code>/diff/", api.VersionDiffView.as_view(), name="api-item-diff"),
    path("api/items/<str:code>/draft/", api.DraftView.as_view(), name="api-item-draft"),
    path("api/items/<str:code>/draft/publish/", api.DraftPublishView.as_view(), name="api-item-publish"),
    path(
        "api/items/<str:code>/implementations/", api.ItemImplementationsView.as_view(), name="api-item-implementations"
    ),
    path("api/items/<str:code>/changes/", api.ItemChangesView.as_view(), name="api-item-changes"),
    path("api/districts/", api.DistrictListView.as_view(), name="api-districts"),
    path("api/districts/<str:division_code>/", api.DistrictDetailView.as_view(), name="api-district"),
    path("api/material-types/", api.MaterialTypeListView.as_view(), name="api-material-types"),
]
