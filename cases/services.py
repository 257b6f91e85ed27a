"""Every change to a case: one function per transition.

Each one runs in one transaction, locks the case row (select_for_update; on SQLite the
IMMEDIATE transaction holds the database's write lock), checks the current state and
the actor's role, changes the state with a compare-and-set, appends the hash-chained
event, and sends Celery tasks and channel-layer events only after commit.
"""

from __future__ import annotations

import logging
import os
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import filetype
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.identifiers import validate_credit_code, validate_id_number
from accounts.models import Firm, FirmSpecialist, User
from cases import routing_queries
from cases.chain import chain_verify, event_append, with_chain_head
from cases.deadlines import due_date, shift_due, working_days_left
from cases.models import (
    CLOCK_STOPPED_STATES,
    OPEN_STATES,
    Case,
    CaseMaterial,
    CaseState,
    DeliveryMethod,
    FollowUp,
    Rating,
)
from cases.selectors import case_is_applicant_side
from govservice import events
from govservice.queues import district_queue
from standards.models import District, ItemImplementation, ItemMaterial, ItemVersion, ServiceWindow

logger = logging.getLogger(__name__)

MAX_ROUTING_ATTEMPTS = int(getattr(settings, "CASES_MAX_ROUTING_ATTEMPTS", 3))
# Statuses in which a case counts towards a clerk's load.
LOAD_STATES = (CaseState.TRANSFERRED, CaseState.IN_REVIEW, CaseState.SPECIAL_PROCEDURE)


class TransitionNotAllowed(ValidationError):
    """The case is not in a state that allows this step (or another clerk got there first)."""


class ChainBroken(ValidationError):
    """The case's event chain does not verify: it cannot be recognised."""


# --- helpers ---------------------------------------------------------------------------------


def _today():
    return timezone.localdate()


def _lock(case: Case) -> Case:
    # of=self: lock the case row only, not the districts, window and item version it joins
    # (those would serialise every transition in a district on PostgreSQL).
    return with_chain_head(
        Case.objects.select_for_update(of=("self",)).select_related(
            "accepting_district", "approving_district", "item_version", "accepting_window"
        )
    ).get(pk=case.pk)


def _require_applicant_side(case: Case, actor: User) -> None:
    # The applicant, their agent, any representative of the applying firm, or the principal an agent
    # applied for (matched by ID number or credit code): one rule, shared with what they may see.
    if not case_is_applicant_side(case=case, user=actor):
        raise PermissionDenied(_("Only the applicant (or their agent or firm) may do this."))


def _require_clerk_of(actor: User, district: District) -> None:
    if actor.role != User.Role.CLERK or actor.district_id != district.pk:
        raise PermissionDenied(_("Only a clerk of %(district)s may do this.") % {"district": district})


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("A reason is required.")})
    return reason


def _move(
    case: Case,
    *,
    sources: tuple[str, ...],
    to: str,
    action: str,
    actor: User | None,
    reason: str = "",
    data: dict | None = None,
    request_id: str = "",
    district_code: str | None = None,
    fields: dict[str, Any] | None = None,
) -> Case:
    """Compare-and-set the state, then record the event; the caller holds the lock inside a transaction."""
    if case.state not in sources:
        raise TransitionNotAllowed(
            _("This step is not possible while the case is “%(state)s”.") % {"state": case.get_state_display()}
        )
    fields = dict(fields or {})
    now = timezone.now()
    changed = Case.objects.filter(pk=case.pk, state=case.state).update(state=to, state_changed_at=now, **fields)
    if changed != 1:
        raise TransitionNotAllowed(_("Someone else changed this case first: reload it."))
    from_state = case.state
    for name, value in fields.items():
        setattr(case, name, value)
    case.state = to
    case.state_changed_at = now
    event_append(
        case=case,
        action=action,
        actor=actor,
        from_state=from_state,
        to_state=to,
        reason=reason,
        data=data,
        request_id=request_id,
        district_code=district_code,
    )
    _announce(case, action=action)
    return case


def _supervisor_ids() -> list[int]:
    return list(User.objects.filter(role=User.Role.SUPERVISOR, is_active=True).values_list("pk", flat=True))


def _announce(case: Case, *, action: str) -> None:
    """After commit: the applicant's pages and both districts' workbenches (the case's clerks among them) hear of it."""
    payload = {
        "type": "case.updated",
        "reference": case.reference,
        "state": case.state,
        "state_label": str(CaseState(case.state).label),
        "action": action,
    }
    events.send_on_commit(
        events.recipients(
            user_ids={case.applicant_id, case.agent_id},
            division_codes={case.accepting_district.division_code, case.approving_district.division_code},
        ),
        payload,
    )


def _clock_stop_fields(case: Case) -> dict[str, Any]:
    if case.promised_due and case.clock_stopped_since is None:
        return {"clock_stopped_since": _today()}
    return {}


