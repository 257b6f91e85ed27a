"""The case life cycle, declared once.

Every state (its label, badge and groups) and every step (where it leaves from, where it leads,
who takes it, whether it needs a reason, what it does to the deadline clock, its label, the event
it writes, its API path and the inputs its form needs) is written here and nowhere else. The
services guard on it (cases.services.transitions), the pages and the API offer and dispatch from
it, the template tags label and colour from it, the tests walk it, and `manage.py
life_cycle_diagram` draws it (docs/life_cycle.md).

Adding a step: one `Step` entry below and one service function (named in `service`, with the
keyword arguments its inputs give) in cases.services.transitions.

This module imports nothing of Django's ORM beyond the `CaseState` and `DeliveryMethod` choices, so it can be read
(and tested) without a database.
"""

from __future__ import annotations

import enum
import keyword
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from cases.models import CaseState, DeliveryMethod, PaperKind


class Side(enum.StrEnum):
    """Who takes a step; the services check it (cases.services.guards.require_side)."""

    APPLICANT = "applicant"  # the applicant, their agent, the applying firm, or the principal
    ACCEPTING_CLERK = "accepting_clerk"  # a clerk of the accepting district
    APPROVING_CLERK = "approving_clerk"  # a clerk of the approving district
    # A clerk of the accepting district, on a case filed at that district's counter for a walk-in (窗口收件).
    COUNTER_CLERK = "counter_clerk"
    SYSTEM = "system"  # routing, in a Celery worker


class Clock(enum.StrEnum):
    """What a step does to the deadline clock (docs/domain.md: 补正 and 特别程序 stop it)."""

    START = "start"  # the first acceptance sets the promised and statutory deadlines
    STOP = "stop"
    RESUME = "resume"  # the deadlines move on by the days the clock stood still
    NONE = "none"


class Notify(enum.StrEnum):
    """Who hears of a step in their inbox (and by email and SMS as they chose): cases.services.case_notices."""

    APPLICANT = "applicant"  # the applicant and their agent
    # The case's accepting clerk and the district's supervisors, when the rating is 2 or less.
    STAFF_ON_BAD_RATING = "staff_on_bad_rating"


class Badge(enum.StrEnum):
    OK = "ok"
    WARN = "warn"
    BAD = "bad"
    NONE = ""


class Input(enum.StrEnum):
    """The inputs a step's form and API body carry (each has a small include under cases/steps/)."""

    REASON = "reason"  # a reason; required or optional per Step.reason_required
    MATERIALS = "materials"  # the materials to correct (补正)
    RETURN_MATERIALS = "return_materials"  # the materials a return sends back, each with its reason (退回)
    DELIVERY = "delivery"  # method and detail (送达)
    RATING = "rating"  # the four scores and a comment (好差评)


class Queue(enum.StrEnum):
    """Where a case in this state shows on a clerk's workbench (cases.selectors.queues.workbench_for).

    TO_APPROVE is the approving district's; WITHDRAWN shows in both districts' workbenches (the approving
    one once the case reached it); the others are the accepting district's.
    """

    TO_ACCEPT = "to_accept"
    TO_APPROVE = "to_approve"
    TO_DELIVER = "to_deliver"
    WAITING = "waiting"
    WITHDRAWN = "withdrawn"
    NONE = ""


@dataclass(frozen=True)
class State:
    value: str
    badge: Badge = Badge.NONE
    # The deadline clock does not run (补正, 特别程序).
    clock_stopped: bool = False
    # Still being worked on, and can fall due (the deadline scan, figures).
    open: bool = False
    # Done: result delivered (figures count it as completed).
    finished: bool = False
    # Counts towards the approving clerk's load (routing) and sits with the approving district.
    load: bool = False
    # Materials may be added (uploads are refused otherwise).
    materials_open: bool = False
    # The accepting district's clerks see it (a draft is the applicant's alone).
    submitted: bool = True
    queue: Queue = Queue.NONE

    @property
    def label(self) -> Any:
        return CaseState(self.value).label


