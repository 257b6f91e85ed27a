"""Recordings of calls: attached by the recorder with their SHA-256 (also written to the linked case's
event chain), played back by authorised staff (every playback audited), deleted after the retention
period by a sweep (audited; the hash stays)."""

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
from helpdesk.models import CallSession
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


def call_recording_attach(*, session_id: int, path: str, now: dt.datetime | None = None) -> None:
    """The recorder wrote the call's media to `path` (relative to MEDIA_ROOT): keep it with its SHA-256, and
    write the hash into the event chain of the case linked to the call (so that the case's tamper-evident
    history vouches for the recording)."""
    now = current(now)
    sha256 = _sha256_of(path)
    with transaction.atomic():
        CallSession.objects.filter(pk=session_id).update(recording=path, recording_sha256=sha256)
        session = CallSession.objects.select_related("request").get(pk=session_id)
        case_ref = session.case_ref or session.request.case_ref
        assist_audit(
            kind=Kind.CALL_RECORDED, at=now, session_id=session_id, file=path, sha256=sha256, case=case_ref or None
        )
        if case_ref:
            _case_chain_append(session=session, case_ref=case_ref, sha256=sha256)


def _case_chain_append(*, session: CallSession, case_ref: str, sha256: str) -> None:
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
        data={"call": session.pk, "sha256": sha256},
    )


def _may_play(user: User) -> bool:
    return bool(user.is_supervisor or user.is_superuser)


def call_recording_play(*, session: CallSession, user: User, now: dt.datetime | None = None) -> FieldFile:
    """The recording, for a supervisor; each playback is audited. Anyone else (and a deleted or missing
    recording) gets "not found": the answer says nothing about which calls were recorded."""
    now = current(now)
    if not _may_play(user) or not session.recording:
        raise NotFound(_("No such recording."))
    assist_audit(kind=Kind.CALL_RECORDING_PLAYED, at=now, actor_id=user.pk, session_id=session.pk)
    recording: FieldFile = session.recording
    return recording


def call_recordings_sweep(*, now: dt.datetime | None = None) -> int:
    """Delete recordings older than the retention period (ASSIST_RECORDING_RETENTION_DAYS after the call)."""
    now = current(now)
    cutoff = now - dt.timedelta(days=conf().recording_retention_days)
    deleted = 0
    for session in CallSession.objects.filter(ended_at__lt=cutoff).exclude(recording=""):
        path = session.recording.name
        with transaction.atomic():
            if not CallSession.objects.filter(pk=session.pk, recording=path).update(
                recording="", recording_deleted_at=now
            ):
                continue  # another sweep got there first
            assist_audit(
                kind=Kind.CALL_RECORDING_DELETED,
                at=now,
                session_id=session.pk,
                file=path,
                sha256=session.recording_sha256,
            )
            # The file goes once the row no longer names it (a failed commit keeps both).
            transaction.on_commit(partial(default_storage.delete, path))
        deleted += 1
    return deleted
