"""Pages and API routes of the cases app (included at the site root by govservice/urls.py)."""

from __future__ import annotations

urlpatterns: list = []
