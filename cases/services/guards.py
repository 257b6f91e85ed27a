"""What every change to a case shares: the row lock, the side and reason guards, the errors, the announcement."""

from __future__ import annotations

from django.utils.translation import gettext as _

from accounts.models import User
from cases import life_cycle
from cases.chain import chain_head_attach
from cases.life_cycle import Side, Step
from cases.models import Case
from cases.selectors.visibility import actor_on_a_side
from govservice import events
from govservice.errors import Conflict, Invalid, NotAllowed
from standards.models import District


class TransitionNotAllowed(Conflict):
    """The case is not in a state that allows this step (or another clerk got there first)."""

    default_code = "transition_not_allowed"


class ChainBroken(Conflict):
    """The case's event chain does not verify: it cannot be recognised."""

    default_code = "chain_broken"


def lock(case: Case) -> Case:
    # of=self: lock the case row only, not the districts, window and item version it joins
    # (those would serialise every transition in a district on PostgreSQL).
    locked = (
        Case.objects.select_for_update(of=("self",))
        .select_related("accepting_district", "approving_district", "item_version", "accepting_window")
        .get(pk=case.pk)
    )
    return chain_head_attach(locked)  # after the lock: see cases.chain.chain_head_attach


def _refusal(side: Side, case: Case) -> NotAllowed:
    if side == Side.APPLICANT:
        return NotAllowed(_("Only the applicant (or their agent or firm) may do this."), code="not_your_side")
    district: District = case.accepting_district if side == Side.ACCEPTING_CLERK else case.approving_district
    return NotAllowed(_("Only a clerk of %(district)s may do this.") % {"district": district}, code="not_your_side")


def require_side(step: Step, *, case: Case, actor: User) -> None:
    """The step's declared sides: one of them must fit (the refusal names the last one, as the page reads best)."""
    if actor_on_a_side(step.sides, case=case, actor=actor):
        return
    raise _refusal(step.sides[-1], case)


def require_state(step: Step, *, case: Case) -> None:
    """The step's declared sources: checked before the step's own preconditions, so a wrong state answers 409."""
    if not step.leaves(case.state):
        raise TransitionNotAllowed(
            _("This step is not possible while the case is “%(state)s”.") % {"state": life_cycle.label(case.state)}
        )


def invalid_field(field: str, message: str, *, code: str = Invalid.default_code) -> Invalid:
    """Bad input in one field: the message, also under that field (how forms and clients show it)."""
    return Invalid(message, code=code, fields={field: [message]})


def required_reason(reason: str, *, field: str = "reason") -> str:
    reason = (reason or "").strip()
    if not reason:
        raise invalid_field(field, _("A reason is required."), code="reason_required")
    return reason


def step_reason(step: Step, reason: str) -> str:
    """The reason as the step declares it: required (and trimmed), or passed on as given."""
    return required_reason(reason) if step.reason_required else reason


def supervisor_ids() -> list[int]:
    return list(User.objects.filter(role=User.Role.SUPERVISOR, is_active=True).values_list("pk", flat=True))


def announce(case: Case, *, action: str) -> None:
    """After commit: the applicant's pages and both districts' workbenches (the case's clerks among them) hear of it."""
    payload = {
        "type": "case.updated",
        "reference": case.reference,
        "state": case.state,
        "state_label": life_cycle.label(case.state),
        "action": action,
    }
    events.send_on_commit(
        events.recipients(
            user_ids={case.applicant_id, case.agent_id},
            division_codes={case.accepting_district.division_code, case.approving_district.division_code},
        ),
        payload,
    )