def _clock_resume_fields(case: Case) -> dict[str, Any]:
    if case.clock_stopped_since is None:
        return {}
    unit = case.item_version.limit_unit
    today = _today()
    promised, days = shift_due(
        due=case.promised_due, stopped_from=case.clock_stopped_since, resumed_on=today, unit=unit
    )
    statutory, _days = shift_due(
        due=case.statutory_due, stopped_from=case.clock_stopped_since, resumed_on=today, unit=unit
    )
    return {
        "promised_due": promised,
        "statutory_due": statutory,
        "clock_stopped_since": None,
        "stopped_days": case.stopped_days + days,
        "due_soon_notified": False,
    }


# --- drafts and materials -------------------------------------------------------------------


def _new_reference(division_code: str) -> str:
    return f"C9{division_code}{timezone.localdate():%Y%m%d}{secrets.token_hex(3).upper()}"


def case_draft_create(
    *,
    applicant: User,
    item_version: ItemVersion,
    actor: User,
    firm: Firm | None = None,
    accepting_district: District | None = None,
    agent: User | None = None,
    request_id: str = "",
) -> Case:
    """Start an application for a published item version (by the applicant, or a clerk helping them)."""
    if actor.pk != applicant.pk and actor.role != User.Role.CLERK and (agent is None or actor.pk != agent.pk):
        raise PermissionDenied(_("Only the applicant, their agent or a clerk may start an application."))
    _require_published(item_version)
    if applicant.role == User.Role.FIRM:
        firm = firm or applicant.firm
        if firm is None or firm.pk != applicant.firm_id:
            raise PermissionDenied(_("A firm representative applies for their own firm only."))
    elif firm is not None:
        raise ValidationError(_("Only a firm representative can apply for a firm."))
    if firm is not None and not item_version.for_legal_person:
        raise ValidationError(_("This item is not for legal persons."))
    if agent is not None:
        _require_power_of_attorney_standard(item_version)
    return _draft_insert(
        item_version=item_version,
        actor=actor,
        accepting_district=accepting_district,
        values={
            "applicant": applicant,
            "firm": firm,
            "agent": agent,
            "applicant_id_number": applicant.id_number,
            "applicant_name": firm.name if firm else str(applicant),
            "applicant_credit_code": firm.credit_code if firm else "",
        },
        event_data={"agent": agent.pk} if agent is not None else {},
        request_id=request_id,
    )


# Materials an item's standard lists "when someone else applies on the applicant's behalf"
# (委托他人代为办理的): conditional in general, required in an agent's application.
POWER_OF_ATTORNEY = "AGENT_AUTH"  # 授权委托书
AGENT_MATERIAL_TYPES = (POWER_OF_ATTORNEY, "AGENT_ID")  # and 经办人身份证件


def case_agent_draft_create(
    *,
    agent: User,
    item_version: ItemVersion,
    principal_name: str = "",
    principal_id_number: str = "",
    principal_credit_code: str = "",
    accepting_district: District | None = None,
    request_id: str = "",
) -> Case:
    """代办: a citizen or firm user starts an application on behalf of a person (ID number) or a firm (credit code).

    The agent acts on the case like an applicant; the principal's account, if there is one (matched by
    ID number or by firm), sees it and may act too. Before submission the agent attaches the item's power
    of attorney (授权委托书), checked like every material against the pinned version's standard.
    """
    if agent.role not in (User.Role.CITIZEN, User.Role.FIRM) or not agent.is_active:
        raise PermissionDenied(_("Only a citizen or a firm representative may apply on someone's behalf."))
    _require_published(item_version)
    principal_id_number = (principal_id_number or "").strip().upper()
    principal_credit_code = (principal_credit_code or "").strip().upper()
    principal_name = (principal_name or "").strip()
    if bool(principal_id_number) == bool(principal_credit_code):
        raise ValidationError(
            _("Name the principal by a resident ID number (a person) or a credit code (a firm), not both.")
        )
    firm = None
    applicant = None
    if principal_id_number:
        try:
            validate_id_number(principal_id_number)
        except ValidationError as error:
            raise ValidationError({"principal_id_number": error.messages}) from error
        if principal_id_number == (agent.id_number or "").upper():
            raise ValidationError(
                {"principal_id_number": _("This is your own ID number: apply in your own name instead.")}
            )
        if not item_version.for_natural_person:
            raise ValidationError(_("This item is not for natural persons."))
        # The principal's own account, when exactly one citizen holds the number (set after real-name checks).
        holders = list(User.objects.filter(role=User.Role.CITIZEN, is_active=True, id_number=principal_id_number)[:2])
        applicant = holders[0] if len(holders) == 1 else None
    else:
        try:
            validate_credit_code(principal_credit_code)
        except ValidationError as error:
            raise ValidationError({"principal_credit_code": error.messages}) from error
        if not item_version.for_legal_person:
            raise ValidationError(_("This item is not for legal persons."))
        firm = Firm.objects.filter(credit_code=principal_credit_code).first()
        if firm is not None and agent.role == User.Role.FIRM and agent.firm_id == firm.pk:
            raise ValidationError({"principal_credit_code": _("This is your own firm: apply for it directly instead.")})
        # The register's name wins over what the agent typed.
        principal_name = firm.name if firm is not None else principal_name
    if not principal_name:
        raise ValidationError({"principal_name": _("Give the principal's name as on the power of attorney.")})
    _require_power_of_attorney_standard(item_version)
    return _draft_insert(
        item_version=item_version,
        actor=agent,
        accepting_district=accepting_district,
        values={
            "applicant": applicant,
            "firm": firm,
            "agent": agent,
            "applicant_id_number": principal_id_number,
            "applicant_name": principal_name[:200],
            "applicant_credit_code": principal_credit_code,
        },
        # Never the principal's number in the chain: events are shown to everyone who sees the case.
        event_data={"agent": agent.pk, "principal": "firm" if principal_credit_code else "person"},
        request_id=request_id,
    )


