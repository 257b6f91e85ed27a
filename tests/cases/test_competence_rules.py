"""The competent approving district (cases.competence_rules.competent_district): plain data, no database."""

from __future__ import annotations

import pytest

from cases.competence_rules import (
    OUTSIDE,
    Basis,
    Competence,
    CompetenceRefused,
    Places,
    Refusal,
    competent_district,
    needs_place,
)

HUANGPU, SHUSHAN, GUSU, LUYANG = "310101", "340104", "320508", "340103"
APPROVING = (SHUSHAN, GUSU, HUANGPU)


def refusal(rule: str, places: Places, approving: tuple[str, ...] = APPROVING) -> CompetenceRefused:
    with pytest.raises(CompetenceRefused) as caught:
        competent_district(rule=rule, approving=approving, places=places)
    return caught.value


@pytest.mark.parametrize(
    ("rule", "places", "basis"),
    [
        ("household", Places("person", household=GUSU, social_insurance=SHUSHAN), Basis.HOUSEHOLD),
        ("social_insurance", Places("person", household=SHUSHAN, social_insurance=GUSU), Basis.SOCIAL_INSURANCE),
        ("registered", Places("firm", registered=GUSU), Basis.REGISTERED),
    ],
)
def test_a_place_rule_names_the_district_where_the_applicants_recorded_place_is(
    rule: str, places: Places, basis: Basis
) -> None:
    # Gusu is the second in the list: the rule, not the order, decides.
    assert competent_district(rule=rule, approving=APPROVING, places=places) == Competence(GUSU, basis, "account")


def test_a_place_given_on_the_form_counts_only_where_nothing_is_recorded() -> None:
    assert competent_district(
        rule="household", approving=APPROVING, places=Places("person", given=HUANGPU)
    ) == Competence(HUANGPU, Basis.HOUSEHOLD, "form")
    recorded = Places("person", household=GUSU, given=HUANGPU)
    assert competent_district(rule="household", approving=APPROVING, places=recorded).district == GUSU


@pytest.mark.parametrize("rule", ["household", "social_insurance"])
def test_a_person_rule_needs_the_persons_place_and_refuses_a_firm(rule: str) -> None:
    assert refusal(rule, Places("person")).refusal == Refusal.PLACE_REQUIRED
    assert refusal(rule, Places("firm", registered=GUSU)).refusal == Refusal.RULE_NOT_FOR_APPLICANT


def test_the_registered_address_rule_is_a_firms_and_refuses_a_person() -> None:
    assert refusal("registered", Places("firm")).refusal == Refusal.PLACE_REQUIRED
    assert refusal("registered", Places("person", household=GUSU)).refusal == Refusal.RULE_NOT_FOR_APPLICANT


@pytest.mark.parametrize("place", [LUYANG, OUTSIDE])
def test_a_place_that_does_not_approve_the_item_is_not_a_cross_province_case_here(place: str) -> None:
    refused = refusal("social_insurance", Places("person", social_insurance=place))
    assert (refused.refusal, refused.place) == (Refusal.NOT_CROSS_PROVINCE_HERE, place)
    # Also when a single district approves: never "the only one" for a place rule.
    assert refusal("household", Places("person", household=place), (SHUSHAN,)).refusal == (
        Refusal.NOT_CROSS_PROVINCE_HERE
    )


def test_the_applicants_choice_is_taken_among_the_approving_districts() -> None:
    assert competent_district(
        rule="applicant_choice", approving=APPROVING, places=Places("person", given=GUSU)
    ) == Competence(GUSU, Basis.APPLICANT_CHOICE, "form")
    assert refusal("applicant_choice", Places("person")).refusal == Refusal.CHOICE_REQUIRED
    assert refusal("applicant_choice", Places("person", given=OUTSIDE)).refusal == Refusal.CHOICE_REQUIRED
    wrong = refusal("applicant_choice", Places("firm", given=LUYANG))
    assert (wrong.refusal, wrong.place) == (Refusal.CHOICE_NOT_APPROVING, LUYANG)


def test_with_one_approving_district_the_choice_is_that_one() -> None:
    assert competent_district(rule="applicant_choice", approving=(SHUSHAN,), places=Places("person")) == Competence(
        SHUSHAN, Basis.ONLY_DISTRICT
    )


def test_without_an_approving_district_every_rule_refuses() -> None:
    for rule in ("household", "social_insurance", "registered", "applicant_choice"):
        assert refusal(rule, Places("person", household=GUSU), ()).refusal == Refusal.NO_APPROVING_DISTRICT


def test_a_form_asks_for_a_place_only_when_the_rule_reads_one_nothing_records() -> None:
    assert needs_place("household", Places("person"))
    assert not needs_place("household", Places("person", household=GUSU))
    assert not needs_place("household", Places("firm"))  # refused with its own reason instead
    assert needs_place("household", Places("unknown"))  # an agent's form: the principal is not known yet
    assert needs_place("registered", Places("firm"))
    assert not needs_place("applicant_choice", Places("person"))
