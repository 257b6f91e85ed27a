"""Pages of the firm space (法人空间) and of the supervisors' firm list: thin over services and selectors."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Firm, FirmSpecialist, User
from cases import selectors, services
from cases.http import signed_in_user
from cases.selectors.portal import as_list_rows
from govservice import errors
from standards.models import District

FIRMS_SHOWN = 100


@login_required
def my_firm(request: HttpRequest) -> HttpResponse:
    """The firm space of the signed-in representative's firm."""
    user = signed_in_user(request)
    if user.role != User.Role.FIRM or user.firm_id is None:
        raise PermissionDenied
    return redirect("cases-firm", pk=user.firm_id)


@login_required
def firm_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The firm's profile, its cases, its specialists per district, its recommendations and why."""
    user = signed_in_user(request)
    # A firm the user may not see answers as a missing one.
    firm = get_object_or_404(selectors.firms_visible_to(user).select_related("registered_district"), pk=pk)
    specialists = {s.district_id: s for s in selectors.firm_specialists(firm=firm)}
    is_supervisor = user.role == User.Role.SUPERVISOR
    districts = [
        {
            "district": district,
            "specialist": specialists.get(district.pk),
            "candidates": list(selectors.specialist_candidates(district=district)) if is_supervisor else [],
        }
        for district in District.objects.select_related("province").order_by("division_code")
    ]
    # The firm's own specialists first; a supervisor assigns in every district, the others see who serves them.
    districts.sort(key=lambda row: row["specialist"] is None)
    unserved = [row["district"] for row in districts if row["specialist"] is None]
    return render(
        request,
        "cases/firm.html",
        {
            "firm": firm,
            "districts": districts if is_supervisor else [row for row in districts if row["specialist"]],
            "unserved": unserved,
            # The firm's own applications and those an agent filed for it (by its credit code).
            "cases": as_list_rows(
                selectors.cases_visible_to(user).filter(Q(firm=firm) | Q(applicant_credit_code=firm.credit_code)),
                agent=False,
            )[:50],
            "recommendations": selectors.firm_recommendations(firm=firm),
            "may_edit": user.role == User.Role.FIRM and user.firm_id == firm.pk,
            "may_assign": is_supervisor,
            "growth_stages": Firm.GrowthStage.choices,
            "business_modes": Firm.BusinessMode.choices,
            "industries": Firm.Industry.choices,
        },
    )


@login_required
@require_POST
def firm_profile(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in_user(request)
    firm = get_object_or_404(selectors.firms_visible_to(user), pk=pk)
    try:
        services.firm_profile_update(
            firm=firm,
            actor=user,
            growth_stage=request.POST.get("growth_stage", ""),
            business_mode=request.POST.get("business_mode", ""),
            industry=request.POST.get("industry", ""),
            business_scope=request.POST.get("business_scope", ""),
        )
    except errors.DomainError as error:
        if isinstance(error, errors.NotAllowed):
            raise PermissionDenied from error
        messages.error(request, " ".join(dict.fromkeys(errors.error_messages(error))))
    else:
        messages.success(request, _("The firm's profile was saved; the recommendations follow it."))
    return redirect("cases-firm", pk=firm.pk)


@login_required
@require_POST
def firm_specialist(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in_user(request)
    if user.role != User.Role.SUPERVISOR:
        raise PermissionDenied
    firm = get_object_or_404(selectors.firms_visible_to(user), pk=pk)
    district = get_object_or_404(District, division_code=request.POST.get("district", ""))
    clerk_id = request.POST.get("clerk", "")
    clerk = get_object_or_404(User, pk=int(clerk_id)) if clerk_id.isdigit() else None
    if clerk is None:
        messages.error(request, _("Choose a clerk of the district."))
        return redirect("cases-firm", pk=firm.pk)
    try:
        services.firm_specialist_assign(firm=firm, district=district, clerk=clerk, actor=user)
    except errors.DomainError as error:
        messages.error(request, " ".join(dict.fromkeys(errors.error_messages(error))))
    else:
        messages.success(
            request,
            _("%(clerk)s is now the specialist of %(firm)s in %(district)s.")
            % {"clerk": clerk, "firm": firm, "district": district.display_name},
        )
    return redirect("cases-firm", pk=firm.pk)


@login_required
def firm_list(request: HttpRequest) -> HttpResponse:
    """Supervisors: the firms, found by name or credit code, with their specialists."""
    user = signed_in_user(request)
    if user.role != User.Role.SUPERVISOR:
        raise PermissionDenied
    query = request.GET.get("q", "").strip()[:100]
    firms = selectors.firms_visible_to(user).prefetch_related(
        Prefetch(
            "specialists",
            queryset=FirmSpecialist.objects.filter(active=True).select_related("district", "clerk"),
            to_attr="active_specialists",
        )
    )
    if query:
        firms = firms.filter(Q(name__icontains=query) | Q(credit_code__icontains=query))
    return render(request, "cases/firm_list.html", {"firms": firms[:FIRMS_SHOWN], "query": query})
