"""身份核验 in the call: a clerk compares the caller's face with the ID card held to the camera and records
the result and the method; a match is also recorded as the identity check of the caller's linked case (the
acceptance's IdentityCheck, method "by video") when the cases app lets this clerk record it now."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from govservice.errors import Conflict, DomainError, NotAllowed
from helpdesk.models import CallSession
from helpdesk.services.audit import Kind, assist_audit
from helpdesk.services.clock import current

RESULTS = ("match", "no_match")


def call_identity_check(
    *, session: CallSession, clerk: User, result: str, note: str = "", now: dt.datetime | None = None
) -> str | None:
    """Record the comparison with the call; returns why the linked case did not take it (None when it did,
    or when there was nothing to give it: no linked case, or no match)."""
    now = current(now)
    if session.role_of(clerk.pk) not in ("clerk", "guest"):
        raise NotAllowed(_("Only a clerk in the call verifies the caller's identity."), code="forbidden")
    if session.ended_at is not None:
        raise Conflict(_("This call has ended."), code="call_ended")
    if result not in RESULTS:
        raise Conflict(_("Say whether the face matches the ID card."), code="bad_result")
    note = (note or "").strip()[:300]
    case_ref = session.case_ref or session.request.case_ref
    with transaction.atomic():
        CallSession.objects.filter(pk=session.pk).update(
            identity_result=result, identity_checked_by=clerk, identity_checked_at=now
        )
        assist_audit(
            kind=Kind.CALL_IDENTITY_CHECKED,
            at=now,
            actor_id=clerk.pk,
            session_id=session.pk,
            result=result,
            method="video",
            case=case_ref or None,
        )
    if result != "match" or not case_ref:
        return None
    return _case_identity_record(session=session, clerk=clerk, case_ref=case_ref, note=note)


def _case_identity_record(*, session: CallSession, clerk: User, case_ref: str, note: str) -> str | None:
    from django.core.exceptions import PermissionDenied, ValidationError

    from cases.models import IdentityCheck
    from cases.services import case_identity_check
    from helpdesk.services.case_links import call_case_for

    try:
        case = call_case_for(session=session, case_ref=case_ref)
        case_identity_check(
            case=case,
            method=IdentityCheck.Method.VIDEO,
            note=(_("Video assistance call #%(call)s: face compared with the ID card.") % {"call": session.pk})
            + (f" {note}" if note else ""),
            actor=clerk,
        )
    # The cases app decides who may record the check and when (the accepting district, at acceptance).
    except (ValidationError, PermissionDenied, DomainError) as exc:
        messages = getattr(exc, "messages", None) or [str(exc)]
        return " ".join(str(m) for m in messages)
    return None
