"""Pages and API routes of the notices app (included at the site root by govservice/urls.py)."""

from __future__ import annotations

from django.urls import path

from notices import views
from notices.api.views import NoticeListView, NoticePreferencesView, NoticeReadAllView, NoticeReadView

urlpatterns = [
    path("notices/", views.inbox, name="notices-inbox"),
    path("notices/preferences/", views.preferences, name="notices-preferences"),
    path("notices/read-all/", views.notices_read_all, name="notices-read-all"),
    path("notices/<int:notice_id>/read/", views.notice_read, name="notices-read"),
    path("api/notices/", NoticeListView.as_view(), name="api-notices"),
    path("api/notices/preferences/", NoticePreferencesView.as_view(), name="api-notices-preferences"),
    path("api/notices/read-all/", NoticeReadAllView.as_view(), name="api-notices-read-all"),
    path("api/notices/<int:notice_id>/read/", NoticeReadView.as_view(), name="api-notices-read"),
]
