"""The life-cycle steps: one function per step declared in cases.life_cycle, and `_move`.

Each one runs in one transaction, locks the case row (select_for_update; on SQLite the
IMMEDIATE transaction holds the database's write lock), checks the actor's side as the step
declares it, changes the state with a compare-and-set guarded by the step's declared sources,
applies the step's declared effect on the deadline clock, appends the hash-chained event, and
sends Celery tasks and channel-layer events only after commit.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from cases import life_cycle
from cases.chain import event_append
from cases.deadlines import calendar_years_missing, due_date, shift_due
from cases.life_cycle import Clock, Step
from cases.models import Case, DeliveryMethod, Rating
from cases.services.case_notices import step_notices
from cases.services.checks import (
    correction_items,
    correction_unanswered,
    item_rows,
    require_acceptable,
    return_items,
)
from cases.services.deadlines import calendar_gaps_alert
from cases.services.follow_ups import BAD_SCORE, follow_up_open
from cases.services.form import missing_form_fields
from cases.services.guards import (
    ChainBroken,
    TransitionNotAllowed,
    announce,
    invalid_field,
    lock,
    require_side,
    require_state,
    step_reason,
)
from cases.services.materials import missing_materials, spare_by_elicence
from cases.services.paperwork import paper_enqueue_for
from govservice.errors import Invalid
from govservice.queues import district_queue
from standards.forms import field_label
from standards.models import ItemMaterial
from trust.signing import step_sign
from trust.verification import failure_messages, recognition_check

STEPS = life_cycle.STEPS


def _move(
    case: Case,
    *,
    step: Step,
    actor: User | None,
    reason: str = "",
    data: dict[str, Any] | None = None,
    request_id: str = "",
    district_code: str | None = None,
    fields: dict[str, Any] | None = None,
) -> Case:
    """Take a declared step: compare-and-set the state, apply the clock, record the event.

    The caller holds the lock inside a transaction and has checked the side.
    """
    if not step.leaves(case.state):
        raise TransitionNotAllowed(
            _("This step is not possible while the case is “%(state)s”.") % {"state": life_cycle.label(case.state)}
        )
    now = timezone.now()
    fields = {**_clock_fields(step, case, now=now), **(fields or {})}
    changed = Case.objects.filter(pk=case.pk, state=case.state).update(
        state=step.target, state_changed_at=now, **fields
    )
    if changed != 1:
        raise TransitionNotAllowed(_("Someone else changed this case first: reload it."), code="changed_meanwhile")
    from_state = case.state
    for name, value in fields.items():
        setattr(case, name, value)
    case.state = step.target
    case.state_changed_at = now
    event = event_append(
        case=case,
        action=step.action,
        actor=actor,
        from_state=from_state,
        to_state=step.target,
        reason=reason,
        data=data,
        request_id=request_id,
        district_code=district_code,
    )
    step_sign(case, event=event, actor=actor)  # acceptance, return, decision, delivery: signed by their district
    if step.paper is not None:
        paper_enqueue_for(case, action=step.action, event_seq=event.seq)
    if step.notice:
        step_notices(case, step=step, event=event)
    if fields.get("deadline_provisional"):
        calendar_gaps_alert(case)
    announce(case, action=step.action)
    return case


# --- the deadline clock, as each step declares it ---------------------------------------------------


def _clock_fields(step: Step, case: Case, *, now: dt.datetime) -> dict[str, Any]:
    if step.clock == Clock.START:
        return _clock_start_fields(case, now=now)
    if step.clock == Clock.STOP:
        return _clock_stop_fields(case)
    if step.clock == Clock.RESUME:
        return _clock_resume_fields(case)
    return {}


def _clock_start_fields(case: Case, *, now: dt.datetime) -> dict[str, Any]:
    # Only the first acceptance: a case returned and accepted again keeps its deadlines.
    if case.accepted_at is not None:
        return {}
    version = case.item_version
    today = timezone.localdate(now)
    promised = due_date(start=today, limit=version.promised_limit, unit=version.limit_unit)
    statutory = due_date(start=today, limit=version.statutory_limit, unit=version.limit_unit)
    return {
        "accepted_at": now,
        "promised_due": promised,
        "statutory_due": statutory,
        "deadline_provisional": _provisional(version.limit_unit, start=today, end=max(promised, statutory)),
    }


def _provisional(unit: str, *, start: dt.date, end: dt.date) -> bool:
    """A working-day count through a year the holiday calendar does not hold yet is provisional."""
    return unit == "working_days" and bool(calendar_years_missing(start, end))


def _clock_stop_fields(case: Case) -> dict[str, Any]:
    if case.promised_due and case.clock_stopped_since is None:
        return {"clock_stopped_since": timezone.localdate()}
    return {}


def _clock_resume_fields(case: Case) -> dict[str, Any]:
    # The clock stops only once the deadlines are set (_clock_stop_fields), so they are set here.
    if case.clock_stopped_since is None or case.promised_due is None or case.statutory_due is None:
        return {}
    unit = case.item_version.limit_unit
    today = timezone.localdate()
    promised, days = shift_due(
        due=case.promised_due, stopped_from=case.clock_stopped_since, resumed_on=today, unit=unit
    )
    statutory, _days = shift_due(
        due=case.statutory_due, stopped_from=case.clock_stopped_since, resumed_on=today, unit=unit
    )
    counted_from = timezone.localdate(case.accepted_at) if case.accepted_at else case.clock_stopped_since
    return {
        "promised_due": promised,
        "statutory_due": statutory,
        "deadline_provisional": _provisional(unit, start=counted_from, end=max(promised, statutory)),
        "clock_stopped_since": None,
        "stopped_days": case.stopped_days + days,
        "due_soon_notified": False,
    }


def _reason_step(
    name: str,
    *,
    case: Case,
    actor: User,
    reason: str,
    request_id: str,
    outcome: str | None = None,
    at_accepting: bool = False,
) -> Case:
    """A step whose only input is a reason (required where the step declares it; kept as given otherwise).

    `outcome` names the timestamp field of a step that ends a phase (decided_at, closed_at): it is set,
    with the reason as the outcome's reason. `at_accepting`: the event is recorded at the accepting
    district (steps the applicant side takes after the case has left it).
    """
    step = STEPS[name]
    reason = step_reason(step, reason)
    with transaction.atomic():
        case = lock(case)
        require_side(step, case=case, actor=actor)
        fields = {outcome: timezone.now(), "outcome_reason": reason} if outcome else {}
        return _move(
            case,
            step=step,
            actor=actor,
            reason=reason,
            request_id=request_id,
            district_code=case.accepting_district.division_code if at_accepting else None,
            fields=fields,
        )


# --- the applicant side and the accepting district ---------------------------------------------------


def case_submit(*, case: Case, actor: User, request_id: str = "") -> Case:
    step = STEPS["submit"]
    with transaction.atomic():
        case = lock(case)
        require_side(step, case=case, actor=actor)
        missing = missing_materials(case)
        empty = missing_form_fields(case)
        if missing or empty:
            # What is missing, both kinds at once: the materials and the form's required fields.
            problems: dict[str, list[str]] = {}
            if missing:
                problems["materials"] = [
                    _("Required materials are missing: %(names)s") % {"names": "、".join(m.name for m in missing)}
                ]
            if empty:
                problems["form"] = [
                    _("Required fields of the application form are empty: %(names)s")
                    % {"names": "、".join(field_label(f) for f in empty)}
                ]
            raise Invalid(
                " ".join(m for ms in problems.values() for m in ms),
                code="materials_missing" if missing else "form_incomplete",
                fields=problems,
            )
        unanswered = correction_unanswered(case)
        if unanswered:
            raise invalid_field(
                "materials",
                _("Replace what the correction asks for before resubmitting: %(names)s")
                % {"names": "、".join(m.display_name for m in unanswered)},
                code="correction_unanswered",
            )
        spared = spare_by_elicence(case, actor)
        return _move(
            case,
            step=step,
            actor=actor,
            data={"spared_by_elicence": spared} if spared else None,
            request_id=request_id,
            district_code=case.accepting_district.division_code,
            fields={"submitted_at": timezone.now()},
        )


def case_accept(*, case: Case, actor: User, request_id: str = "") -> Case:
    """受理 at the accepting window: sets the deadlines (first time) and queues the transfer after commit.

    Refused until every required material has been checked as conforming and the identity verified
    (cases.services.checks.require_acceptable).
    """
    from cases.services import routing

    step = STEPS["accept"]
    with transaction.atomic():
        case = lock(case)
        require_side(step, case=case, actor=actor)
        require_state(step, case=case)
        require_acceptable(case)  # materials present, each checked as conforming, identity verified
        fields: dict[str, Any] = {
            "accepting_clerk": actor,
            "accepting_window": actor.window,
            "transfer_number": case.transfer_number + 1,
            "routing_attempts": 0,
            "routing_poisoned": False,
            "routing_error": "",
            "approving_clerk": None,
        }
        case = _move(
            case,
            step=step,
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
        # Looked up on the module when the commit runs, so a test can redirect it.
        transaction.on_commit(lambda: routing._enqueue_route(case_id, transfer_number, queue), robust=True)
    return case


def case_not_accept(*, case: Case, actor: User, reason: str, request_id: str = "") -> Case:
    return _reason_step("not_accept", case=case, actor=actor, reason=reason, request_id=request_id, outcome="closed_at")


def case_request_correction(
    *, case: Case, actor: User, reason: str, materials: list[ItemMaterial] | None = None, request_id: str = ""
) -> Case:
    """补正: lists the materials whose check failed, each with its reason, and any other the clerk names (with
    `reason`); the clock (if running) stops until the applicant resubmits."""
    step = STEPS["request_correction"]
    reason = step_reason(step, reason)
    named = list(materials or [])
    with transaction.atomic():
        case = lock(case)
        require_side(step, case=case, actor=actor)
        require_state(step, case=case)
        if any(m.version_id != case.item_version_id for m in named):
            raise invalid_field("materials", _("These materials are not part of the case's item version."))
        items = correction_items(case, named=named, reason=reason)
        if not items:
            raise invalid_field(
                "materials",
                _("No material failed its check: mark the failing materials as not conforming first."),
                code="nothing_to_correct",
            )
        by_id = {m.pk: m for m in case.item_version.materials.select_related("material_type")}
        listed = [by_id[item.item_material] for item in items]
        return _move(
            case,
            step=step,
            actor=actor,
            reason=reason,
            data={
                "materials": [m.material_type.code for m in listed],
                "names": [m.name for m in listed],
                "items": item_rows(items, by_id),
            },
            request_id=request_id,
        )


# --- the approving district -------------------------------------------------------------------


def case_review_start(*, case: Case, actor: User, request_id: str = "") -> Case:
    """互认: the approving district verifies the accepting district's record and takes the case on."""
    step = STEPS["recognise"]
    with transaction.atomic():
        case = lock(case)
        require_side(step, case=case, actor=actor)
        require_state(step, case=case)
        # The signed records against the registry, every file against its hash, the chain against the anchors
        # (trust.verification); a failure is recorded and alerted, and stops the recognition.
        verification = recognition_check(case=case, actor=actor)
        if verification.ok:
            return _move(
                case,
                step=step,
                actor=actor,
                data={"chain_events_verified": case.chain_head_seq, "verification": verification.pk},
                request_id=request_id,
                fields={"approving_clerk": actor, "approving_window": actor.window},
            )
    raise ChainBroken(
        _("The accepting district's record does not verify: %(problems)s")
        % {"problems": "；".join(failure_messages(verification))}
    )


