"""The competent approving district (审批地), as a pure function over plain data (no database, no clock).

An item's standard names the rule (`ItemVersion.competent_district_rule`, a `CompetentDistrictRule`
value): the applicant's household registration (户籍地), social-insurance place (参保地), the firm's
registered address (住所地/注册地), or the applicant's choice among the districts that approve the item.
Districts are division codes. cases.services.applications reads the applicant's places (the account, the
firm, or what the form gave) and turns a refusal into a domain error with a message; tests call this
directly (tests/cases/test_competence_rules.py). Never "the first district in the list".
"""

from __future__ import annotations

import enum
from collections.abc import Collection
from dataclasses import dataclass

# A place the applicant gave that is none of the nine districts (the form's "elsewhere").
OUTSIDE = "outside"


class Rule(enum.StrEnum):
    """The values of standards.vocabulary.CompetentDistrictRule (the same strings; this module stays pure)."""

    HOUSEHOLD = "household"
    SOCIAL_INSURANCE = "social_insurance"
    REGISTERED = "registered"
    APPLICANT_CHOICE = "applicant_choice"


class Basis(enum.StrEnum):
    """The values of cases.models.ApprovingBasis the rule can give."""

    HOUSEHOLD = "household"
    SOCIAL_INSURANCE = "social_insurance"
    REGISTERED = "registered"
    APPLICANT_CHOICE = "applicant_choice"
    ONLY_DISTRICT = "only_district"


class Refusal(enum.StrEnum):
    """Why no district could be named; each is a stable error code of the services."""

    NO_APPROVING_DISTRICT = "no_approving_district"  # no district approves the item at all
    RULE_NOT_FOR_APPLICANT = "competence_rule_not_for_applicant"  # e.g. a household rule for a firm
    PLACE_REQUIRED = "approving_place_required"  # the rule needs a place the applicant has not given
    NOT_CROSS_PROVINCE_HERE = "not_cross_province_here"  # the applicant's place does not approve the item
    CHOICE_REQUIRED = "approving_choice_required"  # several districts approve it: the applicant chooses
    CHOICE_NOT_APPROVING = "approving_choice_not_approving"  # the chosen district does not approve it


# Which applicant (a natural person or a firm) each place rule applies to, and the place it reads.
_PLACE_RULES: dict[Rule, tuple[str, Basis]] = {
    Rule.HOUSEHOLD: ("person", Basis.HOUSEHOLD),
    Rule.SOCIAL_INSURANCE: ("person", Basis.SOCIAL_INSURANCE),
    Rule.REGISTERED: ("firm", Basis.REGISTERED),
}


@dataclass(frozen=True)
class Places:
    """What is known of the applicant. `principal`: "person" or "firm". The recorded places come from the
    account or the firm; `given` is what the application form gave (a place for a place rule, or the
    choice): it counts only where nothing is recorded. Each is a division code, OUTSIDE, or ""."""

    principal: str
    household: str = ""
    social_insurance: str = ""
    registered: str = ""
    given: str = ""

    def recorded(self, rule: Rule) -> str:
        return {
            Rule.HOUSEHOLD: self.household,
            Rule.SOCIAL_INSURANCE: self.social_insurance,
            Rule.REGISTERED: self.registered,
        }.get(rule, "")


@dataclass(frozen=True)
class Competence:
    district: str  # division code of the competent approving district
    basis: Basis
    # Where the place came from: "account" (recorded), "form" (given), or "" (a choice, or the only district).
    source: str = ""


class CompetenceRefused(Exception):
    def __init__(self, refusal: Refusal, *, place: str = "") -> None:
        super().__init__(str(refusal))
        self.refusal = refusal
        self.place = place  # the applicant's place that does not approve the item, if that is why


def needs_place(rule: str, places: Places) -> bool:
    """Whether the form must ask for a place: the rule reads one that nothing records. Not when the rule is
    for the other kind of applicant (the application is refused with that reason), nor for a choice."""
    kind = Rule(rule)
    if kind not in _PLACE_RULES:
        return False
    principal, _basis = _PLACE_RULES[kind]
    if places.principal in ("person", "firm") and places.principal != principal:
        return False
    return not places.recorded(kind)


def competent_district(*, rule: str, approving: Collection[str], places: Places) -> Competence:
    """The competent approving district among `approving` (the districts whose implementation approves).

    A place rule names the district where the applicant's place is: the recorded place, else the one
    given on the form; a place that does not approve the item (or lies outside the nine districts) means
    the item is not handled across provinces (通办) here. The choice rule takes the applicant's choice, or
    the only approving district when there is one.
    """
    if not approving:
        raise CompetenceRefused(Refusal.NO_APPROVING_DISTRICT)
    kind = Rule(rule)
    if kind == Rule.APPLICANT_CHOICE:
        if places.given and places.given != OUTSIDE:
            if places.given not in approving:
                raise CompetenceRefused(Refusal.CHOICE_NOT_APPROVING, place=places.given)
            return Competence(places.given, Basis.APPLICANT_CHOICE, "form")
        if len(approving) == 1:
            return Competence(next(iter(approving)), Basis.ONLY_DISTRICT)
        raise CompetenceRefused(Refusal.CHOICE_REQUIRED)
    principal, basis = _PLACE_RULES[kind]
    if places.principal != principal:
        raise CompetenceRefused(Refusal.RULE_NOT_FOR_APPLICANT)
    place, source = places.recorded(kind), "account"
    if not place:
        place, source = places.given, "form"
    if not place:
        raise CompetenceRefused(Refusal.PLACE_REQUIRED)
    if place not in approving:
        raise CompetenceRefused(Refusal.NOT_CROSS_PROVINCE_HERE, place=place)
    return Competence(place, basis, source)