def _require_published(item_version: ItemVersion) -> None:
    if item_version.status != ItemVersion.Status.PUBLISHED:
        raise ValidationError(_("Only a published item version can be applied for."))


def version_accepts_agents(item_version: ItemVersion) -> bool:
    """An item can be applied for through an agent when its standard lists the power of attorney."""
    return item_version.materials.filter(material_type__code=POWER_OF_ATTORNEY).exists()


def _require_power_of_attorney_standard(item_version: ItemVersion) -> None:
    # The accepting and the approving district check the same standard (互认): a power of attorney
    # accepted here must be one the standard asks for, so an item without it takes no agents.
    if not version_accepts_agents(item_version):
        raise ValidationError(
            _("This item's material standard lists no power of attorney (授权委托书): apply in person.")
        )


def _draft_insert(
    *,
    item_version: ItemVersion,
    actor: User,
    accepting_district: District | None,
    values: dict[str, Any],
    event_data: dict[str, Any],
    request_id: str,
) -> Case:
    implementations = ItemImplementation.objects.filter(item_id=item_version.item_id, active=True).select_related(
        "district", "window"
    )
    if accepting_district is None and actor.role == User.Role.CLERK:
        accepting_district = actor.district
    accepting = [i for i in implementations if i.can_accept]
    approving = [i for i in implementations if i.can_approve]
    if accepting_district is not None:
        accepting = [i for i in accepting if i.district_id == accepting_district.pk]
    if not accepting:
        raise ValidationError(_("No district accepts this item here."))
    if not approving:
        raise ValidationError(_("No district approves this item."))
    accept_at = accepting[0]
    # The competent district: the accepting one when it may approve, else the first in the list.
    approve_at = next((i for i in approving if i.district_id == accept_at.district_id), approving[0])

    with transaction.atomic():
        case = Case.objects.create(
            reference=_new_reference(accept_at.district.division_code),
            item_version=item_version,
            accepting_district=accept_at.district,
            accepting_window=accept_at.window,
            approving_district=approve_at.district,
            **values,
        )
        event_append(
            case=case,
            action="draft_created",
            actor=actor,
            to_state=CaseState.DRAFT,
            data={"item": item_version.item.code, "version": item_version.number, **event_data},
            request_id=request_id,
        )
    return case


_FORMAT_ALIASES = {"jpeg": "jpg", "tif": "tiff"}
_DEFAULT_FORMATS = ["pdf", "jpg", "png"]


def _normalise_format(name: str) -> str:
    name = name.lower().lstrip(".")
    return _FORMAT_ALIASES.get(name, name)


def case_material_add(
    *, case: Case, item_material: ItemMaterial, uploaded_file: Any, actor: User, request_id: str = ""
) -> CaseMaterial:
    """Attach a file to a case, checked against the pinned version's material standard."""
    if item_material.version_id != case.item_version_id:
        raise ValidationError(_("This material is not part of the item version the case is pinned to."))
    if not (
        case_is_applicant_side(case=case, user=actor)
        or (actor.role == User.Role.CLERK and actor.district_id == case.accepting_district_id)
    ):
        raise PermissionDenied(_("Only the applicant or a clerk of the accepting district may add materials."))
    limit = item_material.max_size_mb * 1024 * 1024
    size = getattr(uploaded_file, "size", None)
    if size is None or size > limit:
        raise ValidationError({"file": _("The file is larger than %(mb)s MB.") % {"mb": item_material.max_size_mb}})
    if size == 0:
        raise ValidationError({"file": _("The file is empty.")})
    uploaded_file.seek(0)
    head = uploaded_file.read(8192)
    uploaded_file.seek(0)
    kind = filetype.guess(head)
    allowed = [_normalise_format(f) for f in (item_material.formats or _DEFAULT_FORMATS)]
    detected = _normalise_format(kind.extension) if kind else ""
    if detected not in allowed:
        raise ValidationError(
            {
                "file": _("The file's content is %(found)s; accepted formats: %(allowed)s.")
                % {"found": detected or _("not recognised"), "allowed": ", ".join(allowed)}
            }
        )
    import hashlib

    digest = hashlib.sha256()
    for chunk in uploaded_file.chunks():
        digest.update(chunk)
    uploaded_file.seek(0)
    with transaction.atomic():
        case = _lock(case)
        if case.state not in (CaseState.DRAFT, CaseState.SUBMITTED, CaseState.CORRECTION_REQUESTED):
            raise TransitionNotAllowed(_("Materials can only be added before acceptance or during a correction."))
        case.materials.filter(item_material=item_material, current=True).update(current=False)
        material = CaseMaterial(
            case=case,
            item_material=item_material,
            original_name=(getattr(uploaded_file, "name", "") or "")[:200],
            content_type=kind.mime,
            extension=detected,
            size=size,
            sha256=digest.hexdigest(),
            uploaded_by=actor,
        )
        material.file.save(f"{detected}", uploaded_file, save=False)
        material.save()
        event_append(
            case=case,
            action="material_added",
            actor=actor,
            data={
                "material": item_material.material_type.code,
                "name": item_material.name,
                "sha256": material.sha256,
                "size": size,
                "content_type": kind.mime,
            },
            request_id=request_id,
        )
        _announce(case, action="material_added")
    return material


