"""Deadlines: the beat scan that flags due-soon and overdue cases once each."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from cases import life_cycle
from cases.deadlines import DUE_SOON_WORKING_DAYS, working_days_left
from cases.models import Case
from cases.services.guards import supervisor_ids
from govservice import events

__all__ = ["DUE_SOON_WORKING_DAYS", "case_deadlines_scan"]


def case_deadlines_scan(*, today: dt.date | None = None) -> dict[str, int]:
    """Flag due-soon and overdue cases once each and tell the clerk in charge and the supervisors."""
    today = today or timezone.localdate()
    counts = {"due_soon": 0, "overdue": 0}
    candidates = (
        Case.objects.filter(
            state__in=life_cycle.OPEN_STATES, promised_due__isnull=False, clock_stopped_since__isnull=True
        )
        .exclude(state__in=life_cycle.CLOCK_STOPPED_STATES)
        .filter(Q(overdue_notified=False) | Q(due_soon_notified=False))
        .select_related("accepting_district", "approving_district")
    )
    supervisors = supervisor_ids()
    for case in candidates.iterator():
        due = case.promised_due
        if due is None:  # never: the query wants a deadline (narrowed for the type checker)
            continue
        left = working_days_left(today=today, due=due)
        if left < 0 and not case.overdue_notified:
            flag, kind = {"overdue_notified": True, "due_soon_notified": True}, "overdue"
        elif 0 <= left <= DUE_SOON_WORKING_DAYS and not case.due_soon_notified:
            flag, kind = {"due_soon_notified": True}, "due_soon"
        else:
            continue
        with transaction.atomic():
            # Compare-and-set on the flag: two beat runs never notify twice.
            guard = {"overdue_notified": False} if kind == "overdue" else {"due_soon_notified": False}
            if not Case.objects.filter(pk=case.pk, **guard).update(**flag):
                continue
            payload = {
                "type": f"case.{kind}",
                "reference": case.reference,
                "promised_due": due.isoformat(),
                "working_days_left": left,
            }
            # Cases in the approving clerk's load sit with the approving district; the rest with the accepting one.
            at_approving = case.state in life_cycle.LOAD_STATES
            events.send_on_commit(
                events.recipients(
                    user_ids={case.approving_clerk_id if at_approving else case.accepting_clerk_id, *supervisors},
                    division_codes={
                        case.approving_district.division_code if at_approving else case.accepting_district.division_code
                    },
                ),
                payload,
            )
        counts[kind] += 1
    return counts
