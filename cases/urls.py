"""Pages and API routes of the cases app (included at the site root by govservice/urls.py)."""

from __future__ import annotations

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from cases import firm_views, follow_up_views, material_views, paper_views, views
from cases.api.views import CaseViewSet, FirmViewSet, FollowUpViewSet, HolidayViewSet, PaperCheckView

router = SimpleRouter()
# The more specific prefixes first: a case reference never looks like these words anyway.
router.register("api/cases/follow-ups", FollowUpViewSet, basename="case-follow-up")
router.register("api/cases/holidays", HolidayViewSet, basename="case-holiday")
router.register("api/cases/firms", FirmViewSet, basename="case-firm")
router.register("api/cases", CaseViewSet, basename="case")

urlpatterns = [
    path("", include(router.urls)),
    path("api/verify/<str:token>/", PaperCheckView.as_view(), name="api-paper-check"),
    path("cases/", views.my_cases, name="cases-mine"),
    path("cases/workbench/", views.workbench, name="cases-workbench"),
    path("cases/supervision/", views.supervision, name="cases-supervision"),
    path("cases/firm/", firm_views.my_firm, name="cases-my-firm"),
    path("cases/materials/", material_views.my_materials_page, name="cases-my-materials"),
    path("cases/materials/remove/", material_views.my_material_remove, name="cases-my-material-remove"),
    path("cases/firms/", firm_views.firm_list, name="cases-firms"),
    path("cases/firms/<int:pk>/", firm_views.firm_page, name="cases-firm"),
    path("cases/firms/<int:pk>/profile/", firm_views.firm_profile, name="cases-firm-profile"),
    path("cases/firms/<int:pk>/specialists/", firm_views.firm_specialist, name="cases-firm-specialist"),
    path("cases/apply/<int:version_id>/", views.apply, name="cases-apply"),
    path("cases/apply/<int:version_id>/agent/", views.apply_as_agent, name="cases-apply-agent"),
    path("cases/counter/", views.counter, name="cases-counter"),
    path("cases/follow-ups/", follow_up_views.follow_up_list, name="cases-follow-ups"),
    path("cases/follow-ups/<int:pk>/", follow_up_views.follow_up_detail, name="cases-follow-up"),
    path("cases/follow-ups/<int:pk>/visit/", follow_up_views.follow_up_visit, name="cases-follow-up-visit"),
    path("cases/follow-ups/<int:pk>/rectify/", follow_up_views.follow_up_rectify, name="cases-follow-up-rectify"),
    path("cases/follow-ups/<int:pk>/close/", follow_up_views.follow_up_close, name="cases-follow-up-close"),
    path("cases/counter/<str:reference>/", views.counter_case, name="cases-counter-case"),
    path("cases/<str:reference>/", views.case_detail, name="cases-detail"),
    path("cases/<str:reference>/do/<str:step>/", views.case_step, name="cases-step"),
    path("cases/<str:reference>/form/", views.case_form, name="cases-form"),
    path("cases/<str:reference>/history/verify/", views.case_history_verify, name="cases-history-verify"),
    path(
        "cases/<str:reference>/approving-district/",
        views.approving_district_change,
        name="cases-approving-district",
    ),
    path("cases/<str:reference>/materials/reuse/", material_views.case_material_reuse, name="cases-material-reuse"),
    path("cases/<str:reference>/checks/material/", views.case_check_material, name="cases-check-material"),
    path("cases/<str:reference>/checks/identity/", views.case_check_identity, name="cases-check-identity"),
    path("cases/<str:reference>/documents/<int:material_id>/", views.case_document, name="cases-document"),
    path("cases/<str:reference>/papers/<str:number>.pdf", paper_views.paper_pdf, name="cases-paper-pdf"),
    path("cases/<str:reference>/papers/<str:number>/", paper_views.paper_print, name="cases-paper-print"),
    path("verify/<str:token>/", paper_views.paper_verify, name="cases-paper-verify"),
]