def case_required_materials(case: Case) -> list[ItemMaterial]:
    """The materials this case must provide: the standard's required ones, and in an agent's
    application also the conditional ones for agents (power of attorney, the agent's ID)."""
    wanted = Q(requirement=ItemMaterial.Requirement.REQUIRED)
    if case.agent_id is not None:
        wanted |= Q(requirement=ItemMaterial.Requirement.CONDITIONAL, material_type__code__in=AGENT_MATERIAL_TYPES)
    return list(case.item_version.materials.filter(wanted).select_related("material_type"))


def _missing_materials(case: Case) -> list[ItemMaterial]:
    present = set(case.materials.filter(current=True).values_list("item_material_id", flat=True))
    return [m for m in case_required_materials(case) if m.pk not in present and not m.elicence_exempt]


def _spare_by_elicence(case: Case, actor: User) -> list[str]:
    """Required materials an electronic licence stands in for are marked so, not asked for."""
    present = set(case.materials.filter(current=True).values_list("item_material_id", flat=True))
    spared = []
    for material in case.item_version.materials.filter(elicence_exempt=True).select_related("material_type"):
        if material.pk not in present:
            CaseMaterial.objects.create(case=case, item_material=material, spared_by_elicence=True, uploaded_by=actor)
            spared.append(material.material_type.code)
    return spared


# --- the life cycle -----------------------------------------------------------------------


def case_submit(*, case: Case, actor: User, request_id: str = "") -> Case:
    with transaction.atomic():
        case = _lock(case)
        _require_applicant_side(case, actor)
        missing = _missing_materials(case)
        if missing:
            raise ValidationError(
                {
                    "materials": _("Required materials are missing: %(names)s")
                    % {"names": "、".join(m.name for m in missing)}
                }
            )
        spared = _spare_by_elicence(case, actor)
        fields: dict[str, Any] = {"submitted_at": timezone.now()}
        if case.state == CaseState.CORRECTION_REQUESTED:
            fields.update(_clock_resume_fields(case))
        return _move(
            case,
            sources=(CaseState.DRAFT, CaseState.CORRECTION_REQUESTED),
            to=CaseState.SUBMITTED,
            action="submitted",
            actor=actor,
            data={"spared_by_elicence": spared} if spared else None,
            request_id=request_id,
            district_code=case.accepting_district.division_code,
            fields=fields,
        )


def case_accept(*, case: Case, actor: User, request_id: str = "") -> Case:
    """受理 at the accepting window: sets the deadlines and queues the transfer after commit."""
    with transaction.atomic():
        case = _lock(case)
        _require_clerk_of(actor, case.accepting_district)
        if _missing_materials(case):
            raise ValidationError(_("Required materials are missing: ask for a correction instead."))
        now = timezone.now()
        fields: dict[str, Any] = {
            "accepting_clerk": actor,
            "accepting_window": actor.window,
            "transfer_number": case.transfer_number + 1,
            "routing_attempts": 0,
            "routing_poisoned": False,
            "routing_error": "",
            "approving_clerk": None,
        }
        if case.accepted_at is None:
            version = case.item_version
            today = timezone.localdate(now)
            fields["accepted_at"] = now
            fields["promised_due"] = due_date(start=today, limit=version.promised_limit, unit=version.limit_unit)
            fields["statutory_due"] = due_date(start=today, limit=version.statutory_limit, unit=version.limit_unit)
        case = _move(
            case,
            sources=(CaseState.SUBMITTED, CaseState.RETURNED),
            to=CaseState.ACCEPTED,
            action="accepted",
            actor=actor,
            data={"transfer": fields["transfer_number"], "approving_district": case.approving_district.division_code},
            request_id=request_id,
            fields=fields,
        )
        case_id, transfer_number, queue = (
            case.pk,
            case.transfer_number,
            district_queue(case.approving_district.division_code),
        )
        # robust: the acceptance is committed whatever the broker says; a message that could not be
        # queued is logged and sent again by the routing sweep (case_routing_sweep, every minute).
        transaction.on_commit(lambda: _enqueue_route(case_id, transfer_number, queue), robust=True)
    return case


