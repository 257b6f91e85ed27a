"""Reads: who sees which case, queues, figures, firm recommendations."""

from __future__ import annotations

from django.db.models import Avg, Count, Q, QuerySet
from django.utils import timezone

from accounts.models import Firm, User
from cases.models import FINISHED_STATES, OPEN_STATES, Case, CaseEvent, CaseState, FollowUp, Rating
from standards.models import District, ItemVersion


def _applicant_side_q(user: User) -> Q:
    """The cases a citizen or firm user acts on: as applicant or agent, or as the principal an agent applied for.

    A principal is matched by their account's resident ID number (set by administrators after real-name
    checks, never by the user) or their firm's credit code, so a principal who opens an account after the
    agent applied still finds the case. A person's number matches only cases of a natural person: a firm
    representative's own number on a firm case does not open that case to their private account.
    """
    own = Q(applicant=user) | Q(agent=user)
    if user.role == User.Role.CITIZEN and user.id_number:
        own |= Q(applicant_id_number=user.id_number.upper(), firm__isnull=True, applicant_credit_code="")
    if user.role == User.Role.FIRM and user.firm_id:
        own |= Q(firm_id=user.firm_id) | Q(applicant_credit_code=user.firm.credit_code)
    return own


def case_is_applicant_side(*, case: Case, user: User) -> bool:
    """The same rule as _applicant_side_q, for one case in hand (the services' guard)."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.pk in (case.applicant_id, case.agent_id):
        return True
    if user.role == User.Role.CITIZEN and user.id_number:
        return (
            case.firm_id is None
            and not case.applicant_credit_code
            and case.applicant_id_number == user.id_number.upper()
        )
    if user.role == User.Role.FIRM and user.firm_id:
        if case.firm_id is not None and case.firm_id == user.firm_id:
            return True
        return bool(case.applicant_credit_code) and case.applicant_credit_code == user.firm.credit_code
    return False


def cases_visible_to(user: User) -> QuerySet[Case]:
    """A citizen sees their own, a firm user their firm's, a clerk their district's, a supervisor all.

    "Their own" includes the cases they file as an agent and those an agent filed for them.
    """
    cases = Case.objects.select_related(
        "item_version",
        "item_version__item",
        "accepting_district",
        "approving_district",
        "accepting_window",
        "approving_window",
        "applicant",
        "firm",
        "agent",
    )
    if not user.is_authenticated or not user.is_active:
        return cases.none()
    if user.role == User.Role.SUPERVISOR:
        return cases
    if user.role == User.Role.CLERK:
        if user.district_id is None:
            return cases.none()
        # The accepting district sees what was submitted to it; the approving district only what
        # has been transferred to it at least once (not applications still at the other window).
        return cases.filter(
            (Q(accepting_district_id=user.district_id) & ~Q(state=CaseState.DRAFT))
            | Q(approving_district_id=user.district_id, routed_at__isnull=False)
        )
    if user.role in (User.Role.CITIZEN, User.Role.FIRM):
        return cases.filter(_applicant_side_q(user))
    return cases.none()


def case_events_visible_to(*, case: Case, user: User) -> QuerySet[CaseEvent]:
    """The event log, for whoever may see the case (the caller has checked that)."""
    return CaseEvent.objects.filter(case=case).select_related("actor").order_by("seq")


def workbench_for(clerk: User) -> dict[str, QuerySet[Case]]:
    """A clerk's district queue: to accept, to approve (routed here, or held for want of a clerk), to deliver."""
    district_id = clerk.district_id
    visible = cases_visible_to(clerk)
    return {
        "to_accept": visible.filter(
            accepting_district_id=district_id, state__in=[CaseState.SUBMITTED, CaseState.RETURNED]
        ).order_by("submitted_at"),
        "to_approve": visible.filter(
            approving_district_id=district_id,
            state__in=[CaseState.TRANSFERRED, CaseState.IN_REVIEW, CaseState.SPECIAL_PROCEDURE],
        ).order_by("routed_at"),
        "to_deliver": visible.filter(
            accepting_district_id=district_id, state__in=[CaseState.APPROVED, CaseState.REFUSED]
        ).order_by("decided_at"),
        "waiting": visible.filter(
            accepting_district_id=district_id, state__in=[CaseState.ACCEPTED, CaseState.CORRECTION_REQUESTED]
        ),
    }


def district_queues(*, user: User) -> list[dict]:
    """Every district queue for a supervisor; the clerk's own for a clerk."""
    districts = District.objects.all()
    if user.role == User.Role.CLERK:
        districts = districts.filter(pk=user.district_id)
    elif user.role != User.Role.SUPERVISOR:
        return []
    rows = []
    active_clerks = dict(
        User.objects.filter(role=User.Role.CLERK, is_active=True)
        .values("district_id")
        .annotate(n=Count("id"))
        .values_list("district_id", "n")
    )
    for district in districts:
        transferred = Case.objects.filter(approving_district=district, state=CaseState.TRANSFERRED)
        rows.append(
            {
                "division_code": district.division_code,
                "district": str(district),
                "queue": f"district.{district.division_code}",
                "active_clerks": active_clerks.get(district.pk, 0),
                "waiting": transferred.count(),
                "held_without_clerk": transferred.filter(approving_clerk__isnull=True).count(),
                "in_review": Case.objects.filter(
                    approving_district=district, state__in=[CaseState.IN_REVIEW, CaseState.SPECIAL_PROCEDURE]
                ).count(),
                "routing_stopped": Case.objects.filter(
                    approving_district=district, state=CaseState.ACCEPTED, routing_poisoned=True
                ).count(),
                "cases": list(transferred.order_by("routed_at").values_list("reference", flat=True)[:50]),
            }
        )
    return rows


