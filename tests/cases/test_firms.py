"""Firms (精服务): recommendations with reasons, the firm space, specialists assigned in a page, a call to one."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.admin.models import LogEntry
from django.test import Client
from django.urls import reverse
from django.utils import translation

from accounts.models import Firm, FirmSpecialist, User
from cases import recommendation_rules as rules
from helpdesk.models import AssistRequest, ClerkProfile, Offer
from seed.catalogue_data import ITEMS
from tests import factories as f

Industry = Firm.Industry
Mode = Firm.BusinessMode


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def seed_items() -> list[rules.ItemView]:
    """The seed catalogue's items for legal persons, as the rules see them (no database)."""
    return [
        rules.ItemView(n, row["code"], row["name"], tuple(row["stages"] or ()), row["mode"])
        for n, row in enumerate(ITEMS)
        if "L" in row["obj"]
    ]


def names(recommendations: list[rules.Recommendation]) -> list[str]:
    by_id = {item.version_id: item.name for item in seed_items()}
    return [by_id[r.version_id] for r in recommendations]


# --- the rules, over the real seed catalogue ----------------------------------------------------------


def test_a_digital_technology_firm_gets_no_food_licence_items() -> None:
    firm = rules.FirmView(growth_stage="startup", business_mode=Mode.SINGLE_SITE, industry=Industry.DIGITAL_TECH)
    chosen = names(rules.recommend(firm, seed_items()))
    assert "企业设立登记" in chosen and "用人单位社会保险登记" in chosen
    assert not [name for name in chosen if "食品" in name or "娱乐" in name or "卫生许可" in name]


def test_a_catering_firm_gets_the_food_licence_first_with_its_reason() -> None:
    firm = rules.FirmView(growth_stage="startup", business_mode=Mode.SINGLE_SITE, industry=Industry.FOOD_SERVICE)
    with translation.override("zh-hans"):
        chosen = rules.recommend(firm, seed_items())
    first = names(chosen)[0]
    assert first == "食品经营许可证核发"  # industry and stage both fit: the heaviest
    assert chosen[0].reasons[0] == "贵企业所在行业（食品和餐饮）需要办理。"
    assert "仅销售预包装食品备案" in names(chosen)
    # Tagged for later stages: no renewal or cancellation for a start-up; the untagged replacement stays.
    assert "食品经营许可证注销" not in names(chosen) and "食品经营许可证延续" not in names(chosen)
    assert "食品经营许可证补办" in names(chosen)


def test_words_of_the_business_scope_bring_another_industrys_item_with_the_word_as_the_reason() -> None:
    firm = rules.FirmView(
        growth_stage="startup",
        business_mode=Mode.SINGLE_SITE,
        industry=Industry.DIGITAL_TECH,
        business_scope="软件开发；预包装食品销售",
    )
    with translation.override("en"):
        chosen = rules.recommend(firm, seed_items())
    by_name = dict(zip(names(chosen), chosen, strict=True))
    assert "Your business scope mentions “预包装食品”." in by_name["仅销售预包装食品备案"].reasons
    assert "食品经营许可证核发" not in by_name  # "预包装食品销售" does not name catering


def test_the_business_mode_brings_branch_and_cross_region_tax_items() -> None:
    single = rules.FirmView(growth_stage="growth", business_mode=Mode.SINGLE_SITE, industry=Industry.DIGITAL_TECH)
    branches = rules.FirmView(growth_stage="growth", business_mode=Mode.BRANCHES, industry=Industry.DIGITAL_TECH)
    assert "分公司设立登记" not in names(rules.recommend(single, seed_items()))
    chosen = names(rules.recommend(branches, seed_items()))
    # Both are tagged for the expansion stage; a growth-stage firm with branches needs them all the same.
    assert "分公司设立登记" in chosen and "跨区域涉税事项报告" in chosen


def test_the_growth_stage_changes_what_is_recommended() -> None:
    start_up = names(rules.recommend(rules.FirmView("startup", Mode.SINGLE_SITE, Industry.OTHER), seed_items()))
    mature = names(rules.recommend(rules.FirmView("mature", Mode.SINGLE_SITE, Industry.OTHER), seed_items()))
    assert "企业设立登记" in start_up and "企业设立登记" not in mature
    assert "企业注销登记" in mature and "企业注销登记" not in start_up


def test_at_most_twenty_heaviest_first_then_by_code() -> None:
    items = [rules.ItemView(n, f"X-{n:03d}", f"事项{n}", ("growth",)) for n in range(30)]
    heavy = rules.ItemView(99, "X-999", "分公司设立登记", ("growth",))
    chosen = rules.recommend(rules.FirmView("growth", Mode.BRANCHES, Industry.OTHER), [*items, heavy])
    assert len(chosen) == rules.LIMIT == 20
    assert chosen[0].version_id == 99
    assert [r.version_id for r in chosen[1:4]] == [0, 1, 2]
    assert all(r.reasons for r in chosen)


