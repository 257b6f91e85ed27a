"""Follow-up of bad ratings (好差评 整改): opened by a rating of 2 or less, with a deadline by the district's
policy; return visits (回访) and the rectification (整改) recorded; closed with a result the applicant is told;
escalated to the alliance supervisor once when overdue.

Every change is one transaction that locks the case row and appends its event to the case's hash chain
(cases/chain.py), so the follow-up's history is audited with the case's.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from cases import life_cycle
from cases.chain import event_append
from cases.deadlines import due_date
from cases.models import FollowUp, FollowUpPolicy, Rating, ReturnVisit
from cases.selectors.follow_ups import follow_ups_visible_to
from cases.services.case_notices import follow_up_closed_notice, follow_up_escalated_notice
from cases.services.guards import invalid_field, lock, required_reason
from govservice import events
from govservice.errors import Conflict, NotFound
from standards.models import District

logger = logging.getLogger(__name__)

# A rating of this score or less is a bad one (差评) and must be followed up.
BAD_SCORE = 2
# The deadline of a follow-up, in working days, where the district has no policy of its own.
FOLLOW_UP_DEFAULT_WORKING_DAYS = int(getattr(settings, "CASES_FOLLOW_UP_WORKING_DAYS", 5))
# Longest text a supervisor may write in one field (what the applicant said, the rectification, the result).
TEXT_LIMIT = 2000


def follow_up_working_days(district: District) -> int:
    """The district's policy (FollowUpPolicy), else the default of 5 working days."""
    policy = FollowUpPolicy.objects.filter(district=district).values_list("working_days", flat=True).first()
    return policy or FOLLOW_UP_DEFAULT_WORKING_DAYS


def follow_up_due_on(*, district: District, opened_on: dt.date) -> dt.date:
    """The last day to close a follow-up opened on `opened_on`: working days from the holiday calendar."""
    return due_date(start=opened_on, limit=follow_up_working_days(district), unit="working_days")


def alliance_supervisor_ids() -> set[int]:
    """Supervisors of the whole alliance (no district of their own)."""
    return set(
        User.objects.filter(role=User.Role.SUPERVISOR, is_active=True, district__isnull=True).values_list(
            "pk", flat=True
        )
    )


def district_supervisor_ids(district: District) -> set[int]:
    return set(
        User.objects.filter(
            Q(district=district) | Q(district__isnull=True), role=User.Role.SUPERVISOR, is_active=True
        ).values_list("pk", flat=True)
    )


def follow_up_open(*, rating: Rating) -> FollowUp:
    """Open the follow-up of a bad rating; the caller (case_rate) holds the case's lock in its transaction."""
    case = rating.case
    district = case.accepting_district
    follow_up = FollowUp.objects.create(
        rating=rating, district=district, due_on=follow_up_due_on(district=district, opened_on=timezone.localdate())
    )
    event_append(
        case=case,
        action=life_cycle.FOLLOW_UP_OPENED,
        actor=None,
        data={"follow_up": follow_up.pk, "due_on": follow_up.due_on.isoformat() if follow_up.due_on else None},
        district_code=district.division_code,
    )
    events.send_on_commit(
        events.recipients(user_ids=district_supervisor_ids(district), division_codes=set()),
        {"type": "case.bad_rating", "reference": case.reference, "score": rating.score},
    )
    return follow_up


def require_follow_up_access(follow_up: FollowUp, actor: User) -> None:
    """A supervisor of the follow-up's district, or of the whole alliance; for anyone else it does not exist."""
    if not follow_ups_visible_to(actor).filter(pk=follow_up.pk).exists():
        raise NotFound(_("No such follow-up."))


def _locked(follow_up: FollowUp, actor: User) -> FollowUp:
    """Lock the case (the chain's order) and re-read the follow-up; it must still be open."""
    require_follow_up_access(follow_up, actor)
    case = lock(follow_up.rating.case)
    follow_up = FollowUp.objects.select_related("rating", "district").get(pk=follow_up.pk)
    follow_up.rating.case = case
    if follow_up.status != FollowUp.Status.OPEN:
        raise Conflict(_("This follow-up is already closed."), code="already_done")
    return follow_up


def _text(value: str, *, field: str) -> str:
    value = required_reason(value, field=field)
    if len(value) > TEXT_LIMIT:
        raise invalid_field(field, _("At most %(limit)d characters.") % {"limit": TEXT_LIMIT})
    return value


def follow_up_record_visit(
    *,
    follow_up: FollowUp,
    actor: User,
    visited_at: dt.datetime,
    method: str,
    citizen_said: str,
    request_id: str = "",
) -> ReturnVisit:
    """回访: when, how and what the applicant said; the supervisor who records it made it."""
    if method not in ReturnVisit.Method.values:
        raise invalid_field("method", _("Choose how the applicant was contacted."))
    if timezone.is_naive(visited_at):
        visited_at = timezone.make_aware(visited_at)
    if visited_at > timezone.now() + dt.timedelta(minutes=5):
        raise invalid_field("visited_at", _("A return visit cannot lie in the future."))
    citizen_said = _text(citizen_said, field="citizen_said")
    with transaction.atomic():
        follow_up = _locked(follow_up, actor)
        if visited_at < follow_up.created_at - dt.timedelta(minutes=5):
            raise invalid_field("visited_at", _("A return visit cannot be before the rating."))
        visit = ReturnVisit.objects.create(
            follow_up=follow_up, visited_at=visited_at, method=method, visitor=actor, citizen_said=citizen_said
        )
        event_append(
            case=follow_up.rating.case,
            action=life_cycle.FOLLOW_UP_VISITED,
            actor=actor,
            reason=citizen_said,
            data={"follow_up": follow_up.pk, "method": method, "visited_at": visited_at.isoformat()},
            request_id=request_id,
            district_code=follow_up.district.division_code,
        )
    return visit


