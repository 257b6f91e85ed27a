"""Pages: 我的办件 (applicants), the clerk's workbench, the supervisors' overview. Thin over services."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet, prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from accounts.identifiers import normalize_id_number
from accounts.models import User
from cases import life_cycle, selectors, services
from cases.chain import chain_verify
from cases.http import document_response, request_id, signed_in_user
from cases.life_cycle import Input, Step
from cases.models import Case, CaseEvent, CaseMaterial, CaseView, DeliveryMethod, FollowUp, IdentityCheck, MaterialCheck
from cases.selectors.competence import APPLY_FORM_PREFETCH
from cases.selectors.portal import as_list_rows
from govservice import errors
from govservice.errors import Invalid
from standards.models import District, ItemMaterial, ItemVersion, ServiceItem, ServiceWindow
from standards.selectors import item_version_in_force

# "Who viewed my case" on the case page: the newest this many (the API pages through all of them).
VIEWS_SHOWN = 50


def _visible_case(request: HttpRequest, reference: str) -> Case:
    return get_object_or_404(selectors.cases_visible_to(request.user), reference=reference)


# My cases lists 50 a page (200 rows took some 150 ms to render for a citizen with hundreds of cases).
MY_CASES_PER_PAGE = 50


@login_required
def my_cases(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    if user.role == User.Role.CLERK:
        return redirect("cases-workbench")
    cases = selectors.cases_visible_to(user)
    state = request.GET.get("state")
    if state in life_cycle.STATES:
        cases = cases.filter(state=state)
    recommended: list[ItemVersion] = []
    if user.role == User.Role.FIRM and user.firm is not None:
        # The first few; the firm space shows all of them with their reasons.
        recommended = selectors.firm_recommended_items(firm=user.firm)[:6]
        prefetch_related_objects(recommended, *APPLY_FORM_PREFETCH)  # each card has an apply form
    # A page of the list at a time, reading only what its rows show (cases_visible_to joins nine tables).
    page = Paginator(as_list_rows(cases), MY_CASES_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "cases/my_cases.html",
        {
            "cases": page.object_list,
            "page": page,
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
    desk = selectors.workbench_for(user, selectors.WorkbenchFilters.from_query(request.GET))
    return render(
        request,
        "cases/workbench.html",
        {
            "desk": desk,
            "district_queue": selectors.district_queues(user=user)[0],
            "deadline_choices": [
                ("overdue", _("Overdue")),
                ("due_soon", _("Due within two working days")),
                ("none", _("No deadline yet")),
            ],
        },
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
            # The supervisor's own (a district's, or the alliance's), escalated first; handled on their page.
            "follow_ups": selectors.follow_up_list(user=user).filter(status=FollowUp.Status.OPEN)[:20],
            "stopped": selectors.routing_stopped_cases(),
        },
    )


def _accepting_district(request: HttpRequest) -> District | None:
    """The accepting district the apply form chose (a division code; None: the service takes the item's first)."""
    code = request.POST.get("accepting_district", "").strip()
    if not code:
        return None
    district = District.objects.filter(division_code=code[:6]).first()
    if district is None:
        raise Invalid(_("Choose one of the districts that accept this item."))
    return district


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
            accepting_district=_accepting_district(request),
            approving_place=request.POST.get("approving_place", ""),
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
            accepting_district=_accepting_district(request),
            approving_place=request.POST.get("approving_place", ""),
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


@dataclass(frozen=True)
class HistoryRow:
    """One event of the history as the page shows it: places by name, the actor as the viewer may see them."""

    event: CaseEvent
    actor: str
    district: str
    window: str


def _events_for_page(events: QuerySet[CaseEvent], *, user: User) -> list[HistoryRow]:
    """District and window by name (never their codes), and a clerk without a display name by their role (never
    their user name) for those who are not staff."""
    rows = list(events)
    districts = {d.division_code: d for d in District.objects.all()}
    windows = {w.code: w for w in ServiceWindow.objects.filter(code__in={e.window_code for e in rows if e.window_code})}
    staff = user.role in (User.Role.CLERK, User.Role.SUPERVISOR, User.Role.STANDARDS_ADMIN)
    history = []
    for event in rows:
        district = districts.get(event.district_code)
        window = windows.get(event.window_code)
        actor = event.actor
        if actor is None:
            actor_label = ""
        elif staff or actor.display_name or actor.role not in (User.Role.CLERK, User.Role.SUPERVISOR):
            actor_label = str(actor)
        else:
            actor_label = actor.get_role_display()
        history.append(
            HistoryRow(
                event=event,
                actor=actor_label,
                district=f"{district.display_city}·{district.display_name}" if district else event.district_code,
                window=window.display_name if window else event.window_code,
            )
        )
    return history


@login_required
def case_history_verify(request: HttpRequest, reference: str) -> HttpResponse:
    """The "verify" link of a case's history: its hash chain recomputed from the first event, in plain words."""
    case = _visible_case(request, reference)
    report = chain_verify(case=case)
    return render(request, "cases/history_verify.html", {"case": case, "report": report})


@login_required
def case_detail(request: HttpRequest, reference: str) -> HttpResponse:
    case = _visible_case(request, reference)
    user = signed_in_user(request)
    events = _events_for_page(selectors.case_events_visible_to(case=case, user=user), user=user)
    steps = selectors.case_steps_for(case=case, user=user)
    required = {m.pk for m in services.case_required_materials(case)}
    views_log = None
    if selectors.case_views_readable_by(case=case, user=user):
        views = selectors.case_views_for(case=case, user=user)
        views_log = {"entries": [selectors.view_entry(v) for v in views[:VIEWS_SHOWN]], "count": views.count()}
    rows = selectors.material_rows(case, required=required)
    form = selectors.form_rows(case, full=selectors.case_is_applicant_side(case=case, user=user))
    # 我的材料: the applicant's own earlier files that fit each material, offered beside the upload of a draft.
    mine = (
        selectors.my_materials_for(user, [row.item_material for row in rows])
        if "material" in steps and user.role in (User.Role.CITIZEN, User.Role.FIRM)
        else {}
    )
    # The checks are taken where acceptance is decided: by the accepting side, in the states accept leaves.
    accept = life_cycle.STEPS["accept"]
    can_check = accept.leaves(case.state) and selectors.actor_on_a_side(accept.sides, case=case, actor=user)
    response = render(
        request,
        "cases/case_detail.html",
        {
            "case": case,
            # The accepting clerk may name another competent district before the transfer (item 5).
            "approving_choices": selectors.approving_change_choices(case=case, user=user),
            "events": events,
            "steps": steps,
            # The declared steps offered now, for the forms (the names above say what to show).
            "step_forms": [life_cycle.STEPS[name] for name in steps if name in life_cycle.STEPS],
            "rows": rows,
            "my_materials": mine,
            "standard": [(row.item_material, row.provided) for row in rows],
            "required": required,
            "can_check": can_check,
            "gaps": services.acceptance_gaps(case) if can_check else None,
            "failing": [row for row in rows if row.check is not None and not row.check.conforming],
            # 补正: the banner at the top lists exactly what to replace and why (the rows carry the same items).
            "correction_open": case.state == life_cycle.STEPS["request_correction"].target,
            "to_correct": [row for row in rows if row.correction is not None],
            "identity": selectors.identity_check_of(case),
            "identity_methods": IdentityCheck.Method.choices,
            "verdicts": MaterialCheck.Verdict.choices,
            "is_staff_side": user.role in (User.Role.CLERK, User.Role.SUPERVISOR),
            "delivery_methods": DeliveryMethod.choices,
            "scores": [5, 4, 3, 2, 1],
            "rating": selectors.rating_shown(case),
            "papers": selectors.case_papers(case),
            "views_log": views_log,
            "form": form,
            # The form is filled by those who add materials, while the case takes them.
            "form_editable": life_cycle.MATERIAL in steps,
            "form_missing": [row["label"] for row in form if row["required"] and not row["filled"]],
        },
    )
    return services.case_view_after_response(
        request=request, response=response, case=case, what=CaseView.What.CASE, via=CaseView.Via.PAGE
    )


@login_required
@require_POST
def case_form(request: HttpRequest, reference: str) -> HttpResponse:
    """The application form saved as a draft from the case page: every declared field posted is filled
    (an empty one cleared); what does not validate is named and nothing is saved."""
    case = _visible_case(request, reference)
    keys = [field["key"] for field in case.item_version.application_form or []]
    values = {key: request.POST[key] for key in keys if key in request.POST}
    try:
        services.case_form_fill(case=case, values=values, actor=signed_in_user(request), request_id=request_id(request))
    except (errors.DomainError, ValidationError) as error:
        _show_error(request, error)
    else:
        messages.success(request, _("The form is saved as a draft."))
    page = "cases-counter-case" if request.POST.get("next") == "counter" and case.counter_clerk_id else "cases-detail"
    return redirect(reverse(page, args=[case.reference]) + "#application-form")


@login_required
@require_POST
def case_check_material(request: HttpRequest, reference: str) -> HttpResponse:
    """形式审查 from the case page: one current upload, conforming or not with a reason."""
    case = _visible_case(request, reference)
    try:
        material = get_object_or_404(CaseMaterial, pk=request.POST.get("material") or 0, case=case)
        services.case_material_check(
            case=case,
            material=material,
            verdict=request.POST.get("verdict", ""),
            reason=request.POST.get("reason", ""),
            actor=signed_in_user(request),
            request_id=request_id(request),
        )
    except (errors.DomainError, ValidationError) as error:
        _show_error(request, error)
    else:
        messages.success(request, _("Check recorded."))
    return redirect(f"{reverse('cases-detail', args=[case.reference])}#material-{material.item_material_id}")


@login_required
@require_POST
def case_check_identity(request: HttpRequest, reference: str) -> HttpResponse:
    """身份核验 from the case page: how the applicant's identity was verified."""
    case = _visible_case(request, reference)
    try:
        services.case_identity_check(
            case=case,
            method=request.POST.get("method", ""),
            note=request.POST.get("note", ""),
            actor=signed_in_user(request),
            request_id=request_id(request),
        )
    except (errors.DomainError, ValidationError) as error:
        _show_error(request, error)
    else:
        messages.success(request, _("Identity check recorded."))
    return redirect(f"{reverse('cases-detail', args=[case.reference])}#identity")


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
        elif kind == Input.RETURN_MATERIALS:
            chosen = ItemMaterial.objects.filter(pk__in=post.getlist("return_materials"), version=case.item_version)
            kwargs["materials"] = [(m, post.get(f"return_reason_{m.pk}", "")) for m in chosen.order_by("position")]
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
    if request.POST.get("next") == "counter" and case.counter_clerk_id is not None:
        return redirect("cases-counter-case", reference=case.reference)
    if (declared is not None and declared.opens_case) or request.POST.get("next") != "workbench":
        return redirect("cases-detail", reference=case.reference)
    return redirect("cases-workbench")


@login_required
@require_POST
def approving_district_change(request: HttpRequest, reference: str) -> HttpResponse:
    """The accepting clerk names another competent district, with a reason, before the transfer."""
    case = _visible_case(request, reference)
    try:
        district = District.objects.filter(division_code=request.POST.get("district", "")).first()
        if district is None:
            message = _("Choose a district from the list.")
            raise Invalid(message, fields={"district": [message]})
        services.case_approving_district_change(
            case=case,
            actor=signed_in_user(request),
            district=district,
            reason=request.POST.get("reason", ""),
            request_id=request_id(request),
        )
    except (errors.DomainError, ValidationError) as error:
        _show_error(request, error)
    else:
        messages.success(request, _("Done."))
    return redirect("cases-detail", reference=case.reference)


# --- 窗口收件: counter intake ---------------------------------------------------------------------

# The looked-up ID number stays on the server (the session) between the counter's two forms, so the
# page never carries it in full, not even in a hidden field.
_WALKIN_KEY = "cases_counter_walkin"


def _clerk(request: HttpRequest) -> User:
    user = signed_in_user(request)
    if user.role != User.Role.CLERK:
        raise PermissionDenied
    return user


def _counter_version(code: str) -> ItemVersion:
    item = ServiceItem.objects.filter(code=(code or "").strip()).first()
    version = item_version_in_force(item=item) if item is not None else None
    if version is None or version.status != ItemVersion.Status.PUBLISHED:
        message = _("No published item in force has this code.")
        raise Invalid(message, fields={"item": [message]})
    return version


@login_required
def counter(request: HttpRequest) -> HttpResponse:
    """窗口收件: find a walk-in applicant by ID number (or record them), pick the item, file the case."""
    clerk = _clerk(request)
    context: dict[str, Any] = {"item_code": request.GET.get("item", "")}
    if request.method == "POST":
        context["item_code"] = request.POST.get("item", "")
        try:
            if request.POST.get("action") == "register":
                stored = request.session.get(_WALKIN_KEY)
                if not stored:
                    raise Invalid(_("Look the applicant up by ID number first."), code="lookup_first")
                case = services.case_counter_intake(
                    clerk=clerk,
                    item_version=_counter_version(stored["item"]),
                    id_number=stored["id_number"],
                    consent=request.POST.get("consent") == "yes",
                    name=request.POST.get("name", ""),
                    phone=request.POST.get("phone", ""),
                    approving_place=request.POST.get("approving_place", ""),
                    request_id=request_id(request),
                )
                request.session.pop(_WALKIN_KEY, None)
                messages.success(
                    request,
                    _("Case %(reference)s filed at your window: add the materials, then submit it for the applicant.")
                    % {"reference": case.reference},
                )
                return redirect("cases-counter-case", reference=case.reference)
            # A new lookup forgets the previous walk-in, found or not.
            request.session.pop(_WALKIN_KEY, None)
            version = _counter_version(context["item_code"])
            number = (request.POST.get("id_number", "") or "").strip().upper()
            selectors.counter_lookup(clerk=clerk, id_number=number)  # refuses a bad number, with its reason
            stored = {"id_number": number, "item": version.item.code}
            request.session[_WALKIN_KEY] = stored
            context.update(_walkin_context(clerk, stored))
        except (errors.DomainError, ValidationError) as error:
            _show_error(request, error)
            stored = request.session.get(_WALKIN_KEY)
            if request.POST.get("action") == "register" and stored:
                # Stay on the second form: the applicant is still the one looked up.
                context.update(_walkin_context(clerk, stored))
    return render(request, "cases/counter/intake.html", context)


def _walkin_context(clerk: User, stored: dict[str, str]) -> dict[str, Any]:
    try:
        version = _counter_version(stored["item"])
        walkin = selectors.counter_lookup(clerk=clerk, id_number=stored["id_number"])
    except errors.DomainError:
        return {}  # the item is no longer in force: the clerk starts again from the first form
    account = selectors.citizen_account(stored["id_number"])
    places = selectors.applicant_places(principal="person", account=account, firm=None, given="")
    return {
        "walkin": walkin,
        "version": version,
        "item_code": version.item.code,
        "question": selectors.competence_question(item_version=version, places=places),
    }


@login_required
def counter_case(request: HttpRequest, reference: str) -> HttpResponse:
    """A case filed at the counter: the clerk uploads or photographs the materials and submits it."""
    _clerk(request)
    case = _visible_case(request, reference)
    if case.counter_clerk_id is None:
        raise Http404
    user = signed_in_user(request)
    materials = {m.item_material_id: m for m in case.materials.filter(current=True)}
    standard = [(m, materials.get(m.pk)) for m in case.item_version.materials.select_related("material_type")]
    steps = selectors.case_steps_for(case=case, user=user)
    form = selectors.form_rows(case, full=False)
    return render(
        request,
        "cases/counter/case.html",
        {
            "case": case,
            "standard": standard,
            "required": {m.pk for m in services.case_required_materials(case)},
            "steps": steps,
            # The application form, filled in by the clerk with the applicant at the counter.
            "form": form,
            "form_editable": life_cycle.MATERIAL in steps,
            "form_missing": [row["label"] for row in form if row["required"] and not row["filled"]],
            "form_next": "counter",
        },
    )
