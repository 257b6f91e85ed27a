"""Who sees which case, and who stands on which side of it."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet

from accounts.models import User
from cases import life_cycle
from cases.life_cycle import Side
from cases.models import Case, CaseEvent
from standards.models import District


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
    if user.role == User.Role.FIRM and user.firm is not None:
        own |= Q(firm_id=user.firm_id) | Q(applicant_credit_code=user.firm.credit_code)
    return own


def case_is_applicant_side(*, case: Case, user: User | AnonymousUser) -> bool:
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
    if user.role == User.Role.FIRM and user.firm is not None:
        if case.firm_id is not None and case.firm_id == user.firm_id:
            return True
        return bool(case.applicant_credit_code) and case.applicant_credit_code == user.firm.credit_code
    return False


def cases_visible_to(user: User | AnonymousUser) -> QuerySet[Case]:
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
        # The accepting district sees what was submitted to it, and the drafts its counter filed for walk-in
        # applicants (窗口收件), never an applicant's own draft; the approving district only what has been
        # transferred to it at least once (not applications still at the other window).
        return cases.filter(
            Q(accepting_district_id=user.district_id)
            & (~Q(state__in=life_cycle.UNSUBMITTED_STATES) | Q(counter_clerk__isnull=False))
            | Q(approving_district_id=user.district_id, routed_at__isnull=False)
        )
    if user.role in (User.Role.CITIZEN, User.Role.FIRM):
        return cases.filter(_applicant_side_q(user))
    return cases.none()


def districts_visible_to(user: User) -> QuerySet[District]:
    """The districts whose queues and figures a user reads: all for a supervisor, a clerk's own, else none."""
    districts = District.objects.all()
    if user.role == User.Role.SUPERVISOR:
        return districts
    if user.role == User.Role.CLERK and user.district_id is not None:
        return districts.filter(pk=user.district_id)
    return districts.none()


def case_events_visible_to(*, case: Case, user: User | AnonymousUser) -> QuerySet[CaseEvent]:
    """The event log, for whoever may see the case (the caller has checked that)."""
    return CaseEvent.objects.filter(case=case).select_related("actor").order_by("seq")


def actor_is(side: Side, *, case: Case, actor: User | AnonymousUser) -> bool:
    """Whether the user stands on this side of the case (the services' guards and the pages' offer read it)."""
    if side == Side.APPLICANT:
        return case_is_applicant_side(case=case, user=actor)
    if side == Side.COUNTER_CLERK:
        return case.counter_clerk_id is not None and actor_is(Side.ACCEPTING_CLERK, case=case, actor=actor)
    if side in (Side.ACCEPTING_CLERK, Side.APPROVING_CLERK):
        district_id = case.accepting_district_id if side == Side.ACCEPTING_CLERK else case.approving_district_id
        return actor.is_authenticated and actor.role == User.Role.CLERK and actor.district_id == district_id
    return False  # the system side (routing) is never a user


def actor_on_a_side(sides: Iterable[Side], *, case: Case, actor: User | AnonymousUser) -> bool:
    """Whether the user stands on one of these sides: who may take a step (or upload a material)."""
    return any(actor_is(side, case=case, actor=actor) for side in sides)