@dataclass(frozen=True)
class Step:
    name: str
    sources: tuple[str, ...]
    target: str
    sides: tuple[Side, ...]
    action: str  # the event's action name in the chain
    label: Any  # the page's button
    event_label: Any  # the event in the case's history (event_label below)
    service: str  # the function in cases.services that takes it
    reason_required: bool = False
    clock: Clock = Clock.NONE
    inputs: tuple[Input, ...] = ()
    # None: not offered by the API or the pages (routing takes it in a worker).
    url_path: str | None = None
    doc: str = ""  # the API operation's description
    tone: str = ""  # the button's style: "", "secondary" or "danger"
    reason_hint: Any = None  # the reason box's placeholder, when "Reason" says too little
    # After this step the clerk carries on on the case's page, even from the workbench (recognise: review it).
    opens_case: bool = False
    # On the workbench's queue rows: a short label, and fixed inputs (e.g. deliver as pick-up).
    quick_label: Any = None
    quick_inputs: tuple[tuple[str, str], ...] = ()
    # The document (文书) the step issues as a PDF once it has committed (cases.services.paperwork).
    paper: PaperKind | None = None
    # Who is told once the step has committed (notices: inbox, email, SMS), as cases.services.case_notices says.
    notice: tuple[Notify, ...] = ()

    @property
    def api_name(self) -> str:
        """The viewset attribute (and operation) name: the step's name, unless Python reserves it."""
        return f"{self.name}_case" if keyword.iskeyword(self.name) else self.name

    def taken_by(self, side: Side) -> bool:
        return side in self.sides

    def leaves(self, state: str) -> bool:
        return state in self.sources


S = CaseState

STATES: dict[str, State] = {
    spec.value: spec
    for spec in (
        State(S.DRAFT, submitted=False, materials_open=True),
        State(S.SUBMITTED, Badge.WARN, materials_open=True, queue=Queue.TO_ACCEPT),
        State(S.ACCEPTED, Badge.OK, open=True, queue=Queue.WAITING),
        State(S.NOT_ACCEPTED, Badge.BAD),
        State(S.CORRECTION_REQUESTED, Badge.WARN, clock_stopped=True, materials_open=True, queue=Queue.WAITING),
        State(S.TRANSFERRED, Badge.OK, open=True, load=True, queue=Queue.TO_APPROVE),
        State(S.IN_REVIEW, Badge.OK, open=True, load=True, queue=Queue.TO_APPROVE),
        State(S.RETURNED, Badge.BAD, open=True, queue=Queue.TO_ACCEPT),
        State(S.SPECIAL_PROCEDURE, Badge.WARN, clock_stopped=True, load=True, queue=Queue.TO_APPROVE),
        State(S.APPROVED, Badge.OK, open=True, queue=Queue.TO_DELIVER),
        State(S.REFUSED, Badge.BAD, open=True, queue=Queue.TO_DELIVER),
        State(S.DELIVERED, Badge.OK, finished=True),
        State(S.CLOSED, Badge.OK, finished=True),
        State(S.RATED, Badge.OK, finished=True),
        # Withdrawn by the applicant before a decision (撤回): nothing is deleted, the case stays on record.
        State(S.WITHDRAWN, Badge.BAD, queue=Queue.WITHDRAWN),
    )
}

APPLICANT, ACCEPTING, APPROVING, SYSTEM = Side.APPLICANT, Side.ACCEPTING_CLERK, Side.APPROVING_CLERK, Side.SYSTEM
COUNTER = Side.COUNTER_CLERK
NOTIFY_APPLICANT = Notify.APPLICANT

