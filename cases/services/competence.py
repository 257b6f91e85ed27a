"""The competent approving district: the item standard's rule applied to the applicant (at the draft), and
the accepting clerk's change with a reason before the transfer."""

from __future__ import annotations

import re
from collections.abc import Sequence

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from cases import life_cycle
from cases.chain import event_append
from cases.competence_rules import OUTSIDE, Competence, CompetenceRefused, Places, Refusal, competent_district
from cases.models import ApprovingBasis, Case
from cases.selectors.competence import APPROVING_CHANGE_STATES
from cases.selectors.visibility import actor_is
from cases.services.guards import TransitionNotAllowed, announce, invalid_field, lock, required_reason
from govservice.errors import Invalid, NotAllowed
from standards.models import District, ItemImplementation, ItemVersion
from standards.vocabulary import CompetentDistrictRule

PLACE_FIELD = "approving_place"
_PLACE_PATTERN = re.compile(r"[0-9]{6}")


def given_place(value: str | None) -> str:
    """The place or choice a form gave: a division code, OUTSIDE ("none of the nine"), or ""."""
    value = (value or "").strip()
    if value and value != OUTSIDE and not _PLACE_PATTERN.fullmatch(value):
        raise invalid_field(PLACE_FIELD, _("Choose a district from the list."))
    return value


def competent_implementation(
    *, item_version: ItemVersion, approving: Sequence[ItemImplementation], places: Places
) -> tuple[ItemImplementation, Competence]:
    """The approving implementation the item's rule names for this applicant, or a clear refusal."""
    by_code = {implementation.district.division_code: implementation for implementation in approving}
    rule = item_version.competent_district_rule
    try:
        competence = competent_district(rule=rule, approving=by_code.keys(), places=places)
    except CompetenceRefused as refused:
        raise _refusal(refused, rule=rule, approving=approving) from refused
    return by_code[competence.district], competence


def _refusal(refused: CompetenceRefused, *, rule: str, approving: Sequence[ItemImplementation]) -> Invalid:
    rule_label = CompetentDistrictRule(rule).label
    names = "、".join(str(implementation.district) for implementation in approving)
    place = refused.place
    place_name = str(District.objects.filter(division_code=place).first() or place) if place else ""
    code = str(refused.refusal)
    if refused.refusal == Refusal.NO_APPROVING_DISTRICT:
        return Invalid(_("No district approves this item."), code=code)
    if refused.refusal == Refusal.RULE_NOT_FOR_APPLICANT:
        return Invalid(
            _("This item's approving district is set by %(rule)s, which does not apply to this applicant.")
            % {"rule": rule_label},
            code=code,
        )
    if refused.refusal == Refusal.PLACE_REQUIRED:
        message = _("This item is approved where %(rule)s is: say which district that is.") % {"rule": rule_label}
    elif refused.refusal == Refusal.NOT_CROSS_PROVINCE_HERE and place == OUTSIDE:
        message = _(
            "The approving district is set by %(rule)s, which lies outside the nine districts: this is not a "
            "cross-province (通办) case here. Apply in that place."
        ) % {"rule": rule_label}
    elif refused.refusal == Refusal.NOT_CROSS_PROVINCE_HERE:
        message = _(
            "The approving district is set by %(rule)s: %(place)s, which does not approve this item. This is not a "
            "cross-province (通办) case here; only %(names)s approve it."
        ) % {"rule": rule_label, "place": place_name, "names": names}
    elif refused.refusal == Refusal.CHOICE_REQUIRED:
        message = _("Several districts approve this item: choose the one to approve the application (%(names)s).") % {
            "names": names
        }
    else:
        message = _("%(place)s does not approve this item: choose one of %(names)s.") % {
            "place": place_name,
            "names": names,
        }
    return invalid_field(PLACE_FIELD, message, code=code)


def case_approving_district_change(
    *, case: Case, actor: User, district: District, reason: str, request_id: str = ""
) -> Case:
    """The accepting clerk names another competent district, with a reason, before the transfer.

    Only among the districts whose implementation of the item approves it; the change and its reason join
    the case's event chain.
    """
    reason = required_reason(reason)
    with transaction.atomic():
        case = lock(case)
        if not actor_is(life_cycle.Side.ACCEPTING_CLERK, case=case, actor=actor):
            raise NotAllowed(
                _("Only a clerk of %(district)s may do this.") % {"district": case.accepting_district},
                code="not_your_side",
            )
        if case.state not in APPROVING_CHANGE_STATES or case.routed_at is not None:
            raise TransitionNotAllowed(
                _("The approving district can be changed only before the transfer (submitted or in correction)."),
                code="approving_district_fixed",
            )
        approves = ItemImplementation.objects.filter(
            item_id=case.item_version.item_id, district=district, active=True, can_approve=True
        ).exists()
        if not approves:
            raise invalid_field(
                "district", _("%(district)s does not approve this item.") % {"district": district}, code="not_approving"
            )
        if district.pk == case.approving_district_id:
            raise invalid_field("district", _("This is already the approving district."), code="unchanged")
        previous = case.approving_district.division_code
        Case.objects.filter(pk=case.pk).update(approving_district=district, approving_basis=ApprovingBasis.CLERK)
        case.approving_district, case.approving_basis = district, ApprovingBasis.CLERK
        event_append(
            case=case,
            action=life_cycle.APPROVING_DISTRICT_CHANGED,
            actor=actor,
            reason=reason,
            data={"from": previous, "to": district.division_code},
            request_id=request_id,
        )
        announce(case, action=life_cycle.APPROVING_DISTRICT_CHANGED)
    return case