def _enqueue_route(case_id: int, transfer_number: int, queue: str) -> bool:
    """Queue the routing task; False (and an error in the log) when the broker cannot take it."""
    from cases.tasks import route_case

    try:
        route_case.apply_async(args=[case_id, transfer_number], queue=queue)
    except Exception:  # noqa: BLE001 - any broker failure: the sweep sends it again
        logger.exception(
            "route_case for case %s (transfer %s) could not be queued on %s; the routing sweep will retry",
            case_id,
            transfer_number,
            queue,
        )
        return False
    return True


# An accepted case whose routing message went missing (the broker was down when the acceptance
# committed, or the message was lost) is queued again after this long in `accepted`. Routing is
# idempotent per transfer number, so a duplicate of a message that was merely slow does nothing.
ROUTING_SWEEP_AFTER_SECONDS = int(getattr(settings, "CASES_ROUTING_SWEEP_AFTER", 60))
# ...and then at most once per this long: while a district's worker is down its queue would
# otherwise gain one duplicate per stuck case every minute.
ROUTING_SWEEP_REPEAT_SECONDS = int(getattr(settings, "CASES_ROUTING_SWEEP_REPEAT", 300))
ROUTING_SWEEP_BATCH = 500


def _sweep_claim(key: str) -> bool:
    """Claim a re-send for ROUTING_SWEEP_REPEAT_SECONDS (cache.add is atomic in Redis)."""
    try:
        return cache.add(key, 1, ROUTING_SWEEP_REPEAT_SECONDS)
    except Exception:  # noqa: BLE001 - without the cache, send anyway: duplicates are harmless
        logger.warning("routing sweep: cache unavailable, re-sending without throttle")
        return True


def _sweep_release(key: str) -> None:
    try:
        cache.delete(key)
    except Exception:  # noqa: BLE001 - the claim then simply expires
        pass


def case_routing_sweep(*, now=None, older_than_seconds: int | None = None) -> dict[str, int]:
    """Queue `route_case` again for accepted cases that never reached the approving district.

    Candidates: state `accepted`, this transfer not routed yet, not stopped as poison, and in that
    state for more than ROUTING_SWEEP_AFTER_SECONDS. Run by beat every minute (cases/schedule.py).
    A case is queued again at most once per ROUTING_SWEEP_REPEAT_SECONDS; one whose routing keeps
    failing still stops after MAX_ROUTING_ATTEMPTS counted attempts and is flagged to supervisors.
    """
    now = now or timezone.now()
    age = ROUTING_SWEEP_AFTER_SECONDS if older_than_seconds is None else older_than_seconds
    stale = (
        Case.objects.filter(
            state=CaseState.ACCEPTED,
            routing_poisoned=False,
            routed_transfer_number__lt=F("transfer_number"),
            state_changed_at__lte=now - timedelta(seconds=age),
        )
        .order_by("state_changed_at")
        .values_list("pk", "reference", "transfer_number", "approving_district__division_code")[:ROUTING_SWEEP_BATCH]
    )
    counts = {"queued": 0, "failed": 0, "recently_queued": 0}
    for case_id, reference, transfer_number, division_code in stale:
        # By reference, not id: ids can come back on SQLite, references never do.
        key = f"cases:route-resent:{reference}:{transfer_number}"
        if not _sweep_claim(key):
            counts["recently_queued"] += 1
            continue
        if _enqueue_route(case_id, transfer_number, district_queue(division_code)):
            counts["queued"] += 1
        else:
            # Not sent: the next run tries again rather than waiting out the claim.
            _sweep_release(key)
            counts["failed"] += 1
    if counts["queued"] or counts["failed"]:
        logger.warning("routing sweep: %(queued)s accepted cases queued again, %(failed)s failed", counts)
    return counts


def case_not_accept(*, case: Case, actor: User, reason: str, request_id: str = "") -> Case:
    reason = _require_reason(reason)
    with transaction.atomic():
        case = _lock(case)
        _require_clerk_of(actor, case.accepting_district)
        return _move(
            case,
            sources=(CaseState.SUBMITTED, CaseState.RETURNED),
            to=CaseState.NOT_ACCEPTED,
            action="not_accepted",
            actor=actor,
            reason=reason,
            request_id=request_id,
            fields={"outcome_reason": reason, "closed_at": timezone.now()},
        )


def case_request_correction(
    *, case: Case, actor: User, materials: list[ItemMaterial], reason: str, request_id: str = ""
) -> Case:
    """补正: name the materials and why; the clock (if running) stops until the applicant resubmits."""
    reason = _require_reason(reason)
    if not materials:
        raise ValidationError({"materials": _("Name the materials to correct.")})
    with transaction.atomic():
        case = _lock(case)
        _require_clerk_of(actor, case.accepting_district)
        if any(m.version_id != case.item_version_id for m in materials):
            raise ValidationError({"materials": _("These materials are not part of the case's item version.")})
        return _move(
            case,
            sources=(CaseState.SUBMITTED, CaseState.RETURNED),
            to=CaseState.CORRECTION_REQUESTED,
            action="correction_requested",
            actor=actor,
            reason=reason,
            data={"materials": [m.material_type.code for m in materials], "names": [m.name for m in materials]},
            request_id=request_id,
            fields=_clock_stop_fields(case),
        )


