"""Pages of the trust app: the case package (staff of the case's districts and supervisors) and the registry."""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from accounts.models import User
from cases.http import signed_in_user
from cases.models import CaseMaterial, CaseView
from cases.selectors.visibility import cases_visible_to
from cases.services.case_views import case_view_after_response
from trust.keys import registry_dict
from trust.package import case_package, package_material_ids


@login_required
@require_GET
def case_package_download(request: HttpRequest, reference: str) -> HttpResponse:
    """The case as one zip file for the offline verifier; it holds the documents, so staff who see the case only."""
    user = signed_in_user(request)
    if user.role not in (User.Role.CLERK, User.Role.SUPERVISOR):
        raise Http404
    case = get_object_or_404(cases_visible_to(user).select_related("approving_district"), reference=reference)
    holder = user.district.division_code if user.district is not None else case.approving_district.division_code
    response = HttpResponse(case_package(case, holder=holder), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{case.reference}-package.zip"'
    # The package holds the documents: each is a look at a material, shown to the applicant (谁查看了我的办件).
    for material in CaseMaterial.objects.filter(pk__in=package_material_ids(case)):
        response = case_view_after_response(
            request=request,
            response=response,
            case=case,
            what=CaseView.What.MATERIAL,
            material=material,
            via=CaseView.Via.PAGE,
        )
    return response


@require_GET
def registry_json(request: HttpRequest) -> HttpResponse:
    """The alliance registry of public keys with their validity periods: public, what c9verify reads."""
    return HttpResponse(
        json.dumps(registry_dict(), ensure_ascii=False, indent=1), content_type="application/json; charset=utf-8"
    )
