"""Every change to a case, by job (HackSoft-style services; reads are in cases.selectors).

- case_views: who looked at a case (staff), written after the response
- applications: drafts in one's own name or as an agent (代办); the audited full ID number
- competence: the competent approving district by the item's rule; the accepting clerk's change
- counter: 窗口收件, a walk-in applicant's case filed by a clerk at their window
- form: the application form's values, validated per kind, who filled each and when; required ones to submit
- materials: uploads checked against the pinned standard; what a case must provide
- my_materials: 我的材料, a file of one's earlier cases used again in a draft (a checked copy); taken off the list
- checks: the accepting window's checks (形式审查 per material, 身份核验) and the rule of acceptance they make
- transitions: the life-cycle steps declared in cases.life_cycle, and `_move`
- routing: the transfer to the approving district's queue, and the sweep
- deadlines: the due-soon / overdue scan (both deadlines); years missing from the holiday calendar
- paperwork: the documents a step issues (PDF, hash on the chain, public check)
- calendar: importing the holiday calendar, and counting provisional deadlines again
- firms: firm specialists, the firm's profile (精服务)
- follow_ups: bad ratings followed up (好差评 整改): deadline by district policy, return visits, rectification,
  closing, escalation of overdue ones
- guards: the row lock, side and reason guards, the errors, the announcement

The public functions are re-exported here: `from cases import services; services.case_accept(...)`.
"""

from __future__ import annotations

from cases.selectors.competence import POWER_OF_ATTORNEY
from cases.services.applications import (
    AGENT_MATERIAL_TYPES,
    case_agent_draft_create,
    case_draft_create,
    case_id_number_reveal,
)
from cases.services.calendar import CalendarImportReport, holiday_calendar_import, provisional_deadlines_recount
from cases.services.case_views import case_view_after_response, case_view_is_recorded, case_views_record
from cases.services.checks import (
    AcceptanceGaps,
    acceptance_gaps,
    case_identity_check,
    case_material_check,
    correction_unanswered,
)
from cases.services.competence import case_approving_district_change
from cases.services.counter import case_counter_intake
from cases.services.deadlines import DUE_SOON_WORKING_DAYS, calendar_gaps_alert, case_deadlines_scan
from cases.services.firms import firm_profile_update, firm_specialist_assign
from cases.services.follow_ups import (
    BAD_SCORE,
    FOLLOW_UP_DEFAULT_WORKING_DAYS,
    follow_up_close,
    follow_up_due_on,
    follow_up_record_rectification,
    follow_up_record_visit,
    follow_up_working_days,
    follow_ups_escalate,
    require_follow_up_access,
)
from cases.services.form import case_form_fill, form_value_clean, missing_form_fields
from cases.services.guards import ChainBroken, TransitionNotAllowed
from cases.services.materials import case_material_add, case_required_materials
from cases.services.my_materials import case_material_reuse, my_material_remove
from cases.services.paperwork import paper_issue, paper_sweep
from cases.services.routing import (
    MAX_ROUTING_ATTEMPTS,
    ROUTING_SWEEP_AFTER_SECONDS,
    ROUTING_SWEEP_BATCH,
    ROUTING_SWEEP_REPEAT_SECONDS,
    RoutingOutcome,
    case_route,
    case_routing_sweep,
)
from cases.services.transitions import (
    case_accept,
    case_approve,
    case_close,
    case_deliver,
    case_not_accept,
    case_rate,
    case_refuse,
    case_request_correction,
    case_return,
    case_review_start,
    case_special_procedure_end,
    case_special_procedure_start,
    case_submit,
    case_withdraw,
)

__all__ = [
    "AGENT_MATERIAL_TYPES",
    "BAD_SCORE",
    "DUE_SOON_WORKING_DAYS",
    "FOLLOW_UP_DEFAULT_WORKING_DAYS",
    "MAX_ROUTING_ATTEMPTS",
    "POWER_OF_ATTORNEY",
    "ROUTING_SWEEP_AFTER_SECONDS",
    "ROUTING_SWEEP_BATCH",
    "ROUTING_SWEEP_REPEAT_SECONDS",
    "AcceptanceGaps",
    "CalendarImportReport",
    "ChainBroken",
    "RoutingOutcome",
    "TransitionNotAllowed",
    "acceptance_gaps",
    "calendar_gaps_alert",
    "case_accept",
    "case_agent_draft_create",
    "case_approve",
    "case_approving_district_change",
    "case_close",
    "case_counter_intake",
    "case_deadlines_scan",
    "case_deliver",
    "case_draft_create",
    "case_form_fill",
    "case_id_number_reveal",
    "case_identity_check",
    "case_material_add",
    "case_material_check",
    "case_material_reuse",
    "case_not_accept",
    "case_rate",
    "case_refuse",
    "case_request_correction",
    "case_required_materials",
    "case_return",
    "case_review_start",
    "case_route",
    "case_routing_sweep",
    "case_special_procedure_end",
    "case_special_procedure_start",
    "case_submit",
    "case_view_after_response",
    "case_view_is_recorded",
    "case_views_record",
    "case_withdraw",
    "correction_unanswered",
    "firm_profile_update",
    "firm_specialist_assign",
    "follow_up_close",
    "follow_up_due_on",
    "follow_up_record_rectification",
    "follow_up_record_visit",
    "follow_up_working_days",
    "follow_ups_escalate",
    "form_value_clean",
    "holiday_calendar_import",
    "missing_form_fields",
    "my_material_remove",
    "paper_issue",
    "paper_sweep",
    "provisional_deadlines_recount",
    "require_follow_up_access",
]