def test_cross_province_handling_alone_recommends_nothing() -> None:
    item = rules.ItemView(1, "X-1", "企业变更登记", ("growth",), "fully_online")
    assert rules.recommend_one(rules.FirmView("startup", Mode.BRANCHES, Industry.OTHER), item) is None
    both = rules.recommend_one(rules.FirmView("growth", Mode.BRANCHES, Industry.OTHER), item)
    assert both is not None and len(both.reasons) == 2


# --- the firm space ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_firm_page_shows_profile_specialists_cases_and_recommendations_to_its_representative(
    cast: dict[str, User],
) -> None:
    owner = cast["owner"]
    firm = f.firm_of(owner)
    f.make_specialist(firm, cast["huangpu_clerk"])
    recommended = f.make_item(growth_stages=["startup"])
    case = f.submitted_case(applicant=owner)
    page = client_for(owner).get(reverse("cases-my-firm"), follow=True)
    assert page.status_code == 200
    html = page.content.decode()
    assert firm.name in html and firm.get_growth_stage_display() in html
    assert str(cast["huangpu_clerk"]) in html and "data-call-specialist" in html
    assert case.reference in html
    assert recommended.name in html and "适合处于贵企业阶段（初创期）的企业。" in html
    assert 'id="firm-profile-form"' in html


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["other_firm", "citizen", "standards_admin"])
def test_someone_elses_firm_page_is_not_found(cast: dict[str, User], who: str) -> None:
    firm = f.firm_of(cast["owner"])
    assert client_for(cast[who]).get(reverse("cases-firm", args=[firm.pk])).status_code == 404
    assert client_for(cast[who]).post(reverse("cases-firm-profile", args=[firm.pk])).status_code == 404


@pytest.mark.django_db
def test_the_my_firm_page_is_for_firm_representatives_only(cast: dict[str, User]) -> None:
    assert client_for(cast["citizen"]).get(reverse("cases-my-firm")).status_code == 403
    assert Client().get(reverse("cases-my-firm")).status_code == 302  # to the sign-in


@pytest.mark.django_db
def test_the_representative_changes_the_profile_and_the_change_is_recorded(cast: dict[str, User]) -> None:
    owner = cast["owner"]
    firm = f.firm_of(owner)
    form = {
        "growth_stage": "mature",
        "business_mode": "branches",
        "industry": "digital_tech",
        "business_scope": " 软件开发 ",
    }
    response = client_for(owner).post(reverse("cases-firm-profile", args=[firm.pk]), form)
    assert response.status_code == 302
    firm.refresh_from_db()
    assert (firm.growth_stage, firm.business_mode, firm.industry, firm.business_scope) == (
        "mature",
        "branches",
        "digital_tech",
        "软件开发",
    )
    entry = LogEntry.objects.get(object_id=str(firm.pk), content_type__model="firm")
    assert entry.user_id == owner.pk and "growth_stage" in entry.change_message
    # A value outside the vocabulary changes nothing.
    client_for(owner).post(reverse("cases-firm-profile", args=[firm.pk]), {**form, "industry": "smuggling"})
    firm.refresh_from_db()
    assert firm.industry == "digital_tech"


@pytest.mark.django_db
def test_a_supervisor_sees_the_firm_but_may_not_change_its_profile(cast: dict[str, User]) -> None:
    firm = f.firm_of(cast["owner"])
    client = client_for(cast["supervisor"])
    assert client.get(reverse("cases-firm", args=[firm.pk])).status_code == 200
    form = {"growth_stage": "mature", "business_mode": "branches", "industry": "other", "business_scope": ""}
    assert client.post(reverse("cases-firm-profile", args=[firm.pk]), form).status_code == 403


@pytest.mark.django_db
def test_a_supervisor_assigns_a_specialist_in_the_page(cast: dict[str, User]) -> None:
    firm = f.firm_of(cast["owner"])
    client = client_for(cast["supervisor"])
    listing = client.get(reverse("cases-firms"), {"q": firm.name}).content.decode()
    assert reverse("cases-firm", args=[firm.pk]) in listing
    page = client.get(reverse("cases-firm", args=[firm.pk])).content.decode()
    assert f'<option value="{cast["gusu_clerk"].pk}"' in page  # a candidate of Gusu
    form = {"district": f.GUSU, "clerk": cast["gusu_clerk"].pk}
    client.post(reverse("cases-firm-specialist", args=[firm.pk]), form)
    specialist = FirmSpecialist.objects.get(firm=firm, active=True)
    assert (specialist.clerk, specialist.assigned_by) == (cast["gusu_clerk"], cast["supervisor"])
    # A clerk of another district is refused with a message, nothing changes.
    wrong = {"district": f.GUSU, "clerk": cast["huangpu_clerk"].pk}
    client.post(reverse("cases-firm-specialist", args=[firm.pk]), wrong)
    assert FirmSpecialist.objects.get(firm=firm, active=True).clerk == cast["gusu_clerk"]
    owner_page = client_for(cast["owner"]).get(reverse("cases-firm", args=[firm.pk])).content.decode()
    assert str(cast["gusu_clerk"]) in owner_page


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["huangpu_clerk", "owner", "citizen"])
def test_only_supervisors_assign_specialists_or_list_firms(cast: dict[str, User], who: str) -> None:
    firm = f.firm_of(cast["owner"])
    form = {"district": f.HUANGPU, "clerk": cast["huangpu_clerk"].pk}
    assert client_for(cast[who]).post(reverse("cases-firm-specialist", args=[firm.pk]), form).status_code == 403
    assert client_for(cast[who]).get(reverse("cases-firms")).status_code == 403
    assert not FirmSpecialist.objects.filter(firm=firm).exists()


