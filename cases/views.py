"""Pages: 我的办件 (applicants), the clerk's workbench, the supervisors' overview. Thin over services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import User
from cases import selectors, services
from cases.models import Case, CaseState, DeliveryMethod
from standards.models import ItemMaterial, ItemVersion


def _visible_case(request: HttpRequest, reference: str) -> Case:
    return get_object_or_404(selectors.cases_visible_to(request.user), reference=reference)


@login_required
def my_cases(request: HttpRequest) -> HttpResponse:
    if request.user.role == User.Role.CLERK:
        return redirect("cases-workbench")
    cases = selectors.cases_visible_to(request.user)
    state = request.GET.get("state")
    if state in CaseState.values:
        cases = cases.filter(state=state)
    recommended = []
    if request.user.role == User.Role.FIRM and request.user.firm_id:
        recommended = selectors.firm_recommended_items(firm=request.user.firm)[:12]
    return render(
        request,
        "cases/my_cases.html",
        {"cases": cases[:200], "states": CaseState.choices, "state": state, "recommended": recommended},
    )


@login_required
def workbench(request: HttpRequest) -> HttpResponse:
    if request.user.role == User.Role.SUPERVISOR:
        return redirect("cases-supervision")
    if request.user.role != User.Role.CLERK:
        raise PermissionDenied
    queues = selectors.workbench_for(request.user)
    return render(
        request,
        "cases/workbench.html",
        {"queues": queues, "district_queue": selectors.district_queues(user=request.user)[0]},
    )


@login_required
def supervision(request: HttpRequest) -> HttpResponse:
    if request.user.role != User.Role.SUPERVISOR:
        raise PermissionDenied
    from cases.models import FollowUp

    return render(
        request,
        "cases/supervision.html",
        {
            "queues": selectors.district_queues(user=request.user),
            "figures": selectors.figures(user=request.user),
            "follow_ups": FollowUp.objects.filter(status=FollowUp.Status.OPEN).select_related(
                "rating__case", "district"
            ),
            "stopped": Case.objects.filter(routing_poisoned=True, state=CaseState.ACCEPTED),
        },
    )


@login_required
@require_POST
def apply(request: HttpRequest, version_id: int) -> HttpResponse:
    version = get_object_or_404(ItemVersion, pk=version_id, status=ItemVersion.Status.PUBLISHED)
    try:
        case = services.case_draft_create(
            applicant=request.user,
            item_version=version,
            actor=request.user,
            firm=request.user.firm if request.user.role == User.Role.FIRM else None,
            request_id=request.request_id,
        )
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
        return redirect(request.META.get("HTTP_REFERER") or "cases-mine")
    messages.success(
        request,
        _("Your application %(reference)s was started: add the materials and submit it.")
        % {"reference": case.reference},
    )
    return redirect("cases-detail", reference=case.reference)


@login_required
@require_POST
def apply_as_agent(request: HttpRequest, version_id: int) -> HttpResponse:
    """代办 from an item page: the signed-in citizen or firm user applies for a person or a firm."""
    version = get_object_or_404(ItemVersion, pk=version_id, status=ItemVersion.Status.PUBLISHED)
    kind = request.POST.get("principal_kind")
    code = request.POST.get("principal_code", "")
    try:
        case = services.case_agent_draft_create(
            agent=request.user,
            item_version=version,
            principal_name=request.POST.get("principal_name", ""),
            principal_id_number=code if kind == "person" else "",
            principal_credit_code=code if kind == "firm" else "",
            request_id=request.request_id,
        )
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
        return redirect(request.META.get("HTTP_REFERER") or "cases-mine")
    messages.success(
        request,
        _(
            "Your application %(reference)s for %(principal)s was started: upload the power of attorney and the "
            "other materials, then submit it."
        )
        % {"reference": case.reference, "principal": case.applicant_name},
    )
    return redirect("cases-detail", reference=case.reference)


@login_required
def case_detail(request: HttpRequest, reference: str) -> HttpResponse:
    case = _visible_case(request, reference)
    events = selectors.case_events_visible_to(case=case, user=request.user)
    steps = selectors.case_steps_for(case=case, user=request.user)
    materials = {m.item_material_id: m for m in case.materials.filter(current=True)}
    standard = [(m, materials.get(m.pk)) for m in case.item_version.materials.select_related("material_type")]
    required = {m.pk for m in services.case_required_materials(case)}
    return render(
        request,
        "cases/case_detail.html",
        {
            "case": case,
            "events": events,
            "steps": steps,
            "standard": standard,
            "required": required,
            "delivery_methods": DeliveryMethod.choices,
            "scores": [5, 4, 3, 2, 1],
            "rating": getattr(case, "rating", None) if case.state == CaseState.RATED else None,
        },
    )


def _run_step(request: HttpRequest, case: Case, step: str) -> None:
    user, rid, post = request.user, request.request_id, request.POST
    common = {"case": case, "actor": user, "request_id": rid}
    if step == "material":
        material = get_object_or_404(ItemMaterial, pk=post.get("item_material"), version=case.item_version)
        upload = request.FILES.get("file")
        if upload is None:
            raise ValidationError(_("Choose a file."))
        services.case_material_add(item_material=material, uploaded_file=upload, **common)
    elif step == "submit":
        services.case_submit(**common)
    elif step == "accept":
        services.case_accept(**common)
    elif step == "not_accept":
        services.case_not_accept(reason=post.get("reason", ""), **common)
    elif step == "request_correction":
        chosen = list(ItemMaterial.objects.filter(pk__in=post.getlist("materials"), version=case.item_version))
        services.case_request_correction(materials=chosen, reason=post.get("reason", ""), **common)
    elif step == "recognise":
        services.case_review_start(**common)
    elif step == "return":
        services.case_return(reason=post.get("reason", ""), **common)
    elif step == "special_procedure_start":
        services.case_special_procedure_start(reason=post.get("reason", ""), **common)
    elif step == "special_procedure_end":
        services.case_special_procedure_end(reason=post.get("reason", ""), **common)
    elif step == "approve":
        services.case_approve(reason=post.get("reason", ""), **common)
    elif step == "refuse":
        services.case_refuse(reason=post.get("reason", ""), **common)
    elif step == "deliver":
        services.case_deliver(method=post.get("method", ""), detail=post.get("detail", ""), **common)
    elif step == "close":
        services.case_close(**common)
    elif step == "rate":

        def score(name: str) -> int:
            try:
                return int(post.get(name, ""))
            except ValueError:
                return 0

        services.case_rate(
            score=score("score"),
            attitude=score("attitude"),
            speed=score("speed"),
            convenience=score("convenience"),
            comment=post.get("comment", ""),
            **common,
        )
    else:
        raise Http404


@login_required
@require_POST
def case_step(request: HttpRequest, reference: str, step: str) -> HttpResponse:
    case = _visible_case(request, reference)
    try:
        _run_step(request, case, step)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Done."))
    if step == "recognise" or request.POST.get("next") != "workbench":
        return redirect("cases-detail", reference=case.reference)
    return redirect("cases-workbench")
