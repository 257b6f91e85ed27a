"""Reads, by job (HackSoft-style selectors; changes are in cases.services).

- papers: the documents a case produced (文书), and their public check by QR code
- calendar: the holiday calendar's coverage (years held, years missing)
- competence: the applicant's places, what an apply form asks for the item's rule, the clerk's alternatives
- counter: a walk-in applicant found by ID number (masked)
- case_views: who looked at a case, for the applicant side
- checks: the accepting district's checks of a case's materials and identity, and the correction they led to
- form: the case's application form as read (who filled each field, ID numbers masked)
- documents: a case's uploaded materials, for those who may see the case, checked against their hash
- my_materials: 我的材料, a person's own uploads offered again (one per file), and those fitting a draft's material
- visibility: who sees which case and its events; who stands on which side of a case
- queues: the clerk's workbench, the district queues
- figures: per district and alliance-wide
- firms: recommended items with their reasons, a firm's specialists, visible firms
- follow_ups: bad ratings' follow-ups for the supervisors: who sees which, their standing, the list
- steps: the declared steps a user may take now (cases.life_cycle)
"""

from __future__ import annotations

from cases.selectors.calendar import CalendarCoverage, calendar_coverage
from cases.selectors.case_views import ViewEntry, case_views_for, case_views_readable_by, view_entry
from cases.selectors.checks import (
    CorrectionItem,
    MaterialRow,
    current_checks,
    identity_check_of,
    last_correction,
    material_checks_of,
    material_rows,
)
from cases.selectors.competence import (
    APPROVING_CHANGE_STATES,
    CompetenceQuestion,
    applicant_places,
    approving_change_choices,
    approving_districts,
    competence_question,
)
from cases.selectors.counter import Walkin, citizen_account, counter_lookup
from cases.selectors.documents import Document, case_document_for, document_intact
from cases.selectors.figures import figures
from cases.selectors.firms import (
    RecommendedItem,
    firm_recommendations,
    firm_recommended_items,
    firm_specialists,
    firms_visible_to,
    specialist_candidates,
)
from cases.selectors.follow_ups import (
    FollowUpFilters,
    RatingShown,
    follow_up_districts,
    follow_up_list,
    follow_ups_visible_to,
    rating_shown,
)
from cases.selectors.form import form_rows
from cases.selectors.my_materials import MyMaterial, my_materials, my_materials_for
from cases.selectors.papers import (
    PaperFile,
    case_paper_file,
    case_paper_for,
    case_papers,
    paper_by_token,
    paper_intact,
)
from cases.selectors.queues import (
    StateQueue,
    Workbench,
    WorkbenchFilters,
    district_queues,
    routing_stopped_cases,
    with_whole_cases,
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
    "APPROVING_CHANGE_STATES",
    "CalendarCoverage",
    "CompetenceQuestion",
    "CorrectionItem",
    "Document",
    "FollowUpFilters",
    "MaterialRow",
    "MyMaterial",
    "PaperFile",
    "RatingShown",
    "RecommendedItem",
    "StateQueue",
    "ViewEntry",
    "Walkin",
    "Workbench",
    "WorkbenchFilters",
    "actor_is",
    "actor_on_a_side",
    "applicant_places",
    "approving_change_choices",
    "approving_districts",
    "calendar_coverage",
    "case_document_for",
    "case_events_visible_to",
    "case_is_applicant_side",
    "case_paper_file",
    "case_paper_for",
    "case_papers",
    "case_steps_for",
    "case_views_for",
    "case_views_readable_by",
    "cases_visible_to",
    "citizen_account",
    "competence_question",
    "counter_lookup",
    "current_checks",
    "district_queues",
    "districts_visible_to",
    "document_intact",
    "figures",
    "firm_recommendations",
    "firm_recommended_items",
    "firm_specialists",
    "firms_visible_to",
    "follow_up_districts",
    "follow_up_list",
    "follow_ups_visible_to",
    "form_rows",
    "identity_check_of",
    "last_correction",
    "material_checks_of",
    "material_rows",
    "my_materials",
    "my_materials_for",
    "offered_steps",
    "paper_by_token",
    "paper_intact",
    "quick_step_for",
    "rating_shown",
    "routing_stopped_cases",
    "specialist_candidates",
    "view_entry",
    "with_whole_cases",
    "workbench_for",
]
