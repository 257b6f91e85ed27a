"""Pages: 我的办件 (applicants), the clerk's workbench, the supervisors' overview. Thin over services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from accounts.identifiers import normalize_id_number
from accounts.models import User
from cases import life_cycle, selectors, services
from cases.http import document_response, request_id, signed_in_user
from cases.life_cycle import Input, Step
from cases.models import Case, CaseView, DeliveryMethod, FollowUp
from govservice import errors
from govservice.errors import Invalid
from standards.models import ItemMaterial, ItemVersion

# "Who viewed my case" on the case page: the newest this many (the API pages through all of them).
VIEWS_SHOWN = 50


def _visible_case(request: HttpRequest, reference: str) -> Case:
    return get_object_or_404(selectors.cases_visible_to(request.user), reference=reference)


@login_required
def my_cases(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    if user.role == User.Role.CLERK:
        return redirect("cases-workbench")
    cases = selectors.cases_visible_to(user)
    state = request.GET.get("state")
    if state in life_cycle.STATES:
        cases = cases.filter(state=state)
    recommended: QuerySet[ItemVersion] | list[ItemVersion] = []
    if user.role == User.Role.FIRM and user.firm is not None:
        recommended = selectors.firm_recommended_items(firm=user.firm)[:12]
    return render(
        request,
        "cases/my_cases.html",
        {
            "cases": cases[:200],
            "states": [(value, spec.label) for value, spec in life_cycle.STATES.items()],
            "state": state,
            "recommended": recommended,
        },
    )


@login_required
def workbench(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    if user.role == User.Role.SUPERVISOR:
        return redirect("cases-supervision")
    if user.role != User.Role.CLERK:
        raise PermissionDenied
    queues = selectors.workbench_for(user)
    return render(
        request,
        "cases/workbench.html",
        {"queues": queues, "district_queue": selectors.district_queues(user=user)[0]},
    )


@login_required
def supervision(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    if user.role != User.Role.SUPERVISOR:
        raise PermissionDenied
    return render(
        request,
        "cases/supervision.html",
        {
            "queues": selectors.district_queues(user=user),
            "figures": selectors.figures(user=user),
            "follow_ups": FollowUp.objects.filter(status=FollowUp.Status.OPEN).select_related(
                "rating__case", "district"
            ),
            "stopped": selectors.routing_stopped_cases(),
        },
    )


@login_required
@require_POST
def apply(request: HttpRequest, version_id: int) -> HttpResponse:
    user = signed_in_user(request)
    version = get_object_or_404(ItemVersion, pk=version_id, status=ItemVersion.Status.PUBLISHED)
    try:
        case = services.case_draft_create(
            applicant=user,
            item_version=version,
            actor=user,
            request_id=request_id(request),
        )
    except (errors.DomainError, ValidationError, PermissionDenied) as error:
        messages.error(request, " ".join(dict.fromkeys(errors.error_messages(error))))
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
    code = normalize_id_number(request.POST.get("principal_code", ""))  # full-width input becomes ASCII
    try:
        case = services.case_agent_draft_create(
            agent=signed_in_user(request),
            item_version=version,
            principal_name=request.POST.get("principal_name", ""),
            principal_id_number=code if kind == "person" else "",
            principal_credit_code=code if kind == "firm" else "",
            request_id=request_id(request),
        )
    except (errors.DomainError, ValidationError, PermissionDenied) as error:
        messages.error(request, " ".join(dict.fromkeys(errors.error_messages(error))))
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
    user = signed_in_user(request)
    events = selectors.case_events_visible_to(case=case, user=user)
    steps = selectors.case_steps_for(case=case, user=user)
    materials = {m.item_material_id: m for m in case.materials.filter(current=True)}
    standard = [(m, materials.get(m.pk)) for m in case.item_version.materials.select_related("material_type")]
    required = {m.pk for m in services.case_required_materials(case)}
    views_log = None
    if selectors.case_views_readable_by(case=case, user=user):
        views = selectors.case_views_for(case=case, user=user)
        views_log = {"entries": [selectors.view_entry(v) for v in views[:VIEWS_SHOWN]], "count": views.count()}
    response = render(
        request,
        "cases/case_detail.html",
        {
            "case": case,
            "events": events,
            "steps": steps,
            # The declared steps offered now, for the forms (the names above say what to show).
            "step_forms": [life_cycle.STEPS[name] for name in steps if name in life_cycle.STEPS],
            "standard": standard,
            "required": required,
            "delivery_methods": DeliveryMethod.choices,
            "scores": [5, 4, 3, 2, 1],
            "rating": getattr(case, "rating", None) if case.state == life_cycle.RATED else None,
            "views_log": views_log,
        },
    )
    return services.case_view_after_response(
        request=request, response=response, case=case, what=CaseView.What.CASE, via=CaseView.Via.PAGE
    )


@xframe_options_sameorigin  # the case page shows PDFs in a frame of its own origin
def case_document(request: HttpRequest, reference: str, material_id: int) -> HttpResponseBase:
    """A material of a case, for those who may see the case; 404 for everyone else, anonymous included."""
    try:
        document = selectors.case_document_for(user=request.user, reference=reference, material_id=material_id)
    except errors.NotFound as error:
        raise Http404(str(error)) from error
    except errors.Conflict as error:
        return render(request, "cases/document_damaged.html", {"reference": reference, "error": error}, status=409)
    return services.case_view_after_response(
        request=request,
        response=document_response(document),
        case=document.material.case,
        what=CaseView.What.MATERIAL,
        material=document.material,
        via=CaseView.Via.PAGE,
    )


def _step_inputs(request: HttpRequest, case: Case, step: Step) -> dict[str, Any]:
    """The service's keyword arguments from the form, by the step's declared inputs."""
    post = request.POST
    kwargs: dict[str, Any] = {}
    for kind in step.inputs:
        if kind == Input.REASON:
            kwargs["reason"] = post.get("reason", "")
        elif kind == Input.MATERIALS:
            kwargs["materials"] = list(
                ItemMaterial.objects.filter(pk__in=post.getlist("materials"), version=case.item_version)
            )
        elif kind == Input.DELIVERY:
            kwargs["method"] = post.get("method", "")
            kwargs["detail"] = post.get("detail", "")
        elif kind == Input.RATING:
            for name in ("score", "attitude", "speed", "convenience"):
                try:
                    kwargs[name] = int(post.get(name, ""))
                except ValueError:
                    kwargs[name] = 0
            kwargs["comment"] = post.get("comment", "")
    return kwargs


def _run_step(request: HttpRequest, case: Case, name: str) -> None:
    common: dict[str, Any] = {"case": case, "actor": signed_in_user(request), "request_id": request_id(request)}
    if name == life_cycle.MATERIAL:
        material = get_object_or_404(ItemMaterial, pk=request.POST.get("item_material"), version=case.item_version)
        upload = request.FILES.get("file")
        if upload is None:
            message = _("Choose a file.")
            raise Invalid(message, fields={"file": [message]})
        services.case_material_add(item_material=material, uploaded_file=upload, **common)
        return
    step = life_cycle.STEPS.get(name)
    if step is None or step.url_path is None:
        raise Http404
    getattr(services, step.service)(**_step_inputs(request, case, step), **common)


def _show_error(request: HttpRequest, error: Exception) -> None:
    """The one way a page reports a refused request: a message (403 and 404 stay error pages, as ever)."""
    domain = errors.as_domain_error(error)
    if isinstance(domain, errors.NotAllowed):
        raise PermissionDenied(domain.message) from error
    if isinstance(domain, errors.NotFound):
        raise Http404(domain.message) from error
    # A field's message often repeats the general one: show each once.
    messages.error(request, " ".join(dict.fromkeys(errors.error_messages(error))))


@login_required
@require_POST
def case_step(request: HttpRequest, reference: str, step: str) -> HttpResponse:
    case = _visible_case(request, reference)
    try:
        _run_step(request, case, step)
    except (errors.DomainError, ValidationError) as error:
        _show_error(request, error)
    else:
        messages.success(request, _("Done."))
    declared = life_cycle.STEPS.get(step)
    if (declared is not None and declared.opens_case) or request.POST.get("next") != "workbench":
        return redirect("cases-detail", reference=case.reference)
    return redirect("cases-workbench")
