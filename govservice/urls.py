from __future__ import annotations

from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from accounts.api.views import LogoutView, MeView, TokenView
from govservice.csp import csp_report
from govservice.health import healthz
from govservice.views import care_mode_switch, home, not_found

api_patterns = [
    path("me/", MeView.as_view(), name="api-me"),
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("auth/logout/", LogoutView.as_view(), name="api-logout"),
]

urlpatterns = [
    path("", home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("care-mode/", care_mode_switch, name="care-mode"),
    # Browsers ask for /favicon.ico on pages that do not name an icon (the admin's).
    path("favicon.ico", RedirectView.as_view(url=static("favicon.svg"), permanent=True)),
    path("csp-report/", csp_report, name="csp-report"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", include(api_patterns)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Swagger UI's start-up script is served as a file of its own (`?script`), not inline (CSP). Swagger UI and
    # Redoc insert <style> elements as they draw: their two pages alone allow inline styles (never scripts). Redoc
    # also searches the schema in a web worker it starts from a blob: URL, allowed as a worker on its page only.
    path(
        "api/docs/",
        csp_update({"style-src": [UNSAFE_INLINE]})(SpectacularSwaggerSplitView.as_view(url_name="api-schema")),
        name="api-docs",
    ),
    path(
        "api/redoc/",
        csp_update({"style-src": [UNSAFE_INLINE], "worker-src": ["'self'", "blob:"]})(
            SpectacularRedocView.as_view(url_name="api-schema")
        ),
        name="api-redoc",
    ),
    path("admin/", admin.site.urls),
    path("", include("standards.urls")),
    path("", include("trust.urls")),
    path("", include("cases.urls")),
    path("", include("helpdesk.urls")),
    path("", include("notices.urls")),
    path("", include("dashboard.urls")),
]

handler404 = not_found

admin.site.site_header = "长三角C9跨省通办 · 管理"
admin.site.site_title = "C9 通办"