STEPS: dict[str, Step] = {
    step.name: step
    for step in (
        Step(
            "submit",
            sources=(S.DRAFT, S.CORRECTION_REQUESTED),
            target=S.SUBMITTED,
            # At the counter the clerk submits on the walk-in applicant's behalf.
            sides=(APPLICANT, COUNTER),
            clock=Clock.RESUME,
            action="submitted",
            label=_("Submit the application"),
            event_label=_("Submitted"),
            service="case_submit",
            url_path="submit",
            doc="Submit (or resubmit after a correction).",
        ),
        Step(
            "accept",
            sources=(S.SUBMITTED, S.RETURNED),
            target=S.ACCEPTED,
            sides=(ACCEPTING,),
            clock=Clock.START,
            action="accepted",
            label=_("Accept (受理) and transfer"),
            event_label=_("Accepted (受理)"),
            service="case_accept",
            url_path="accept",
            doc="受理: accept at the accepting window, once every required material has been checked as conforming "
            "(形式审查) and the applicant's identity verified (身份核验): see `checks/`.",
            paper=PaperKind.RECEIPT,
            notice=(NOTIFY_APPLICANT,),
        ),
        Step(
            "request_correction",
            sources=(S.SUBMITTED, S.RETURNED),
            target=S.CORRECTION_REQUESTED,
            sides=(ACCEPTING,),
            reason_required=True,
            clock=Clock.STOP,
            action="correction_requested",
            label=_("Request a correction (补正)"),
            event_label=_("Correction requested"),
            service="case_request_correction",
            inputs=(Input.MATERIALS, Input.REASON),
            reason_hint=_("What must be corrected, and why"),
            url_path="request-correction",
            doc="补正: lists the materials whose check failed, each with its reason (and any named in `materials`, "
            "with `reason`); the clock stops until resubmission.",
            tone="secondary",
            paper=PaperKind.CORRECTION_NOTICE,
            notice=(NOTIFY_APPLICANT,),
        ),
        Step(
            "not_accept",
            sources=(S.SUBMITTED, S.RETURNED),
            target=S.NOT_ACCEPTED,
            sides=(ACCEPTING,),
            reason_required=True,
            action="not_accepted",
            label=_("Do not accept"),
            event_label=_("Not accepted"),
            service="case_not_accept",
            inputs=(Input.REASON,),
            url_path="not-accept",
            doc="不予受理, with a reason.",
            tone="danger",
            paper=PaperKind.NOT_ACCEPTED,
            notice=(NOTIFY_APPLICANT,),
        ),
        Step(
            "transfer",
            sources=(S.ACCEPTED,),
            target=S.TRANSFERRED,
            sides=(SYSTEM,),
            action="transferred",
            label=_("Transferred to the approving district"),
            event_label=_("Transferred to the approving district"),
            service="case_route",
        ),
        Step(
            "recognise",
            sources=(S.TRANSFERRED,),
            target=S.IN_REVIEW,
            sides=(APPROVING,),
            action="recognised",
            label=_("Recognise and start review"),
            event_label=_("Acceptance recognised, review started"),
            service="case_review_start",
            url_path="recognise",
            doc="互认: the approving district verifies the record and takes the case into review (one clerk wins).",
            quick_label=_("Recognise"),
            opens_case=True,
        ),
        Step(
            "approve",
            sources=(S.IN_REVIEW,),
            target=S.APPROVED,
            sides=(APPROVING,),
            action="approved",
            label=_("Approve"),
            event_label=_("Approved"),
            service="case_approve",
            inputs=(Input.REASON,),
            url_path="approve",
            doc="准予: approve.",
            paper=PaperKind.DECISION,
            notice=(NOTIFY_APPLICANT,),
        ),
        Step(
            "refuse",
            sources=(S.IN_REVIEW,),
            target=S.REFUSED,
            sides=(APPROVING,),
            reason_required=True,
            action="refused",
            label=_("Refuse"),
            event_label=_("Refused"),
            service="case_refuse",
            inputs=(Input.REASON,),
            url_path="refuse",
            doc="不予: refuse, with a reason.",
            tone="danger",
            paper=PaperKind.DECISION,
            notice=(NOTIFY_APPLICANT,),
        ),
        Step(
            "special_procedure_start",
            sources=(S.IN_REVIEW,),
            target=S.SPECIAL_PROCEDURE,
            sides=(APPROVING,),
            reason_required=True,
            clock=Clock.STOP,
            action="special_procedure_started",
            label=_("Start a special procedure"),
            event_label=_("Special procedure started (clock stopped)"),
            service="case_special_procedure_start",
            inputs=(Input.REASON,),
            url_path="special-procedure-start",
            doc="Start a special procedure (the clock stops).",
            tone="secondary",
            notice=(NOTIFY_APPLICANT,),
        ),
        Step(
            "return",
            sources=(S.IN_REVIEW,),
            target=S.RETURNED,
            sides=(APPROVING,),
            reason_required=True,
            action="returned",
            label=_("Return through the accepting window"),
            event_label=_("Returned to the accepting window"),
            service="case_return",
            inputs=(Input.RETURN_MATERIALS, Input.REASON),
            url_path="return",
            doc="Return the case through the accepting window, with the reason and, for each material found wanting, "
            "its own reason (signed with the return).",
            tone="secondary",
            notice=(NOTIFY_APPLICANT,),
        ),
        Step(
            "special_procedure_end",
            sources=(S.SPECIAL_PROCEDURE,),
            target=S.IN_REVIEW,
            sides=(APPROVING,),
            clock=Clock.RESUME,
            action="special_procedure_ended",
            label=_("End the special procedure"),
            event_label=_("Special procedure ended"),
            service="case_special_procedure_end",
            inputs=(Input.REASON,),
            url_path="special-procedure-end",
            doc="End the special procedure (the clock runs again).",
        ),
        Step(
            "deliver",
            sources=(S.APPROVED, S.REFUSED),
            target=S.DELIVERED,
            sides=(ACCEPTING,),
            action="delivered",
            label=_("Deliver the result"),
            event_label=_("Result delivered"),
            service="case_deliver",
            inputs=(Input.DELIVERY,),
            url_path="deliver",
            doc="送达 through the accepting district: electronic licence, courier or pick-up.",
            quick_label=_("Deliver (pick-up)"),
            quick_inputs=(("method", DeliveryMethod.PICKUP),),
            paper=PaperKind.DELIVERY_RECORD,
            notice=(NOTIFY_APPLICANT,),
        ),
        Step(
            "withdraw",
            # Any time before a decision: while the application waits at the window, is corrected, travels
            # or is reviewed. A draft is not an application yet; after a decision there is nothing to withdraw.
            sources=(
                S.SUBMITTED,
                S.CORRECTION_REQUESTED,
                S.ACCEPTED,
                S.TRANSFERRED,
                S.IN_REVIEW,
                S.RETURNED,
                S.SPECIAL_PROCEDURE,
            ),
            target=S.WITHDRAWN,
            sides=(APPLICANT,),
            reason_required=True,
            # Out of a stopped clock the case's record counts the days it stood still, as any resumption does.
            clock=Clock.RESUME,
            action="withdrawn",
            label=_("Withdraw the application"),
            event_label=_("Withdrawn by the applicant"),
            service="case_withdraw",
            inputs=(Input.REASON,),
            reason_hint=_("Why you withdraw the application"),
            url_path="withdraw",
            doc="撤回: the applicant withdraws before a decision, with a reason; nothing is deleted.",
            tone="danger",
            notice=(NOTIFY_APPLICANT,),
        ),
        Step(
            "close",
            sources=(S.DELIVERED,),
            target=S.CLOSED,
            sides=(APPLICANT, ACCEPTING),
            action="closed",
            label=_("Confirm receipt and close"),
            event_label=_("Closed"),
            service="case_close",
            url_path="close",
            doc="办结: close a delivered case.",
            tone="secondary",
        ),
        Step(
            "rate",
            # Once the applicant knows the outcome: a closed case, a delivered result (a refusal too: the
            # applicant need not confirm receipt of a 不予 decision first) and a case not accepted (不予受理).
            sources=(S.DELIVERED, S.CLOSED, S.NOT_ACCEPTED),
            target=S.RATED,
            sides=(APPLICANT,),
            action="rated",
            label=_("Send my rating"),
            event_label=_("Rated"),
            service="case_rate",
            inputs=(Input.RATING,),
            url_path="rate",
            doc="好差评 once per case, once its outcome is known (delivered, closed or not accepted); 2 or less "
            "opens a follow-up (整改) with a deadline by the district's policy.",
            notice=(Notify.STAFF_ON_BAD_RATING,),
        ),
    )
}

