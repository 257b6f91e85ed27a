"""The competent approving district, read for the forms: the applicant's recorded places, what an apply
form must ask, and the districts an accepting clerk may name instead (cases.competence_rules decides)."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.db.models import Prefetch

from accounts.models import Firm, User
from cases import life_cycle
from cases.competence_rules import Places, needs_place
from cases.models import Case
from cases.selectors.visibility import actor_is
from standards.models import District, ItemImplementation, ItemMaterial, ItemVersion
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


POWER_OF_ATTORNEY = "AGENT_AUTH"  # 授权委托书: the material type an item lists when it takes agents

# What the apply form reads of an item, for a page that shows several (a firm's recommended items): fetched for all
# of them at once (`prefetch_related_objects(versions, *APPLY_FORM_PREFETCH)`) instead of some five statements a card.
APPLY_FORM_PREFETCH = (
    Prefetch(
        "item__implementations",
        queryset=ItemImplementation.objects.filter(active=True).select_related("district"),
        to_attr="active_implementations",
    ),
    Prefetch(
        "materials",
        queryset=ItemMaterial.objects.filter(material_type__code=POWER_OF_ATTORNEY),
        to_attr="powers_of_attorney",
    ),
)


def active_implementations(item_version: ItemVersion) -> list[ItemImplementation]:
    """The item's active district implementations with their districts (APPLY_FORM_PREFETCH's when fetched)."""
    if ItemVersion.item.is_cached(item_version):
        fetched = getattr(item_version.item, "active_implementations", None)
        if fetched is not None:
            return list(fetched)
    return list(ItemImplementation.objects.filter(item_id=item_version.item_id, active=True).select_related("district"))


def accepts_agents(item_version: ItemVersion) -> bool:
    """An item can be applied for through an agent when its standard lists the power of attorney."""
    fetched = getattr(item_version, "powers_of_attorney", None)
    if fetched is not None:
        return bool(fetched)
    return item_version.materials.filter(material_type__code=POWER_OF_ATTORNEY).exists()


def approving_districts(item_version: ItemVersion) -> list[District]:
    """The districts whose active implementation of the item approves it, by division code."""
    return sorted(
        {i.district for i in active_implementations(item_version) if i.can_approve}, key=lambda d: d.division_code
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
