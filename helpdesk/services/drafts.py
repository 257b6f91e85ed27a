"""The caller's application shared in the call: with their consent (asked on their screen, recorded), the
clerks in the call see the draft and what was uploaded, and file snapshots of documents into it (checked by
the cases app like any upload, with the applicant's right: a clerk of a third district too). Every change is
pushed to all the call's screens; only the applicant submits (the cases app's rule, unchanged)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from govservice import events
from govservice.errors import Conflict, NotAllowed
from helpdesk.models import CallSession
from helpdesk.realtime import call_everyone_group
from helpdesk.services.audit import Kind, assist_audit
from helpdesk.services.case_links import call_case_for
from helpdesk.services.clock import current


def _open_application(session: CallSession, case_ref: str) -> str:
    """The application to share: the one named, else the call's case, else the caller's newest open draft
    of the call's item; it must still take materials (a draft, or a correction)."""
    from cases import life_cycle
    from cases.selectors import cases_visible_to

    case_ref = (case_ref or session.case_ref or session.request.case_ref or "").strip()
    found = (
        call_case_for(session=session, case_ref=case_ref)
        if case_ref
        else cases_visible_to(session.citizen)
        .filter(item_version_id=session.request.item_version_id, state__in=life_cycle.MATERIALS_OPEN_STATES)
        .order_by("-created_at")
        .first()
    )
    if found is None or (not case_ref and session.request.item_version_id is None):
        raise Conflict(_("You have no application for this item to share."), code="no_draft")
    case = found
    if case.state not in life_cycle.MATERIALS_OPEN_STATES:
        raise Conflict(_("This application no longer takes materials."), code="not_open")
    return case.reference


def call_draft_share(*, session: CallSession, citizen: User, case_ref: str = "", now: dt.datetime | None = None) -> str:
    """The caller lets the clerks in the call see and fill their application; the consent is recorded."""
    now = current(now)
    if session.citizen_id != citizen.pk:
        raise NotAllowed(_("Only the caller shares their application."), code="forbidden")
    if session.ended_at is not None:
        raise Conflict(_("This call has ended."), code="call_ended")
    reference = _open_application(session, case_ref)
    with transaction.atomic():
        CallSession.objects.filter(pk=session.pk).update(shared_case_ref=reference, shared_at=now)
        assist_audit(kind=Kind.CALL_DRAFT_SHARED, at=now, actor_id=citizen.pk, session_id=session.pk, case=reference)
        draft_changed_on_commit(session_id=session.pk, case_ref=reference)
    session.shared_case_ref, session.shared_at = reference, now
    return reference


def draft_changed_on_commit(*, session_id: int, case_ref: str, by: str = "") -> None:
    """Every screen of the call reloads the shared application (a change by one member is seen by all)."""
    events.send_on_commit(
        [call_everyone_group(session_id)],
        handler=events.ASSIST_PUSH,
        payload={"type": "draft.changed", "case": case_ref, "by": by},
    )