# The page's pseudo-step for uploading a material: offered with "submit" (cases.selectors). The
# service takes an upload from the applicant side or the accepting window helping them (the sides
# that submit and accept), while the state keeps materials open (State.materials_open).
MATERIAL = "material"
MATERIAL_SIDES = (Side.APPLICANT, Side.ACCEPTING_CLERK)

# The events of a case's chain that are not steps (a step's event is its `action`), and their labels
# in the case's history.
DRAFT_CREATED = "draft_created"
COUNTER_INTAKE = "counter_intake"
APPROVING_DISTRICT_CHANGED = "approving_district_changed"
MATERIAL_ADDED = "material_added"
ROUTING_STOPPED = "routing_stopped"
ID_NUMBER_REVEALED = "id_number_revealed"
FOLLOW_UP_DONE = "follow_up_done"  # closed before return visits were recorded (older chains)
FOLLOW_UP_OPENED = "follow_up_opened"
FOLLOW_UP_VISITED = "follow_up_visited"
FOLLOW_UP_RECTIFIED = "follow_up_rectified"
FOLLOW_UP_ESCALATED = "follow_up_escalated"
FOLLOW_UP_CLOSED = "follow_up_closed"
DEADLINES_RECOMPUTED = "deadlines_recomputed"
PAPER_ISSUED = "paper_issued"
MATERIAL_CHECKED = "material_checked"
IDENTITY_CHECKED = "identity_checked"
ASSIST_CALL_RECORDED = "assist_call_recorded"
ASSIST_PRECHECKED = "assist_prechecked"
FORM_FILLED = "form_filled"
OTHER_EVENTS: dict[str, Any] = {
    DRAFT_CREATED: _("Application started"),
    COUNTER_INTAKE: _("Filed at the counter by a clerk (窗口收件)"),
    APPROVING_DISTRICT_CHANGED: _("Approving district changed by the accepting clerk"),
    MATERIAL_ADDED: _("Material uploaded"),
    ROUTING_STOPPED: _("Routing stopped: needs a supervisor"),
    ID_NUMBER_REVEALED: _("Full ID number read"),
    FOLLOW_UP_DONE: _("Bad rating followed up"),
    FOLLOW_UP_OPENED: _("Follow-up of the bad rating opened"),
    FOLLOW_UP_VISITED: _("Return visit recorded (回访)"),
    FOLLOW_UP_RECTIFIED: _("Rectification recorded (整改)"),
    FOLLOW_UP_ESCALATED: _("Follow-up overdue: escalated to the alliance supervisor"),
    FOLLOW_UP_CLOSED: _("Follow-up closed, result given to the applicant"),
    DEADLINES_RECOMPUTED: _("Deadlines counted again with the new holiday calendar"),
    PAPER_ISSUED: _("Document issued"),
    MATERIAL_CHECKED: _("Material checked (形式审查)"),
    IDENTITY_CHECKED: _("Identity verified (身份核验)"),
    ASSIST_CALL_RECORDED: _("Video assistance call recorded (its SHA-256 kept here)"),
    ASSIST_PRECHECKED: _("Material pre-checked in a video assistance call (预审)"),
    FORM_FILLED: _("Application form filled in"),
}