# --- routing (runs in a Celery worker on the approving district's queue) -------------------------


@dataclass(frozen=True)
class RoutingOutcome:
    status: str  # "routed", "held", "already", "poisoned", "gone"
    clerk_id: int | None = None


def _hold_for_tests() -> None:
    # A test sets this to a file it removes later, to kill a worker in the middle of routing.
    hold_file = os.environ.get("CASES_ROUTING_HOLD_FILE")
    if not hold_file:
        return
    deadline = time.monotonic() + 60
    while os.path.exists(hold_file) and time.monotonic() < deadline:
        time.sleep(0.02)


def _routing_target(case: Case) -> tuple[ServiceWindow | None, int | None]:
    """The approving district's window and clerk: item skills, then open windows, then the lightest load."""
    district = case.approving_district
    window = routing_queries.item_window(item_id=case.item_version.item_id, district_id=district.pk)
    clerks = routing_queries.candidates(
        district_id=district.pk, sector=case.item_version.sector, load_states=LOAD_STATES
    )
    if not clerks:
        return window, None
    now = timezone.localtime()
    any_skilled = any(clerk.skilled for clerk in clerks)

    def rank(clerk: routing_queries.Candidate) -> tuple:
        return (
            any_skilled and not clerk.skilled,
            not clerk.window.is_open_at(now),
            window is not None and clerk.window.pk != window.pk,
            clerk.load,
            clerk.clerk_id,
        )

    clerk = min(clerks, key=rank)
    if window is None or not window.is_open_at(now):
        window = clerk.window if clerk.window.is_open_at(now) or window is None else window
    return window, clerk.clerk_id


def case_route(*, case_id: int, transfer_number: int) -> RoutingOutcome:
    """Move an accepted case into the approving district's queue, exactly once per acceptance."""
    # 1. Count the attempt first, committed on its own (one compare-and-set UPDATE), so that a
    #    worker killed mid-routing and redelivered by reject_on_worker_lost leaves a trace, and
    #    a poison message stops after MAX_ROUTING_ATTEMPTS instead of looping for ever.
    counted = routing_queries.count_attempt(
        case_id=case_id, transfer_number=transfer_number, max_attempts=MAX_ROUTING_ATTEMPTS
    )
    if not counted:
        return _route_not_counted(case_id=case_id, transfer_number=transfer_number)

    # 2. The move itself, guarded again under the lock: a duplicate that raced us finds it done.
    with transaction.atomic():
        case = routing_queries.lock_case(case_id)
        if case is None:
            return RoutingOutcome("gone")
        if case.state != CaseState.ACCEPTED or case.routed_transfer_number >= transfer_number:
            return RoutingOutcome("already")
        window, clerk_id = _routing_target(case)
        _hold_for_tests()
        _move(
            case,
            sources=(CaseState.ACCEPTED,),
            to=CaseState.TRANSFERRED,
            action="transferred",
            actor=None,
            data={
                "transfer": transfer_number,
                "attempt": case.routing_attempts,
                "window": window.code if window else "",
                "clerk": clerk_id,
                "held": clerk_id is None,
            },
            district_code=case.approving_district.division_code,
            fields={
                "routed_transfer_number": transfer_number,
                "routed_at": timezone.now(),
                "approving_window": window,
                "approving_clerk_id": clerk_id,
            },
        )
    return RoutingOutcome("routed" if clerk_id else "held", clerk_id)


def _route_not_counted(*, case_id: int, transfer_number: int) -> RoutingOutcome:
    """Why the attempt was not counted: gone, already moved, already stopped, or out of attempts."""
    with transaction.atomic():
        case = (
            Case.objects.select_for_update(of=("self",)).select_related("approving_district").filter(pk=case_id).first()
        )
        if case is None:
            return RoutingOutcome("gone")
        if (
            case.state != CaseState.ACCEPTED
            or case.transfer_number != transfer_number
            or case.routed_transfer_number >= transfer_number
        ):
            return RoutingOutcome("already")
        if case.routing_poisoned:
            return RoutingOutcome("poisoned")
        Case.objects.filter(pk=case.pk).update(
            routing_poisoned=True, routing_error=f"stopped after {MAX_ROUTING_ATTEMPTS} attempts"
        )
        event_append(
            case=case,
            action="routing_stopped",
            actor=None,
            reason=f"routing failed {MAX_ROUTING_ATTEMPTS} times",
            data={"transfer": transfer_number},
            district_code=case.approving_district.division_code,
        )
        events.send_on_commit(
            events.recipients(user_ids=set(_supervisor_ids()), division_codes={case.approving_district.division_code}),
            {"type": "case.routing_stopped", "reference": case.reference},
        )
    logger.error("routing of case %s stopped after %s attempts", case_id, MAX_ROUTING_ATTEMPTS)
    return RoutingOutcome("poisoned")


