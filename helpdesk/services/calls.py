"""The call: hang-up, members leaving and returning, wrap-up, rating, snapshots, recording."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from govservice import events
from govservice.errors import Conflict, DomainError, NotAllowed
from govservice.uploads import ImageTooLarge, image_dimensions_check, upload_save
from helpdesk.models import WRAP_UP_OUTCOMES, AssistRequest, CallSession, ClerkProfile, Snapshot
from helpdesk.realtime import call_everyone_group, clerk_group
from helpdesk.services import case_links, members, presence
from helpdesk.services.audit import Kind, assist_audit
from helpdesk.services.clock import current

Status = ClerkProfile.Status
State = AssistRequest.State


def call_session_end(
    *, session: CallSession, actor: User | None, now: dt.datetime | None = None, dropped: bool = False
) -> CallSession:
    """Either member hangs up (or, `dropped`, the sweep ends a call whose member did not come back)."""
    now = current(now)
    with transaction.atomic():
        fields: dict[str, Any] = {"ended_at": now, "talk_seconds": (now - session.started_at).total_seconds()}
        if dropped:
            fields["outcome"] = CallSession.Outcome.DROPPED
        if not CallSession.objects.filter(pk=session.pk, ended_at__isnull=True).update(**fields):
            session.refresh_from_db()
            return session  # the other party hung up first
        AssistRequest.objects.filter(pk=session.request_id, state=State.CONNECTED).update(
            state=State.DONE, closed_at=now
        )
        ClerkProfile.objects.filter(clerk_id=session.clerk_id, status=Status.IN_CALL).update(
            status=Status.WRAP_UP, status_since=now
        )
        assist_audit(
            kind=Kind.CALL_DROPPED if dropped else Kind.CALL_ENDED,
            at=now,
            actor_id=actor.pk if actor else None,
            session_id=session.pk,
        )
        by = session.role_of(actor.pk) if actor else None
        members.call_members_close_all(session=session, now=now)
        events.send_on_commit(
            [call_everyone_group(session.pk)], handler=events.ASSIST_PUSH, payload={"type": "hangup", "by": by}
        )
        events.send_on_commit(
            [clerk_group(session.clerk_id)],
            handler=events.ASSIST_PUSH,
            payload={"type": "presence", "status": Status.WRAP_UP},
        )
    session.refresh_from_db()
    return session


def call_hang_up(*, session: CallSession, actor: User, now: dt.datetime | None = None) -> CallSession:
    """A member hangs up: a clerk brought in leaves the call, anyone else ends it for all."""
    if session.role_of(actor.pk) == "guest":
        members.call_member_leave(session=session, user=actor, now=now)
        return session
    return call_session_end(session=session, actor=actor, now=now)


def call_member_left(*, session_id: int, role: str, now: dt.datetime | None = None) -> None:
    """A member's call socket closed: the sweep ends the call if the caller or the clerk holding it
    does not come back in time (a guest who does not come back leaves with the call's end)."""
    if role not in ("citizen", "clerk"):
        return
    field = f"{role}_left_at"
    CallSession.objects.filter(pk=session_id, ended_at__isnull=True).update(**{field: current(now)})


def call_member_returned(*, session_id: int, role: str) -> None:
    if role not in ("citizen", "clerk"):
        return
    CallSession.objects.filter(pk=session_id, ended_at__isnull=True).update(**{f"{role}_left_at": None})


def call_session_wrap_up(
    *,
    session: CallSession,
    clerk: User,
    notes: str,
    outcome: str,
    case_ref: str | None = None,
    new_draft_case: bool = False,
    then_available: bool = True,
    now: dt.datetime | None = None,
) -> CallSession:
    """The clerk's notes and outcome, the caller's case linked by its reference (or a new draft case
    for the call's item); then the clerk is available again (or away)."""
    now = current(now)
    if session.clerk_id != clerk.pk:
        raise NotAllowed(_("Only the clerk of the call writes its wrap-up."), code="forbidden")
    if outcome not in dict(WRAP_UP_OUTCOMES):
        raise Conflict(_("Choose an outcome."), code="outcome_required")
    if case_ref:
        case_ref = case_links.call_case_for(session=session, case_ref=case_ref).reference
    elif new_draft_case:
        case_ref = case_links.call_case_draft_create(session=session, clerk=clerk)
    if session.ended_at is None:
        session = call_session_end(session=session, actor=clerk, now=now)
    with transaction.atomic():
        if not CallSession.objects.filter(pk=session.pk, wrapped_up_at__isnull=True).update(
            notes=notes, outcome=outcome, case_ref=case_ref or "", wrapped_up_at=now
        ):
            raise Conflict(_("The wrap-up is already written."), code="already_wrapped_up")
        assist_audit(
            kind=Kind.CALL_WRAPPED_UP,
            at=now,
            actor_id=clerk.pk,
            session_id=session.pk,
            outcome=outcome,
            case=case_ref or None,
        )
    # Back to the queue (the longest-idle order counts from now).
    presence.clerk_presence_set(clerk=clerk, status=Status.AVAILABLE if then_available else Status.AWAY, now=now)
    session.refresh_from_db()
    return session


def call_notes_save(*, session: CallSession, clerk: User, notes: str, now: dt.datetime | None = None) -> CallSession:
    """The clerk holding the call keeps working notes during it (the wrap-up starts from them)."""
    now = current(now)
    if session.clerk_id != clerk.pk:
        raise NotAllowed(_("Only the clerk holding the call writes its notes."), code="forbidden")
    with transaction.atomic():
        if not CallSession.objects.filter(pk=session.pk, wrapped_up_at__isnull=True).update(notes=notes[:5000]):
            raise Conflict(_("The wrap-up is already written."), code="already_wrapped_up")
        assist_audit(kind=Kind.CALL_NOTES_SAVED, at=now, actor_id=clerk.pk, session_id=session.pk, length=len(notes))
    session.refresh_from_db()
    return session


def call_session_rate(
    *, session: CallSession, citizen: User, rating: int, comment: str = "", now: dt.datetime | None = None
) -> CallSession:
    now = current(now)
    if session.citizen_id != citizen.pk:
        raise NotAllowed(_("Only the caller rates the call."), code="forbidden")
    if not 1 <= int(rating) <= 5:
        raise Conflict(_("A rating is from 1 to 5."), code="bad_rating")
    with transaction.atomic():
        if not CallSession.objects.filter(pk=session.pk, rating__isnull=True, ended_at__isnull=False).update(
            rating=rating, rating_comment=comment[:300]
        ):
            raise Conflict(_("This call is already rated or still running."), code="cannot_rate")
        assist_audit(kind=Kind.CALL_RATED, at=now, actor_id=citizen.pk, session_id=session.pk, rating=rating)
    session.refresh_from_db()
    return session


ALLOWED_SNAPSHOT_TYPES = {"image/jpeg", "image/png", "image/webp"}
SNAPSHOT_MAX_BYTES = 5 * 1024 * 1024


def call_snapshot_add(
    *, session: CallSession, clerk: User, uploaded_file: UploadedFile, now: dt.datetime | None = None
) -> Snapshot:
    """A still of the citizen's video, checked by its content like any upload."""
    import filetype

    now = current(now)
    if session.role_of(clerk.pk) not in ("clerk", "guest"):
        raise NotAllowed(_("Only a clerk in the call takes snapshots."), code="forbidden")
    head = uploaded_file.read(262)
    uploaded_file.seek(0)
    kind = filetype.guess(head)
    if kind is None or kind.mime not in ALLOWED_SNAPSHOT_TYPES:
        raise Conflict(_("A snapshot must be a JPEG, PNG or WebP image."), code="bad_file")
    if uploaded_file.size is None or uploaded_file.size > SNAPSHOT_MAX_BYTES:  # None: no upload has it
        raise Conflict(_("A snapshot is at most 5 MB."), code="too_large")
    try:
        image_dimensions_check(uploaded_file)  # a decompression bomb is refused before anything decodes it
    except ImageTooLarge as exc:
        raise Conflict(str(exc), code="image_too_large") from exc
    with transaction.atomic():
        snapshot = Snapshot(session=session, taken_by=clerk)
        upload_save(snapshot.image, f"call{session.pk}-{int(now.timestamp())}.{kind.extension}", uploaded_file)
        snapshot.save()
        assist_audit(kind=Kind.CALL_SNAPSHOT, at=now, actor_id=clerk.pk, session_id=session.pk, snapshot=snapshot.pk)
    return snapshot


def call_snapshot_take(
    *,
    session: CallSession,
    clerk: User,
    uploaded_file: UploadedFile,
    case_ref: str = "",
    item_material_id: int | None = None,
    now: dt.datetime | None = None,
) -> tuple[Snapshot, str | None]:
    """Keep a snapshot with the call and, when a material is named, file it into the caller's case.

    The still is kept whatever happens to the filing: a refused filing is not an error of the
    request but part of its answer, so it comes back as a message (None when filed or not asked).
    """
    snapshot = call_snapshot_add(session=session, clerk=clerk, uploaded_file=uploaded_file, now=now)
    if not item_material_id:
        return snapshot, None
    case_ref = case_ref or session.case_ref or session.request.case_ref
    try:
        if not case_ref:
            raise Conflict(_("Link the caller's case first."), code="no_case")
        case_links.call_snapshot_file_to_case(
            snapshot=snapshot, clerk=clerk, case_ref=case_ref, item_material_id=item_material_id, now=now
        )
    except DomainError as exc:
        return snapshot, str(exc)
    snapshot.refresh_from_db()
    return snapshot, None