# --- reading the declaration ---------------------------------------------------------------------


def state(value: str) -> State:
    return STATES[value]


def step(name: str) -> Step:
    return STEPS[name]


def states_where(**flags: Any) -> frozenset[str]:
    """The states whose declared attributes equal `flags`, e.g. states_where(open=True)."""
    return frozenset(
        spec.value for spec in STATES.values() if all(getattr(spec, name) == value for name, value in flags.items())
    )


def steps_from(value: str) -> list[Step]:
    """The steps that leave this state, in declaration order."""
    return [spec for spec in STEPS.values() if value in spec.sources]


def api_steps() -> list[Step]:
    """The steps a client takes over the API and the pages (not routing)."""
    return [spec for spec in STEPS.values() if spec.url_path is not None]


def badge(value: str) -> str:
    spec = STATES.get(value)
    return str(spec.badge) if spec else ""


def label(value: str) -> str:
    spec = STATES.get(value)
    return str(spec.label) if spec else value


def event_label(action: str) -> str:
    """An event's label in the case's history: its step's `event_label`, or one of OTHER_EVENTS."""
    for spec in STEPS.values():
        if spec.action == action:
            return str(spec.event_label)
    return str(OTHER_EVENTS.get(action, action))


# The groups the rest of the code reads (sets of CaseState values).
CLOCK_STOPPED_STATES = states_where(clock_stopped=True)
OPEN_STATES = states_where(open=True)
FINISHED_STATES = states_where(finished=True)
LOAD_STATES = tuple(sorted(states_where(load=True)))
MATERIALS_OPEN_STATES = states_where(materials_open=True)
UNSUBMITTED_STATES = states_where(submitted=False)
# The first state (a new application) and the routing step's ends.
INITIAL_STATE = S.DRAFT
ROUTING = STEPS["transfer"]
# Where a case waits for routing, and where it arrives.
AWAITING_ROUTING = ROUTING.sources[0]
ROUTED = ROUTING.target
# A case whose rating can be shown: the rating step's target.
RATED = STEPS["rate"].target