def follow_up_record_rectification(
    *, follow_up: FollowUp, actor: User, rectification: str, rectified_by: str, request_id: str = ""
) -> FollowUp:
    """整改: what was done about the complaint and by whom (a person or a unit); recorded again replaces it,
    and the chain keeps each version."""
    rectification = _text(rectification, field="rectification")
    rectified_by = required_reason(rectified_by, field="rectified_by")[:100]
    with transaction.atomic():
        follow_up = _locked(follow_up, actor)
        now = timezone.now()
        FollowUp.objects.filter(pk=follow_up.pk).update(
            rectification=rectification, rectified_by=rectified_by, rectified_at=now
        )
        event_append(
            case=follow_up.rating.case,
            action=life_cycle.FOLLOW_UP_RECTIFIED,
            actor=actor,
            reason=rectification,
            data={"follow_up": follow_up.pk, "rectified_by": rectified_by},
            request_id=request_id,
            district_code=follow_up.district.division_code,
        )
        follow_up.rectification, follow_up.rectified_by, follow_up.rectified_at = rectification, rectified_by, now
    return follow_up


def follow_up_close(*, follow_up: FollowUp, actor: User, note: str, request_id: str = "") -> FollowUp:
    """Close with the result the applicant is told (`note`), after at least one return visit and the
    rectification. The `follow_up_closed` event on the case's chain is what the applicant's notice reads."""
    note = _text(note, field="note")
    with transaction.atomic():
        follow_up = _locked(follow_up, actor)
        if not follow_up.visits.exists():
            raise Conflict(_("Record a return visit (回访) before closing."), code="visit_required")
        if not follow_up.rectification:
            raise Conflict(_("Record the rectification (整改) before closing."), code="rectification_required")
        now = timezone.now()
        changed = FollowUp.objects.filter(pk=follow_up.pk, status=FollowUp.Status.OPEN).update(
            status=FollowUp.Status.DONE, note=note, handled_by=actor, closed_at=now
        )
        if changed != 1:
            raise Conflict(_("This follow-up is already closed."), code="already_done")
        case = follow_up.rating.case
        closed = event_append(
            case=case,
            action=life_cycle.FOLLOW_UP_CLOSED,
            actor=actor,
            reason=note,
            data={
                "follow_up": follow_up.pk,
                "overdue": bool(follow_up.due_on and timezone.localdate() > follow_up.due_on),
            },
            request_id=request_id,
            district_code=follow_up.district.division_code,
        )
        follow_up_closed_notice(case, event=closed)
        events.send_on_commit(
            events.recipients(user_ids={case.applicant_id, case.agent_id} - {None}, division_codes=set()),
            {"type": "case.updated", "reference": case.reference, "state": case.state, "action": "follow_up_closed"},
        )
    follow_up.refresh_from_db()
    return follow_up


def follow_ups_escalate(*, today: dt.date | None = None) -> int:
    """Beat: mark each open follow-up past its deadline as escalated, once, with an event on the case's chain,
    and tell the alliance supervisors. Idempotent: a compare-and-set on `escalated_at` wins once per follow-up,
    so a redelivered or concurrent run escalates nothing twice. Returns how many it escalated."""
    today = today or timezone.localdate()
    candidates = list(
        FollowUp.objects.filter(status=FollowUp.Status.OPEN, escalated_at__isnull=True, due_on__lt=today).values_list(
            "pk", flat=True
        )
    )
    escalated: list[str] = []
    for pk in candidates:
        with transaction.atomic():
            follow_up = FollowUp.objects.select_related("rating__case", "district").get(pk=pk)
            case = lock(follow_up.rating.case)
            changed = FollowUp.objects.filter(pk=pk, status=FollowUp.Status.OPEN, escalated_at__isnull=True).update(
                escalated_at=timezone.now()
            )
            if changed != 1:
                continue  # closed or escalated meanwhile
            event_append(
                case=case,
                action=life_cycle.FOLLOW_UP_ESCALATED,
                actor=None,
                data={"follow_up": pk, "due_on": follow_up.due_on.isoformat() if follow_up.due_on else None},
                district_code=follow_up.district.division_code,
            )
            supervisors = set(alliance_supervisor_ids())
            follow_up_escalated_notice(
                case, follow_up_id=pk, district=follow_up.district, due=follow_up.due_on, supervisor_ids=supervisors
            )
            events.send_on_commit(
                events.recipients(user_ids=supervisors, division_codes=set()),
                {"type": "case.follow_up_escalated", "reference": case.reference},
            )
            escalated.append(case.reference)
    if escalated:
        logger.info("follow-ups escalated to the alliance supervisor: %s", ", ".join(escalated))
    else:
        logger.debug("follow-up escalation: nothing overdue")
    return len(escalated)
