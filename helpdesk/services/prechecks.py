"""预审 in the call: each material of the shared application checked against the pinned version's standard
of the item (required, format and size — the cases app's upload checks — and the validity date the clerk
reads off the document) and marked by a clerk in the call, the approving district's clerk of a three-way
call included. Each mark goes to the case's event chain too. The caller replaces what fails and submits from
the call; submission is refused while a current file is marked not conforming, and says what is missing."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from govservice.errors import Conflict, DomainError, Invalid, NotAllowed
from helpdesk.models import CallSession, PreCheck
from helpdesk.selectors import may_submit_from_call
from helpdesk.services.audit import Kind, assist_audit
from helpdesk.services.clock import current
from helpdesk.services.drafts import draft_changed_on_commit

Verdict = PreCheck.Verdict


def _shared_case(session: CallSession) -> Any:
    from cases.models import Case

    if not session.shared_case_ref:
        raise Conflict(_("The caller has not shared an application in this call."), code="not_shared")
    return Case.objects.get(reference=session.shared_case_ref)


def _refused(exc: Exception) -> Conflict:
    messages = getattr(exc, "messages", None) or [str(exc)]
    return Conflict(" ".join(str(m) for m in messages), code="case_refused")


def call_precheck_mark(
    *,
    session: CallSession,
    clerk: User,
    item_material_id: int,
    verdict: str,
    reason: str = "",
    valid_until: dt.date | None = None,
    now: dt.datetime | None = None,
) -> PreCheck:
    """A clerk in the call marks the current file of one material; a validity date already past fails it."""
    from cases import life_cycle
    from cases.chain import event_append
    from cases.services.guards import lock

    now = current(now)
    if session.role_of(clerk.pk) not in ("clerk", "guest"):
        raise NotAllowed(_("Only a clerk in the call pre-checks materials."), code="forbidden")
    if verdict not in Verdict.values:
        raise Invalid(_("Mark the material conforming or not."), code="bad_verdict")
    reason = (reason or "").strip()[:300]
    if valid_until is not None and valid_until < timezone.localdate(now):
        verdict = Verdict.NOT_CONFORMING
        reason = reason or _("The document expired on %(date)s.") % {"date": valid_until.isoformat()}
    if verdict == Verdict.NOT_CONFORMING and not reason:
        raise Invalid(_("Say why the material does not conform."), code="reason_required")
    case = _shared_case(session)
    material = case.materials.current_files().filter(item_material_id=item_material_id).first()
    if material is None:
        raise Conflict(_("Nothing is uploaded for this material yet."), code="not_uploaded")
    with transaction.atomic():
        precheck = PreCheck.objects.create(
            session=session,
            case_ref=case.reference,
            case_material_id=material.pk,
            item_material_id=item_material_id,
            verdict=verdict,
            reason=reason,
            valid_until=valid_until,
            clerk=clerk,
            district_id=clerk.district_id,
            at=now,
        )
        event_append(
            case=lock(case),
            action=life_cycle.ASSIST_PRECHECKED,
            actor=clerk,
            reason=reason,
            data={
                "call": session.pk,
                "material": material.pk,
                "sha256": material.sha256,
                "verdict": verdict,
                "valid_until": valid_until.isoformat() if valid_until else None,
            },
        )
        assist_audit(
            kind=Kind.CALL_PRECHECKED,
            at=now,
            actor_id=clerk.pk,
            session_id=session.pk,
            case=case.reference,
            material=material.pk,
            verdict=verdict,
        )
        draft_changed_on_commit(session_id=session.pk, case_ref=case.reference)
    return precheck


def call_draft_upload(
    *, session: CallSession, citizen: User, item_material_id: int, uploaded_file: Any, now: dt.datetime | None = None
) -> None:
    """The caller uploads (or replaces) a material of the shared application from the call."""
    from django.core.exceptions import PermissionDenied, ValidationError

    from cases.services import case_material_add
    from standards.models import ItemMaterial

    now = current(now)
    if session.citizen_id != citizen.pk:
        raise NotAllowed(_("Only the caller uploads from the call; clerks file snapshots."), code="forbidden")
    case = _shared_case(session)
    item_material = ItemMaterial.objects.filter(pk=item_material_id, version_id=case.item_version_id).first()
    if item_material is None:
        raise Conflict(_("This material is not asked for by the case's item."), code="bad_material")
    try:
        case_material_add(case=case, item_material=item_material, uploaded_file=uploaded_file, actor=citizen)
    except (ValidationError, PermissionDenied, DomainError) as exc:
        raise _refused(exc) from exc
    with transaction.atomic():
        assist_audit(
            kind=Kind.CALL_DRAFT_UPLOADED, at=now, actor_id=citizen.pk, session_id=session.pk, material=item_material.pk
        )
        draft_changed_on_commit(session_id=session.pk, case_ref=case.reference)


def failing_prechecks(case: Any) -> list[PreCheck]:
    """The newest pre-check of each current file, where it says "not conforming"."""
    current_ids = set(case.materials.filter(current=True).values_list("pk", flat=True))
    newest: dict[int, PreCheck] = {}
    for precheck in PreCheck.objects.filter(case_ref=case.reference, case_material_id__in=current_ids).order_by(
        "at", "id"
    ):
        newest[precheck.case_material_id] = precheck
    return [p for p in newest.values() if p.verdict == Verdict.NOT_CONFORMING]


def call_draft_submit(*, session: CallSession, citizen: User, now: dt.datetime | None = None) -> str:
    """Only the caller submits (or the counter clerk of a counter-intake case: `may_submit_from_call`);
    not while a current file is marked not conforming (replace it first). `citizen`: who submits."""
    from django.core.exceptions import PermissionDenied, ValidationError

    from cases.services import case_submit

    now = current(now)
    case = _shared_case(session)
    if not may_submit_from_call(session, citizen, case):
        raise NotAllowed(_("Only the applicant submits the application."), code="forbidden")
    failing = failing_prechecks(case)
    if failing:
        names = "、".join(p.item_material.display_name for p in failing)
        raise Conflict(
            _("Replace what the pre-check found not conforming first: %(names)s") % {"names": names},
            code="precheck_failed",
        )
    try:
        case_submit(case=case, actor=citizen)
    except (ValidationError, PermissionDenied, DomainError) as exc:
        raise _refused(exc) from exc
    with transaction.atomic():
        assist_audit(
            kind=Kind.CALL_DRAFT_SUBMITTED, at=now, actor_id=citizen.pk, session_id=session.pk, case=case.reference
        )
        draft_changed_on_commit(session_id=session.pk, case_ref=case.reference)
    return str(case.reference)