def queue_states(queue: Queue) -> tuple[str, ...]:
    return tuple(spec.value for spec in STATES.values() if spec.queue == queue)


# --- the diagram (docs/life_cycle.md, `manage.py life_cycle_diagram`) ------------------------------

_SIDE_NAMES = {
    Side.APPLICANT: "applicant side",
    Side.ACCEPTING_CLERK: "accepting district clerk",
    Side.APPROVING_CLERK: "approving district clerk",
    Side.COUNTER_CLERK: "accepting district clerk, for a case filed at its counter",
    Side.SYSTEM: "system (routing)",
}


def diagram_markdown() -> str:
    """The life cycle as Markdown: a Mermaid stateDiagram-v2, then the steps and the states as tables.

    In English (the source language), so the output is the same on every machine.
    """
    from django.utils import translation

    with translation.override("en"):
        return _diagram_markdown()


def _diagram_markdown() -> str:
    final = [value for value in STATES if not steps_from(value)]
    lines = [
        "# The case life cycle",
        "",
        "Generated from `cases/life_cycle.py` by `python manage.py life_cycle_diagram > docs/life_cycle.md`;",
        "do not edit it by hand (a test checks that it equals the generated output).",
        "",
        "```mermaid",
        "stateDiagram-v2",
        f"    [*] --> {INITIAL_STATE}",
    ]
    lines += [f"    {source} --> {spec.target}: {spec.name}" for spec in STEPS.values() for source in spec.sources]
    lines += [f"    {value} --> [*]" for value in final]
    stopped = ",".join(sorted(CLOCK_STOPPED_STATES))
    lines += [
        "    classDef clockStopped stroke-dasharray: 5 5",
        f"    class {stopped} clockStopped",
        "```",
        "",
        "Dashed: the deadline clock stands still.",
        "",
        "## Steps",
        "",
        "| step | from | to | side | reason | clock | event action | API (POST /api/cases/<reference>/…) | inputs |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for spec in STEPS.values():
        sides = " or ".join(_SIDE_NAMES[side] for side in spec.sides)
        inputs = ", ".join(str(kind) for kind in spec.inputs) or "—"
        url = f"`{spec.url_path}/`" if spec.url_path else "— (a Celery task)"
        reason = "required" if spec.reason_required else ("optional" if Input.REASON in spec.inputs else "—")
        lines.append(
            f"| {spec.name} ({spec.label}) | {', '.join(spec.sources)} | {spec.target} | {sides} | {reason} "
            f"| {spec.clock} | `{spec.action}` | {url} | {inputs} |"
        )
    lines += [
        "",
        "## States",
        "",
        "| state | label | badge | clock stopped | open | finished | clerk load | materials open | workbench queue |",
        "|---|---|---|---|---|---|---|---|---|",
    ]

    def mark(flag: bool) -> str:
        return "yes" if flag else ""

    for state_spec in STATES.values():
        lines.append(
            f"| {state_spec.value} | {state_spec.label} | {state_spec.badge or '—'} | {mark(state_spec.clock_stopped)} "
            f"| {mark(state_spec.open)} | {mark(state_spec.finished)} | {mark(state_spec.load)} "
            f"| {mark(state_spec.materials_open)} | {state_spec.queue or ''} |"
        )
    return "\n".join(lines) + "\n"