def case_return(
    *,
    case: Case,
    actor: User,
    reason: str,
    materials: list[tuple[ItemMaterial, str]] | None = None,
    request_id: str = "",
) -> Case:
    """The approving district cannot ask the applicant again: it returns the case through the accepting window,
    with the reason and, for each material found wanting, its own reason and the SHA-256 of the file it judged
    (`data["items"]`, like a correction's; signed with the return by trust)."""
    step = STEPS["return"]
    reason = step_reason(step, reason)
    with transaction.atomic():
        case = lock(case)
        require_side(step, case=case, actor=actor)
        require_state(step, case=case)
        listed = materials or []
        items = item_rows(return_items(case, materials=listed), {material.pk: material for material, _why in listed})
        return _move(
            case,
            step=step,
            actor=actor,
            reason=reason,
            data={"items": items} if items else {},
            request_id=request_id,
        )


def case_special_procedure_start(*, case: Case, actor: User, reason: str, request_id: str = "") -> Case:
    return _reason_step("special_procedure_start", case=case, actor=actor, reason=reason, request_id=request_id)


def case_special_procedure_end(*, case: Case, actor: User, reason: str = "", request_id: str = "") -> Case:
    return _reason_step("special_procedure_end", case=case, actor=actor, reason=reason, request_id=request_id)