# --- the approving district -------------------------------------------------------------------


def case_review_start(*, case: Case, actor: User, request_id: str = "") -> Case:
    """互认: the approving district verifies the accepting district's record and takes the case on."""
    with transaction.atomic():
        case = _lock(case)
        _require_clerk_of(actor, case.approving_district)
        report = chain_verify(case=case)
        if not report.ok:
            raise ChainBroken(
                _("The accepting district's record does not verify (event %(seq)s: %(problem)s).")
                % {"seq": report.broken_at, "problem": report.problem}
            )
        return _move(
            case,
            sources=(CaseState.TRANSFERRED,),
            to=CaseState.IN_REVIEW,
            action="recognised",
            actor=actor,
            data={"chain_events_verified": report.events},
            request_id=request_id,
            fields={"approving_clerk": actor, "approving_window": actor.window},
        )


def case_return(*, case: Case, actor: User, reason: str, request_id: str = "") -> Case:
    """The approving district cannot ask the applicant again: it returns the case through the accepting window."""
    reason = _require_reason(reason)
    with transaction.atomic():
        case = _lock(case)
        _require_clerk_of(actor, case.approving_district)
        return _move(
            case,
            sources=(CaseState.IN_REVIEW,),
            to=CaseState.RETURNED,
            action="returned",
            actor=actor,
            reason=reason,
            request_id=request_id,
        )


def case_special_procedure_start(*, case: Case, actor: User, reason: str, request_id: str = "") -> Case:
    reason = _require_reason(reason)
    with transaction.atomic():
        case = _lock(case)
        _require_clerk_of(actor, case.approving_district)
        return _move(
            case,
            sources=(CaseState.IN_REVIEW,),
            to=CaseState.SPECIAL_PROCEDURE,
            action="special_procedure_started",
            actor=actor,
            reason=reason,
            request_id=request_id,
            fields=_clock_stop_fields(case),
        )


def case_special_procedure_end(*, case: Case, actor: User, reason: str = "", request_id: str = "") -> Case:
    with transaction.atomic():
        case = _lock(case)
        _require_clerk_of(actor, case.approving_district)
        return _move(
            case,
            sources=(CaseState.SPECIAL_PROCEDURE,),
            to=CaseState.IN_REVIEW,
            action="special_procedure_ended",
            actor=actor,
            reason=reason,
            request_id=request_id,
            fields=_clock_resume_fields(case),
        )


def case_approve(*, case: Case, actor: User, reason: str = "", request_id: str = "") -> Case:
    with transaction.atomic():
        case = _lock(case)
        _require_clerk_of(actor, case.approving_district)
        return _move(
            case,
            sources=(CaseState.IN_REVIEW,),
            to=CaseState.APPROVED,
            action="approved",
            actor=actor,
            reason=reason,
            request_id=request_id,
            fields={"decided_at": timezone.now(), "outcome_reason": reason},
        )


def case_refuse(*, case: Case, actor: User, reason: str, request_id: str = "") -> Case:
    reason = _require_reason(reason)
    with transaction.atomic():
        case = _lock(case)
        _require_clerk_of(actor, case.approving_district)
        return _move(
            case,
            sources=(CaseState.IN_REVIEW,),
            to=CaseState.REFUSED,
            action="refused",
            actor=actor,
            reason=reason,
            request_id=request_id,
            fields={"decided_at": timezone.now(), "outcome_reason": reason},
        )


# --- back at the accepting district ----------------------------------------------------------------


def case_deliver(*, case: Case, actor: User, method: str, detail: str = "", request_id: str = "") -> Case:
    """送达 through the accepting district: electronic licence, courier, or pick-up at its window."""
    if method not in DeliveryMethod.values:
        raise ValidationError({"method": _("Unknown delivery method.")})
    with transaction.atomic():
        case = _lock(case)
        _require_clerk_of(actor, case.accepting_district)
        if method == DeliveryMethod.COURIER and not detail.strip():
            raise ValidationError({"detail": _("A courier delivery needs the tracking number.")})
        fields: dict[str, Any] = {"delivered_at": timezone.now(), "delivery_method": method, "delivery_detail": detail}
        if method == DeliveryMethod.PICKUP:
            fields["onsite_visits_made"] = case.onsite_visits_made + 1
        return _move(
            case,
            sources=(CaseState.APPROVED, CaseState.REFUSED),
            to=CaseState.DELIVERED,
            action="delivered",
            actor=actor,
            data={"method": method, "detail": detail},
            request_id=request_id,
            fields=fields,
        )


def case_close(*, case: Case, actor: User, request_id: str = "") -> Case:
    with transaction.atomic():
        case = _lock(case)
        if not case_is_applicant_side(case=case, user=actor):
            _require_clerk_of(actor, case.accepting_district)
        return _move(
            case,
            sources=(CaseState.DELIVERED,),
            to=CaseState.CLOSED,
            action="closed",
            actor=actor,
            request_id=request_id,
            district_code=case.accepting_district.division_code,
            fields={"closed_at": timezone.now()},
        )


