"""我的材料: the page of one's own files, removing one from it, and using one again in a draft (thin over
cases.selectors.my_materials and cases.services.my_materials)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import User
from cases import selectors, services
from cases.http import request_id, signed_in_user
from cases.views import _show_error, _visible_case
from govservice import errors
from govservice.errors import Invalid
from standards.models import ItemMaterial


def _applicant(request: HttpRequest) -> User:
    user = signed_in_user(request)
    if user.role not in (User.Role.CITIZEN, User.Role.FIRM):
        raise PermissionDenied
    return user


@login_required
def my_materials_page(request: HttpRequest) -> HttpResponse:
    user = _applicant(request)
    return render(request, "cases/my_materials.html", {"materials": selectors.my_materials(user)})


@login_required
@require_POST
def my_material_remove(request: HttpRequest) -> HttpResponse:
    user = _applicant(request)
    try:
        services.my_material_remove(user=user, sha256=request.POST.get("sha256", "")[:64])
    except (errors.DomainError, ValidationError) as error:
        _show_error(request, error)
    else:
        messages.success(request, _("Removed from my materials. The cases that hold the file keep it."))
    return redirect("cases-my-materials")


@login_required
@require_POST
def case_material_reuse(request: HttpRequest, reference: str) -> HttpResponse:
    case = _visible_case(request, reference)
    user = _applicant(request)
    item_material = ItemMaterial.objects.filter(
        pk=request.POST.get("item_material", "0") if request.POST.get("item_material", "").isdigit() else 0,
        version_id=case.item_version_id,
    ).first()
    source = request.POST.get("source", "")
    try:
        if item_material is None or not source.isdigit():
            message = _("Choose one of your files for one of the case's materials.")
            raise Invalid(message, fields={"source": [message]})
        services.case_material_reuse(
            case=case, item_material=item_material, source_id=int(source), actor=user, request_id=request_id(request)
        )
    except (errors.DomainError, ValidationError) as error:
        _show_error(request, error)
    else:
        messages.success(request, _("Done."))
    anchor = f"#material-{item_material.pk}" if item_material is not None else "#materials"
    return redirect(reverse("cases-detail", args=[case.reference]) + anchor)