def case_approve(*, case: Case, actor: User, reason: str = "", request_id: str = "") -> Case:
    return _reason_step("approve", case=case, actor=actor, reason=reason, request_id=request_id, outcome="decided_at")


def case_refuse(*, case: Case, actor: User, reason: str, request_id: str = "") -> Case:
    return _reason_step("refuse", case=case, actor=actor, reason=reason, request_id=request_id, outcome="decided_at")


# --- back at the accepting district ----------------------------------------------------------------


def case_deliver(*, case: Case, actor: User, method: str, detail: str = "", request_id: str = "") -> Case:
    """送达 through the accepting district: electronic licence, courier, or pick-up at its window."""
    step = STEPS["deliver"]
    if method not in DeliveryMethod.values:
        raise invalid_field("method", _("Unknown delivery method."))
    with transaction.atomic():
        case = lock(case)
        require_side(step, case=case, actor=actor)
        if method == DeliveryMethod.COURIER and not detail.strip():
            raise invalid_field("detail", _("A courier delivery needs the tracking number."))
        fields: dict[str, Any] = {"delivered_at": timezone.now(), "delivery_method": method, "delivery_detail": detail}
        if method == DeliveryMethod.PICKUP:
            fields["onsite_visits_made"] = case.onsite_visits_made + 1
        return _move(
            case,
            step=step,
            actor=actor,
            data={"method": method, "detail": detail},
            request_id=request_id,
            fields=fields,
        )