@pytest.mark.django_db
def test_the_api_gives_each_recommendation_its_reasons(cast: dict[str, User]) -> None:
    firm = f.firm_of(cast["owner"])
    f.make_item(growth_stages=["startup"])
    client = client_for(cast["owner"])
    rows = client.get(f"/api/cases/firms/{firm.pk}/recommendations/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert rows[0]["reasons"] and rows[0]["score"] == rules.STAGE_WEIGHT


@pytest.mark.django_db
def test_a_call_from_the_firm_page_rings_the_firms_specialist_of_that_district_first(cast: dict[str, User]) -> None:
    firm = f.firm_of(cast["owner"])
    long_idle = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    huangpu = f.make_clerk(f.HUANGPU, status=ClerkProfile.Status.AVAILABLE, idle_since=long_idle)
    gusu = f.make_clerk(f.GUSU, status=ClerkProfile.Status.AVAILABLE, idle_since=long_idle + dt.timedelta(hours=1))
    f.make_specialist(firm, huangpu)
    f.make_specialist(firm, gusu)
    response = client_for(cast["owner"]).post(reverse("helpdesk:start"), {"district": f.GUSU})
    assert response.status_code == 302
    request = AssistRequest.objects.get(citizen=cast["owner"])
    assert request.district is not None and request.district.division_code == f.GUSU
    offer = Offer.objects.get(request=request)
    assert (offer.clerk, offer.stage) == (gusu, "specialist")


@pytest.mark.django_db
def test_the_demo_firm_has_a_profile_and_specialists_and_its_representative_a_plain_name() -> None:
    from seed.demo_accounts import DEMO_SPECIALIST_DISTRICTS, demo_accounts_load

    demo_accounts_load()
    lihua = User.objects.get(username="lihua")
    firm = f.firm_of(lihua)
    assert (firm.industry, firm.business_mode) == (Industry.DIGITAL_TECH, Mode.BRANCHES)
    specialists = FirmSpecialist.objects.filter(firm=firm, active=True)
    assert sorted(s.district.division_code for s in specialists) == sorted(DEMO_SPECIALIST_DISTRICTS)
    # The header prints "name · role": the name must not carry the role again.
    assert lihua.display_name == "李华"
    firm.industry = Industry.FOOD_SERVICE
    firm.save()
    demo_accounts_load()  # a reload keeps what the representative declared, and names nobody twice
    firm.refresh_from_db()
    assert firm.industry == Industry.FOOD_SERVICE
    assert FirmSpecialist.objects.filter(firm=firm).count() == len(DEMO_SPECIALIST_DISTRICTS)


@pytest.mark.django_db
def test_the_api_lets_the_representative_change_the_profile_and_nobody_else(cast: dict[str, User]) -> None:
    from rest_framework.test import APIClient

    firm = f.firm_of(cast["owner"])
    body = {"growth_stage": "expansion", "business_mode": "supply_chain", "industry": "logistics", "business_scope": ""}
    path = f"/api/cases/firms/{firm.pk}/profile/"
    for who, expected in (("supervisor", 403), ("other_firm", 404), ("owner", 200)):
        client = APIClient()
        client.force_authenticate(cast[who])
        response = client.put(path, body, format="json")
        assert response.status_code == expected, who
    assert response.json()["industry"] == "logistics"
    firm.refresh_from_db()
    assert (firm.growth_stage, firm.business_mode) == ("expansion", "supply_chain")


@pytest.mark.django_db
def test_the_navigation_leads_firms_to_their_space_and_supervisors_to_firms_and_the_dashboard(
    cast: dict[str, User],
) -> None:
    firm_nav = client_for(cast["owner"]).get("/").content.decode()
    assert reverse("cases-my-firm") in firm_nav and reverse("dashboard") not in firm_nav
    boss_nav = client_for(cast["supervisor"]).get("/").content.decode()
    assert reverse("cases-firms") in boss_nav and reverse("dashboard") in boss_nav
    citizen_nav = client_for(cast["citizen"]).get("/").content.decode()
    assert reverse("cases-my-firm") not in citizen_nav and reverse("cases-firms") not in citizen_nav
