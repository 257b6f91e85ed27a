"""Recordings of calls: a file per member's media (the caller, the clerk holding the call, every clerk
brought in), attached by the recorder with its SHA-256 (also written to the linked case's event chain),
played back by authorised staff (every playback audited), deleted after the retention period by a sweep
(audited; the hash stays)."""

from __future__ import annotations

import datetime as dt
import hashlib
from functools import partial

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models.fields.files import FieldFile
from django.utils.translation import gettext as _

from accounts.models import User
from govservice.errors import Conflict, NotAllowed, NotFound
from helpdesk.conf import conf
from helpdesk.models import CallMember, CallRecording, CallSession
from helpdesk.services.audit import Kind, assist_audit
from helpdesk.services.clock import current


def call_recording_consent(*, session: CallSession, citizen: User, agree: bool, now: dt.datetime | None = None) -> str:
    """The caller's answer to the notice shown before a recording starts; nothing goes to the recorder before
    they agree. A refusal stands only where policy allows it; otherwise the call cannot go on unrecorded and
    the caller is told so (they may hang up)."""
    now = current(now)
    if session.citizen_id != citizen.pk:
        raise NotAllowed(_("Only the caller answers the recording notice."), code="forbidden")
    if not session.recording_required:
        raise Conflict(_("This call is not recorded."), code="not_recorded")
    if not agree and not conf().recording_refusable:
        raise Conflict(
            _("Calls are recorded by policy here: agree to the recording or hang up."), code="recording_required"
        )
    answer = "given" if agree else "refused"
    with transaction.atomic():
        if not CallSession.objects.filter(pk=session.pk, recording_consent="").update(recording_consent=answer):
            session.refresh_from_db()
            return session.recording_consent  # answered already (another tab): the first answer stands
        assist_audit(
            kind=Kind.CALL_RECORDING_CONSENT, at=now, actor_id=citizen.pk, session_id=session.pk, answer=answer
        )
    return answer


def _sha256_of(path: str) -> str:
    digest = hashlib.sha256()
    with default_storage.open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _member_of(session: CallSession, peer: str) -> tuple[int, str]:
    """The user and the role behind a member's address in the call (`peer_id`); a clerk's role is the one
    of their latest stay (a guest stays a guest in the record after they left)."""
    if peer == "citizen":
        return session.citizen_id, CallMember.Role.CITIZEN
    user_id = int(peer.removeprefix("clerk-")) if peer.startswith("clerk-") and peer[6:].isdigit() else None
    stay = (
        CallMember.objects.filter(session=session, user_id=user_id).order_by("-joined_at", "-id").first()
        if user_id is not None
        else None
    )
    if stay is not None:
        return stay.user_id, stay.role
    if user_id is not None and user_id == session.clerk_id:  # a call that predates member rows
        return user_id, CallMember.Role.CLERK
    raise NotFound(_("No such member in this call."))


def call_recording_attach(
    *,
    session_id: int,
    peer: str,
    path: str,
    started_at: dt.datetime,
    ended_at: dt.datetime,
    now: dt.datetime | None = None,
) -> CallRecording:
    """The recorder wrote one member's media (`peer`, their address in the call) to `path` (relative to
    MEDIA_ROOT): keep it with its SHA-256, and write the hash into the event chain of the case linked to the
    call (so that the case's tamper-evident history vouches for every member's recording)."""
    now = current(now)
    sha256 = _sha256_of(path)
    with transaction.atomic():
        session = CallSession.objects.select_related("request").get(pk=session_id)
        user_id, role = _member_of(session, peer)
        recording = CallRecording.objects.create(
            session=session,
            user_id=user_id,
            peer=peer,
            role=role,
            file=path,
            sha256=sha256,
            started_at=started_at,
            ended_at=ended_at,
        )
        case_ref = session.case_ref or session.request.case_ref
        assist_audit(
            kind=Kind.CALL_RECORDED,
            at=now,
            session_id=session_id,
            recording=recording.pk,
            member=peer,
            file=path,
            sha256=sha256,
            case=case_ref or None,
        )
        if case_ref:
            _case_chain_append(session=session, case_ref=case_ref, peer=peer, sha256=sha256)
    return recording


def _case_chain_append(*, session: CallSession, case_ref: str, peer: str, sha256: str) -> None:
    from cases import life_cycle
    from cases.chain import event_append
    from cases.models import Case
    from cases.services.guards import lock

    case = Case.objects.filter(reference=case_ref).first()
    if case is None:  # a reference the citizen gave that no longer resolves: the audit row keeps the hash
        return
    event_append(
        case=lock(case),
        action=life_cycle.ASSIST_CALL_RECORDED,
        actor=None,
        data={"call": session.pk, "member": peer, "sha256": sha256},
    )


def may_play_recordings(user: User) -> bool:
    """Who may play recordings back: supervisors (and superusers)."""
    return bool(user.is_supervisor or user.is_superuser)


def call_recordings_listed(*, session_id: int, user: User) -> list[CallRecording]:
    """The call's recordings still kept, one per member's connection to the recorder, for a supervisor.
    Anyone else (and a call without any) gets "not found": the answer says nothing about which calls were
    recorded. Listing plays nothing: each file's playback is audited when it is fetched."""
    if not may_play_recordings(user):
        raise NotFound(_("No such recording."))
    recordings = list(
        CallRecording.objects.filter(session_id=session_id)
        .exclude(file="")
        .select_related("user")
        .order_by("started_at", "id")
    )
    if not recordings:
        raise NotFound(_("No such recording."))
    return recordings


def call_recording_play(*, recording_id: int, user: User, now: dt.datetime | None = None) -> FieldFile:
    """One member's recording, for a supervisor; each fetch of the file is audited (a browser fetches it when
    the player starts, so each playback is). Anyone else, and a deleted or missing recording, gets "not
    found"."""
    now = current(now)
    recording = CallRecording.objects.filter(pk=recording_id).exclude(file="").first()
    if not may_play_recordings(user) or recording is None:
        raise NotFound(_("No such recording."))
    assist_audit(
        kind=Kind.CALL_RECORDING_PLAYED,
        at=now,
        actor_id=user.pk,
        session_id=recording.session_id,
        recording=recording.pk,
        member=recording.peer,
    )
    played: FieldFile = recording.file
    return played


def call_recordings_sweep(*, now: dt.datetime | None = None) -> int:
    """Delete the recordings of calls that ended more than the retention period ago
    (ASSIST_RECORDING_RETENTION_DAYS): every member's file, each deletion audited; the hashes stay."""
    now = current(now)
    cutoff = now - dt.timedelta(days=conf().recording_retention_days)
    deleted = 0
    for recording in CallRecording.objects.filter(session__ended_at__lt=cutoff).exclude(file=""):
        path = recording.file.name
        with transaction.atomic():
            if not CallRecording.objects.filter(pk=recording.pk, file=path).update(file="", deleted_at=now):
                continue  # another sweep got there first
            assist_audit(
                kind=Kind.CALL_RECORDING_DELETED,
                at=now,
                session_id=recording.session_id,
                recording=recording.pk,
                member=recording.peer,
                file=path,
                sha256=recording.sha256,
            )
            # The file goes once the row no longer names it (a failed commit keeps both).
            transaction.on_commit(partial(default_storage.delete, path))
        deleted += 1
    return deleted
