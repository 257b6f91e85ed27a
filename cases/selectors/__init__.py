"""Reads, by job (HackSoft-style selectors; changes are in cases.services).

- checks: the accepting district's checks of a case's materials and identity, and the correction they led to
- documents: a case's uploaded materials, for those who may see the case, checked against their hash
- visibility: who sees which case and its events; who stands on which side of a case
- queues: the clerk's workbench, the district queues
- figures: per district and alliance-wide
- firms: recommended items, visible firms
- steps: the declared steps a user may take now (cases.life_cycle)
"""

from __future__ import annotations

from cases.selectors.checks import (
    CorrectionItem,
    MaterialRow,
    current_checks,
    identity_check_of,
    last_correction,
    material_checks_of,
    material_rows,
)
from cases.selectors.documents import Document, case_document_for, document_intact
from cases.selectors.figures import figures
from cases.selectors.firms import firm_recommended_items, firms_visible_to
from cases.selectors.queues import (
    StateQueue,
    Workbench,
    WorkbenchFilters,
    district_queues,
    routing_stopped_cases,
    workbench_for,
)
from cases.selectors.steps import case_steps_for, offered_steps, quick_step_for
from cases.selectors.visibility import (
    actor_is,
    actor_on_a_side,
    case_events_visible_to,
    case_is_applicant_side,
    cases_visible_to,
    districts_visible_to,
)

__all__ = [
    "CorrectionItem",
    "Document",
    "MaterialRow",
    "StateQueue",
    "Workbench",
    "WorkbenchFilters",
    "actor_is",
    "actor_on_a_side",
    "case_document_for",
    "case_events_visible_to",
    "case_is_applicant_side",
    "case_steps_for",
    "cases_visible_to",
    "current_checks",
    "district_queues",
    "districts_visible_to",
    "document_intact",
    "figures",
    "firm_recommended_items",
    "firms_visible_to",
    "identity_check_of",
    "last_correction",
    "material_checks_of",
    "material_rows",
    "offered_steps",
    "quick_step_for",
    "routing_stopped_cases",
    "workbench_for",
]