def _figures_for(cases: QuerySet[Case]) -> dict:
    today = timezone.localdate()
    by_state = {state: 0 for state in CaseState.values}
    for row in cases.values("state").annotate(n=Count("id")):
        by_state[row["state"]] = row["n"]
    finished = cases.filter(state__in=FINISHED_STATES, accepted_at__isnull=False, delivered_at__isnull=False)
    durations = [
        ((delivered_at - accepted_at).total_seconds() / 86400, promised)
        for accepted_at, delivered_at, promised in finished.values_list(
            "accepted_at", "delivered_at", "item_version__promised_limit"
        )
    ]
    overdue_open = cases.filter(state__in=OPEN_STATES, promised_due__lt=today).count()
    overdue_late = sum(
        1
        for delivered_at, due in finished.values_list("delivered_at", "promised_due")
        if due and timezone.localdate(delivered_at) > due
    )
    trips_saved = sum(
        max(0, needed - made)
        for needed, made in finished.values_list("item_version__onsite_visits", "onsite_visits_made")
    )
    ratings = Rating.objects.filter(case__in=cases)
    rating_figures = ratings.aggregate(count=Count("id"), average=Avg("score"), bad=Count("id", filter=Q(score__lte=2)))
    return {
        "total": sum(by_state.values()),
        "by_state": by_state,
        "completed": len(durations),
        "average_days_to_complete": round(sum(d for d, _ in durations) / len(durations), 2) if durations else None,
        "average_promised_days": round(sum(p for _, p in durations) / len(durations), 2) if durations else None,
        "overdue_open": overdue_open,
        "completed_late": overdue_late,
        "trips_saved": trips_saved,
        "ratings": {
            "count": rating_figures["count"],
            "average": round(rating_figures["average"], 2) if rating_figures["average"] is not None else None,
            "bad": rating_figures["bad"],
            "follow_ups_open": FollowUp.objects.filter(rating__in=ratings, status=FollowUp.Status.OPEN).count(),
        },
    }


def figures(*, user: User) -> dict:
    """Per district (cases it accepted or approves) and alliance-wide; a clerk gets their district only."""
    visible = cases_visible_to(user).exclude(state=CaseState.DRAFT)
    districts = District.objects.all()
    if user.role == User.Role.CLERK:
        districts = districts.filter(pk=user.district_id)
    elif user.role != User.Role.SUPERVISOR:
        districts = districts.none()
    result = {
        "districts": [
            {
                "division_code": d.division_code,
                "district": str(d),
                **_figures_for(visible.filter(Q(accepting_district=d) | Q(approving_district=d))),
            }
            for d in districts
        ],
    }
    if user.role == User.Role.SUPERVISOR:
        result["alliance"] = _figures_for(visible)
    return result


def firm_recommended_items(*, firm: Firm) -> QuerySet[ItemVersion]:
    """Published items whose growth-stage tags include the firm's stage (精服务)."""
    today = timezone.localdate()
    versions = (
        ItemVersion.objects.filter(status=ItemVersion.Status.PUBLISHED, for_legal_person=True)
        .filter(Q(effective_from__isnull=True) | Q(effective_from__lte=today))
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=today))
        .select_related("item")
        .order_by("item__code")
    )
    # JSON containment is not on SQLite: filter the (small) tagged set in Python, keep a queryset.
    ids = [pk for pk, stages in versions.values_list("pk", "growth_stages") if firm.growth_stage in (stages or [])]
    return versions.filter(pk__in=ids)


def firms_visible_to(user: User) -> QuerySet[Firm]:
    if user.role in (User.Role.SUPERVISOR, User.Role.CLERK):
        return Firm.objects.all()
    if user.role == User.Role.FIRM and user.firm_id:
        return Firm.objects.filter(pk=user.firm_id)
    return Firm.objects.none()


def case_steps_for(*, case: Case, user: User) -> list[str]:
    """The steps this user may take on this case now (the services check again)."""
    steps: list[str] = []
    applicant_side = case_is_applicant_side(case=case, user=user)
    at_accepting = user.role == User.Role.CLERK and user.district_id == case.accepting_district_id
    at_approving = user.role == User.Role.CLERK and user.district_id == case.approving_district_id
    state = case.state
    if applicant_side:
        if state in (CaseState.DRAFT, CaseState.CORRECTION_REQUESTED):
            steps += ["material", "submit"]
        if state == CaseState.DELIVERED:
            steps.append("close")
        if state == CaseState.CLOSED:
            steps.append("rate")
    if at_accepting:
        if state in (CaseState.SUBMITTED, CaseState.RETURNED):
            steps += ["accept", "request_correction", "not_accept"]
        if state in (CaseState.APPROVED, CaseState.REFUSED):
            steps.append("deliver")
        if state == CaseState.DELIVERED and "close" not in steps:
            steps.append("close")
    if at_approving:
        if state == CaseState.TRANSFERRED:
            steps.append("recognise")
        if state == CaseState.IN_REVIEW:
            steps += ["approve", "refuse", "special_procedure_start", "return"]
        if state == CaseState.SPECIAL_PROCEDURE:
            steps.append("special_procedure_end")
    return steps