def case_close(*, case: Case, actor: User, request_id: str = "") -> Case:
    step = STEPS["close"]
    with transaction.atomic():
        case = lock(case)
        require_side(step, case=case, actor=actor)
        return _move(
            case,
            step=step,
            actor=actor,
            request_id=request_id,
            district_code=case.accepting_district.division_code,
            fields={"closed_at": timezone.now()},
        )


def case_withdraw(*, case: Case, actor: User, reason: str, request_id: str = "") -> Case:
    """撤回 by the applicant before a decision. A routing message still on its way finds the case
    no longer accepted and does nothing; the case and its history stay."""
    return _reason_step(
        "withdraw", case=case, actor=actor, reason=reason, request_id=request_id, outcome="closed_at", at_accepting=True
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
    """好差评, once per case, from the states the `rate` step leaves (delivered, closed, not accepted); a
    rating of 2 or less opens a follow-up (整改) for the district's supervisor (cases.services.follow_ups)."""
    step = STEPS["rate"]
    for name, value in {"score": score, "attitude": attitude, "speed": speed, "convenience": convenience}.items():
        if not isinstance(value, int) or not 1 <= value <= 5:
            raise invalid_field(name, _("A score is a whole number from 1 to 5."))
    with transaction.atomic():
        case = lock(case)
        require_side(step, case=case, actor=actor)
        if Rating.objects.filter(case=case).exists():
            raise TransitionNotAllowed(_("This case has already been rated."), code="already_rated")
        _move(
            case,
            step=step,
            actor=actor,
            data={"score": score, "attitude": attitude, "speed": speed, "convenience": convenience},
            reason=comment,
            request_id=request_id,
            district_code=case.accepting_district.division_code,
            # Rated straight from a delivered result: the rating ends the case as the close would have.
            fields={} if case.closed_at else {"closed_at": timezone.now()},
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
        if score <= BAD_SCORE:
            follow_up_open(rating=rating)
    return rating
