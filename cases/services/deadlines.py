"""Deadlines: the beat scan that flags due-soon and overdue cases once each; years missing from the calendar."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from cases import life_cycle
from cases.deadlines import DUE_SOON_WORKING_DAYS, calendar_years_missing, working_days_left
from cases.models import CalendarGap, Case
from cases.services.case_notices import staff_notice
from cases.services.guards import supervisor_ids
from govservice import events

__all__ = ["DUE_SOON_WORKING_DAYS", "calendar_gaps_alert", "case_deadlines_scan"]

logger = logging.getLogger(__name__)


def calendar_gaps_alert(case: Case) -> list[int]:
    """Record the years this case's provisional deadlines run through that the calendar lacks; alert the
    supervisors once per year (the first case to reach a year names it). Returns the newly recorded years."""
    if case.promised_due is None or case.statutory_due is None:
        return []
    start = timezone.localdate(case.accepted_at) if case.accepted_at else timezone.localdate()
    new_years = []
    for year in sorted(calendar_years_missing(start, max(case.promised_due, case.statutory_due))):
        gap, created = CalendarGap.objects.get_or_create(year=year, defaults={"first_case_reference": case.reference})
        if created or gap.closed_at is not None:
            if not created:  # the year was imported and then emptied again: a new gap
                CalendarGap.objects.filter(pk=gap.pk).update(closed_at=None, first_case_reference=case.reference)
            new_years.append(year)
    if new_years:
        logger.warning(
            "holiday calendar lacks %s: deadlines of %s and later cases are provisional",
            ", ".join(map(str, new_years)),
            case.reference,
        )
        events.send_on_commit(
            events.recipients(user_ids=supervisor_ids()),
            {"type": "calendar.missing_years", "years": new_years, "reference": case.reference},
        )
    return new_years


def case_deadlines_scan(*, today: dt.date | None = None) -> dict[str, int]:
    """Flag due-soon and overdue cases once each and tell the clerk in charge and the supervisors.

    Both deadlines are watched: the promised one (due soon, overdue) and the statutory one (overdue: the
    law's limit passed, a breach the supervisors must see even when the promise was already late).
    """
    today = today or timezone.localdate()
    counts = {"due_soon": 0, "overdue": 0, "statutory_overdue": 0}
    candidates = (
        Case.objects.filter(
            state__in=life_cycle.OPEN_STATES, promised_due__isnull=False, clock_stopped_since__isnull=True
        )
        .exclude(state__in=life_cycle.CLOCK_STOPPED_STATES)
        .filter(Q(overdue_notified=False) | Q(due_soon_notified=False) | Q(statutory_overdue_notified=False))
        .select_related("accepting_district", "approving_district", "item_version")
    )
    supervisors = supervisor_ids()
    for case in candidates.iterator():
        for kind, guard, flags, due in _deadline_flags(case, today=today):
            left = working_days_left(today=today, due=due)
            with transaction.atomic():
                # Compare-and-set on the flag: two beat runs never notify twice.
                if not Case.objects.filter(pk=case.pk, **{guard: False}).update(**flags):
                    continue
                payload = {
                    "type": f"case.{kind}",
                    "reference": case.reference,
                    "due": due.isoformat(),
                    "promised_due": case.promised_due.isoformat() if case.promised_due else None,
                    "statutory_due": case.statutory_due.isoformat() if case.statutory_due else None,
                    "provisional": case.deadline_provisional,
                    "working_days_left": left,
                }
                # Cases in the approving clerk's load sit with the approving district; the rest with the accepting one.
                at_approving = case.state in life_cycle.LOAD_STATES
                events.send_on_commit(
                    events.recipients(
                        user_ids={case.approving_clerk_id if at_approving else case.accepting_clerk_id, *supervisors},
                        division_codes={
                            case.approving_district.division_code
                            if at_approving
                            else case.accepting_district.division_code
                        },
                    ),
                    payload,
                )
                # And in their inboxes, until read: once per case and deadline.
                staff_notice(
                    case,
                    kind=f"case.{kind}",
                    condition=kind,
                    due=due,
                    district=case.approving_district if at_approving else case.accepting_district,
                    clerk_id=case.approving_clerk_id if at_approving else case.accepting_clerk_id,
                    left=abs(left),
                )
            counts[kind] += 1
    return counts


def _deadline_flags(case: Case, *, today: dt.date) -> list[tuple[str, str, dict[str, bool], dt.date]]:
    """What the scan has to say about one case: (kind, the flag guarding it, the flags to set, the deadline)."""
    found: list[tuple[str, str, dict[str, bool], dt.date]] = []
    promised, statutory = case.promised_due, case.statutory_due
    if promised is not None:
        left = working_days_left(today=today, due=promised)
        if left < 0 and not case.overdue_notified:
            found.append(
                ("overdue", "overdue_notified", {"overdue_notified": True, "due_soon_notified": True}, promised)
            )
        elif 0 <= left <= DUE_SOON_WORKING_DAYS and not case.due_soon_notified:
            found.append(("due_soon", "due_soon_notified", {"due_soon_notified": True}, promised))
    if statutory is not None and statutory < today and not case.statutory_overdue_notified:
        found.append(
            ("statutory_overdue", "statutory_overdue_notified", {"statutory_overdue_notified": True}, statutory)
        )
    return found
