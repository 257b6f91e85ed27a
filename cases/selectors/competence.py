"""The competent approving district, read for the forms: the applicant's recorded places, what an apply
form must ask, and the districts an accepting clerk may name instead (cases.competence_rules decides)."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser

from accounts.models import Firm, User
from cases import life_cycle
from cases.competence_rules import Places, needs_place
from cases.models import Case
from cases.selectors.visibility import actor_is
from standards.models import District, ItemImplementation, ItemVersion
from standards.vocabulary import CompetentDistrictRule

# Before the transfer: the accepting district holds the case and routing has never run. A case the approving
# district has seen (routed_at set, e.g. returned) keeps its approving district.
APPROVING_CHANGE_STATES = frozenset({life_cycle.S.SUBMITTED, life_cycle.S.CORRECTION_REQUESTED})


def applicant_places(*, principal: str, account: User | None, firm: Firm | None, given: str) -> Places:
    """What the rule may read: a person's recorded places (their account), a firm's registered district,
    and what the form gave."""

    def code(district: District | None) -> str:
        return district.division_code if district is not None else ""

    person = account if principal == "person" else None
    return Places(
        principal=principal,
        household=code(person.household_district) if person is not None else "",
        social_insurance=code(person.insured_district) if person is not None else "",
        registered=code(firm.registered_district) if firm is not None else "",
        given=given,
    )


def approving_districts(item_version: ItemVersion) -> list[District]:
    """The districts whose active implementation of the item approves it, by division code."""
    return list(
        District.objects.filter(
            pk__in=ItemImplementation.objects.filter(
                item_id=item_version.item_id, active=True, can_approve=True
            ).values("district_id")
        )
    )


@dataclass(frozen=True)
class CompetenceQuestion:
    """What an application form asks for the item's rule: nothing, a place, or a choice among `districts`."""

    rule: str
    rule_label: str
    ask: str  # "", "place" or "choice"
    districts: list[District]


def competence_question(*, item_version: ItemVersion, places: Places) -> CompetenceQuestion:
    """For the forms: does the rule need the applicant to name a place or choose a district?"""
    rule = item_version.competent_district_rule
    approving = approving_districts(item_version)
    if rule == CompetentDistrictRule.APPLICANT_CHOICE:
        ask = "choice" if len(approving) > 1 else ""
    else:
        ask = "place" if needs_place(rule, places) else ""
    # A place may be any of the nine (a place that does not approve the item is refused with its reason).
    districts = approving if ask == "choice" else list(District.objects.all()) if ask else []
    return CompetenceQuestion(rule, str(CompetentDistrictRule(rule).label), ask, districts)


def approving_change_choices(*, case: Case, user: User | AnonymousUser) -> list[District] | None:
    """The districts the accepting clerk may name instead (None: no change is possible for this user now)."""
    if case.state not in APPROVING_CHANGE_STATES or case.routed_at is not None:
        return None
    if not actor_is(life_cycle.Side.ACCEPTING_CLERK, case=case, actor=user):
        return None
    return [
        district for district in approving_districts(case.item_version) if district.pk != case.approving_district_id
    ]