def case_rate(
    *,
    case: Case,
    actor: User,
    score: int,
    attitude: int,
    speed: int,
    convenience: int,
    comment: str = "",
    request_id: str = "",
) -> Rating:
    """好差评, once per closed case; 2 or less opens a follow-up for the district's supervisor."""
    for name, value in {"score": score, "attitude": attitude, "speed": speed, "convenience": convenience}.items():
        if not isinstance(value, int) or not 1 <= value <= 5:
            raise ValidationError({name: _("A score is a whole number from 1 to 5.")})
    with transaction.atomic():
        case = _lock(case)
        _require_applicant_side(case, actor)
        if Rating.objects.filter(case=case).exists():
            raise TransitionNotAllowed(_("This case has already been rated."))
        _move(
            case,
            sources=(CaseState.CLOSED,),
            to=CaseState.RATED,
            action="rated",
            actor=actor,
            data={"score": score, "attitude": attitude, "speed": speed, "convenience": convenience},
            reason=comment,
            request_id=request_id,
            district_code=case.accepting_district.division_code,
        )
        rating = Rating.objects.create(
            case=case,
            rater=actor,
            score=score,
            attitude=attitude,
            speed=speed,
            convenience=convenience,
            comment=comment,
        )
        if score <= 2:
            FollowUp.objects.create(rating=rating, district=case.accepting_district)
            supervisors = User.objects.filter(
                Q(district=case.accepting_district) | Q(district__isnull=True),
                role=User.Role.SUPERVISOR,
                is_active=True,
            ).values_list("pk", flat=True)
            events.send_on_commit(
                events.recipients(user_ids=set(supervisors), division_codes=set()),
                {"type": "case.bad_rating", "reference": case.reference, "score": score},
            )
    return rating


def follow_up_close(*, follow_up: FollowUp, actor: User, note: str) -> FollowUp:
    if actor.role != User.Role.SUPERVISOR:
        raise PermissionDenied(_("Only a supervisor closes a follow-up."))
    note = _require_reason(note)
    with transaction.atomic():
        changed = FollowUp.objects.filter(pk=follow_up.pk, status=FollowUp.Status.OPEN).update(
            status=FollowUp.Status.DONE, note=note, handled_by=actor, closed_at=timezone.now()
        )
        if changed != 1:
            raise TransitionNotAllowed(_("This follow-up is already done."))
        follow_up.refresh_from_db()
        case = _lock(follow_up.rating.case)
        event_append(case=case, action="follow_up_done", actor=actor, reason=note)
    return follow_up


# --- the full ID number, audited -----------------------------------------------------------------


def case_id_number_reveal(*, case: Case, actor: User, request_id: str = "") -> str:
    """The full ID number for a user with the permission; the reading itself joins the case's chain."""
    if not actor.has_perm("cases.view_full_id_number"):
        raise PermissionDenied(_("You may not read full ID numbers."))
    with transaction.atomic():
        case = _lock(case)
        event_append(case=case, action="id_number_revealed", actor=actor, request_id=request_id)
    return case.applicant_id_number


# --- deadlines ---------------------------------------------------------------------------------------


DUE_SOON_WORKING_DAYS = 2


def case_deadlines_scan(*, today=None) -> dict[str, int]:
    """Flag due-soon and overdue cases once each and tell the clerk in charge and the supervisors."""
    today = today or _today()
    counts = {"due_soon": 0, "overdue": 0}
    candidates = (
        Case.objects.filter(state__in=OPEN_STATES, promised_due__isnull=False, clock_stopped_since__isnull=True)
        .exclude(state__in=CLOCK_STOPPED_STATES)
        .filter(Q(overdue_notified=False) | Q(due_soon_notified=False))
        .select_related("accepting_district", "approving_district")
    )
    supervisors = _supervisor_ids()
    for case in candidates.iterator():
        left = working_days_left(today=today, due=case.promised_due)
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
                "promised_due": case.promised_due.isoformat(),
                "working_days_left": left,
            }
            at_approving = case.state in LOAD_STATES
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


# --- firms (精服务) -------------------------------------------------------------------------------------


def firm_specialist_assign(*, firm: Firm, district: District, clerk: User, actor: User) -> FirmSpecialist:
    """A supervisor names a clerk of the district as the firm's specialist there (replacing any other)."""
    if actor.role != User.Role.SUPERVISOR:
        raise PermissionDenied(_("Only a supervisor assigns firm specialists."))
    if clerk.role != User.Role.CLERK or clerk.district_id != district.pk or not clerk.is_active:
        raise ValidationError({"clerk": _("The specialist must be an active clerk of that district.")})
    with transaction.atomic():
        FirmSpecialist.objects.select_for_update().filter(firm=firm, district=district, active=True).update(
            active=False
        )
        specialist = FirmSpecialist.objects.create(firm=firm, district=district, clerk=clerk, assigned_by=actor)
        events.send_on_commit(
            events.recipients(user_ids={clerk.pk}, division_codes=set()),
            {"type": "firm.specialist_assigned", "firm": firm.name},
        )
    return specialist
