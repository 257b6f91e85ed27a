"""The caller's application shared in the call: with their consent (asked on their screen, recorded), the
clerks in the call see the draft and what was uploaded, and file snapshots of documents into it (checked by
the cases app like any upload, with the applicant's right: a clerk of a third district too). Every change is
pushed to all the call's screens, a change of the form with its new values in the event. Clerks in the call
fill the application form too; only the applicant submits, or the clerk who filed the case at their counter
with the applicant present (the cases app's rule)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from govservice import events
from govservice.errors import Conflict, NotAllowed, NotFound
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


def draft_changed_on_commit(
    *, session_id: int, case_ref: str, by: str = "", form: dict[str, dict[str, Any]] | None = None
) -> None:
    """Every screen of the call shows the change (a change by one member is seen by all).

    `form`: the fields of the application form that changed, carried in the event itself (their values as
    clerks see them, ID numbers masked; who filled each and when), so the screens update without a read;
    without it they read the shared application again (materials, pre-checks, submission).
    """
    payload: dict[str, Any] = {"type": "draft.changed", "case": case_ref, "by": by}
    if form is not None:
        payload["form"] = form
    events.send_on_commit([call_everyone_group(session_id)], handler=events.ASSIST_PUSH, payload=payload)


def call_draft_fill(
    *, session: CallSession, user: User, values: dict[str, Any], now: dt.datetime | None = None
) -> list[str]:
    """Fill fields of the shared application's form from the call: the caller, or a clerk in the call with
    the caller's consent (the share), with the caller's right (cases.services.form; the chain event names
    the call and the applicant it was done for). Returns the keys that changed; every screen hears them."""
    from cases.selectors.form import form_value_shown
    from cases.services.form import case_form_fill

    current(now)
    role = session.role_of(user.pk)
    if role is None:
        raise NotAllowed(_("Only the members of the call fill in the shared application."), code="forbidden")
    if session.ended_at is not None:
        raise Conflict(_("This call has ended."), code="call_ended")
    if not session.shared_case_ref:
        raise NotFound(_("Nothing is shared in this call."), code="not_shared")
    from cases.models import Case

    case = Case.objects.select_related("item_version", "accepting_district", "approving_district").get(
        reference=session.shared_case_ref
    )
    fields = {f["key"]: f for f in case.item_version.application_form or []}

    def push(case: Case, changed: list[Any]) -> None:
        # Queued in the change's transaction, ahead of the case's own announcement: the call's screens first.
        draft_changed_on_commit(
            session_id=session.pk,
            case_ref=case.reference,
            by=user.display_name or user.username,
            form={row.key: form_value_shown(fields[row.key], row) for row in changed},
        )

    changed = case_form_fill(
        case=case,
        values=values,
        actor=user,
        consented_by=session.citizen if role != "citizen" else None,
        event_data={"call": session.pk},
        on_change=push,
    )
    return [row.key for row in changed]
