"""The citizen's journey (issue 16): the one-click button from any page, the home page's ways in, the accepting
district chosen, the correction screen, who handles a case, the history without hashes, the elder-friendly mode."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from cases import services
from cases.models import Case, CaseMaterial, CaseState, MaterialCheck
from cases.selectors.portal import apply_choice, case_contact, nearest_district
from govservice.care_mode import COOKIE
from govservice.errors import Invalid
from helpdesk.models import AssistRequest
from standards.models import District, ItemVersion
from tests import factories as f

if TYPE_CHECKING:
    from pytest_django.fixtures import SettingsWrapper

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: SettingsWrapper, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def login_next(response_url: str) -> str:
    """The `next` of a redirect to the login page."""
    parts = urlsplit(response_url)
    assert parts.path == reverse("login")
    return parse_qs(parts.query)["next"][0]


# --- the one-click button ------------------------------------------------------------------------------


def test_it_sends_a_signed_out_click_to_the_login_and_keeps_the_page_context() -> None:
    version = f.make_item_version()
    response = Client().post(reverse("helpdesk:start"), {"item_version": version.pk, "language": "shanghainese"})
    assert response.status_code == 302
    after = login_next(response["Location"])
    assert after.startswith(reverse("helpdesk:start") + "?")
    assert parse_qs(urlsplit(after).query) == {"item_version": [str(version.pk)], "language": ["shanghainese"]}
    assert not AssistRequest.objects.exists()


def test_it_shows_a_confirm_page_after_signing_in_and_starts_only_on_post() -> None:
    citizen = f.make_citizen()
    version = f.make_item_version()
    client = signed_in(citizen)
    page = client.get(reverse("helpdesk:start"), {"item_version": version.pk})
    assert page.status_code == 200  # was 405: the login sends the browser back here by GET
    html = page.content.decode()
    assert "data-assist-confirm" in html and f'name="item_version" value="{version.pk}"' in html
    assert not AssistRequest.objects.exists()  # never a GET side effect
    started = client.post(reverse("helpdesk:start"), {"item_version": version.pk})
    assist = AssistRequest.objects.get(citizen=citizen)
    assert started["Location"] == reverse("helpdesk:request", args=[assist.pk])
    assert assist.item_version == version


def test_a_callers_district_is_their_household_place_so_their_district_sees_them_as_its_own() -> None:
    citizen = f.make_user("citizen", household_district=f.district(f.HUANGPU))
    assert citizen.district_id is None
    signed_in(citizen).post(reverse("helpdesk:start"))
    assert AssistRequest.objects.get(citizen=citizen).district == f.district(f.HUANGPU)


# --- the home page and the header ---------------------------------------------------------------------


def test_the_home_page_offers_a_search_with_suggestions_and_browsing_by_life_event_and_department() -> None:
    f.make_item(sector="hr_social")
    html = Client().get("/").content.decode()
    assert f'data-suggest-url="{reverse("api-items-suggest")}"' in html
    assert 'href="/items/?life_event=birth"' in html
    assert 'href="/items/?sector=hr_social"' in html
    assert "?q=%E8%BA%AB%E4%BB%BD%E8%AF%81%E8%A1%A5%E5%8A%9E" in html  # 身份证补办 as an example


def test_the_home_page_lists_the_items_most_applied_for() -> None:
    version = f.make_item()
    assert 'id="often-applied"' not in Client().get("/").content.decode()
    f.submitted_case(version=version)
    html = Client().get("/").content.decode()
    assert 'id="often-applied"' in html and f'href="/items/{version.item.code}/">{version.name}</a>' in html


def test_the_life_event_filter_narrows_the_catalogue() -> None:
    birth = f.make_item()
    ItemVersion.objects.filter(pk=birth.pk).update(life_events=["birth"])
    other = f.make_item()
    from standards.generation import catalogue_changed

    catalogue_changed()
    page = Client().get(reverse("standards-items"), {"life_event": "birth", "q": "养老保险关系转移接续"})
    codes = [row["code"] for row in page.context["rows"]]
    assert birth.item.code in codes and other.item.code not in codes


@pytest.mark.parametrize(("role", "shown"), [("citizen", False), ("firm", False), ("clerk", True)])
def test_the_api_docs_link_is_for_staff_only(role: str, shown: bool) -> None:
    html = signed_in(f.make_user(role)).get("/").content.decode()
    assert (f'href="{reverse("api-docs")}"' in html) is shown


# --- the elder-friendly mode --------------------------------------------------------------------------


def test_the_elder_mode_is_remembered_by_the_device_before_signing_in() -> None:
    client = Client()
    assert 'class="care ' not in client.get("/").content.decode()
    response = client.post(reverse("care-mode"), {"on": "1", "next": "/items/"})
    assert response["Location"] == "/items/"
    assert response.cookies[COOKIE].value == "1" and response.cookies[COOKIE]["httponly"]
    html = client.get("/").content.decode()
    assert '<body class="care ' in html and 'class="care-help"' in html
    client.post(reverse("care-mode"), {"on": "0", "next": "/"})
    assert '<body class="care ' not in client.get("/").content.decode()


def test_the_elder_mode_follows_the_person_to_another_device() -> None:
    citizen = f.make_citizen()
    signed_in(citizen).post(reverse("care-mode"), {"on": "1", "next": "/"})
    citizen.refresh_from_db()
    assert citizen.care_mode
    assert '<body class="care ' in signed_in(citizen).get("/").content.decode()  # a new device, no cookie
    # Help by video on every page, except those that are themselves about calling a clerk.
    other_device = signed_in(citizen)
    assert 'class="care-help"' in other_device.get(reverse("cases-mine")).content.decode()
    assert 'class="care-help"' not in other_device.get(reverse("helpdesk:start")).content.decode()


def test_a_device_in_elder_mode_keeps_it_after_signing_in_until_switched_off() -> None:
    citizen = f.make_citizen()
    client = signed_in(citizen)
    client.cookies[COOKIE] = "1"
    assert '<body class="care ' in client.get("/").content.decode()  # the account never asked, the device did
    citizen.care_mode = True
    citizen.save(update_fields=["care_mode"])
    client.post(reverse("care-mode"), {"on": "0", "next": "/"})
    citizen.refresh_from_db()
    assert not citizen.care_mode
    assert '<body class="care ' not in client.get("/").content.decode()


def test_the_elder_mode_switch_never_redirects_off_the_site() -> None:
    response = Client().post(reverse("care-mode"), {"on": "1", "next": "https://evil.example/"})
    assert response["Location"] == "/"


# --- choosing the accepting district ------------------------------------------------------------------


def test_the_nearest_district_is_the_home_one_then_the_same_city_then_the_same_province() -> None:
    by_code = {d.division_code: d for d in District.objects.all()}
    luyang, shushan, gusu, gulou = (by_code[c] for c in ("340103", "340104", "320508", "320106"))
    assert nearest_district(luyang, [shushan, luyang]) == luyang
    assert nearest_district(luyang, [gusu, shushan]) == shushan  # both 合肥
    assert nearest_district(gusu, [by_code[f.HUANGPU], gulou]) == gulou  # both 江苏
    assert nearest_district(by_code[f.HUANGPU], [gusu]) is None  # no guess: the citizen picks
    assert nearest_district(None, [gusu]) is None


def test_the_apply_form_preselects_the_nearest_accepting_district_and_shows_the_approving_one() -> None:
    version = f.make_item(accept_in=(f.HUANGPU, f.SHUSHAN, f.LUYANG), approve_in=(f.SHUSHAN,))
    citizen = f.make_user("citizen", household_district=f.district(f.LUYANG))
    choice = apply_choice(item_version=version, user=citizen)
    assert [d.division_code for d in choice.accepting] == sorted([f.HUANGPU, f.SHUSHAN, f.LUYANG])
    assert choice.nearest == f.district(f.LUYANG)
    assert choice.approving == f.district(f.SHUSHAN)
    html = signed_in(citizen).get(reverse("standards-item", args=[version.item.code])).content.decode()
    assert f'<option value="{f.LUYANG}" selected>' in html
    assert f'data-approving="{f.SHUSHAN}"' in html


def test_the_citizen_applies_at_the_district_they_pick() -> None:
    version = f.make_item(accept_in=(f.HUANGPU, f.SHUSHAN), approve_in=(f.SHUSHAN,))
    citizen = f.make_citizen()
    response = signed_in(citizen).post(reverse("cases-apply", args=[version.pk]), {"accepting_district": f.SHUSHAN})
    case = Case.objects.get(applicant=citizen)
    assert response["Location"] == reverse("cases-detail", args=[case.reference])
    assert case.accepting_district == f.district(f.SHUSHAN)
    assert case.accepting_window == f.window(f.SHUSHAN)


def test_a_district_that_does_not_accept_the_item_is_refused() -> None:
    version = f.make_item(accept_in=(f.HUANGPU,), approve_in=(f.SHUSHAN,))
    citizen = f.make_citizen()
    signed_in(citizen).post(reverse("cases-apply", args=[version.pk]), {"accepting_district": f.GUSU})
    assert not Case.objects.filter(applicant=citizen).exists()


# --- the correction (补正) ------------------------------------------------------------------------------


def _correction_asked(citizen: User, clerk: User) -> tuple[Case, CaseMaterial]:
    version = f.make_item(elicence_material=False)
    case = f.submitted_case(applicant=citizen, version=version)
    id_card = case.materials.get(current=True, item_material__material_type__code="M-IDCARD")
    services.case_material_check(
        case=case, material=id_card, verdict=MaterialCheck.Verdict.NOT_CONFORMING, reason="照片模糊", actor=clerk
    )
    return services.case_request_correction(case=case, actor=clerk, reason="请补正"), id_card


def test_a_resubmission_that_replaces_nothing_is_refused() -> None:
    citizen, clerk = f.make_citizen(), f.make_user("clerk", code=f.HUANGPU)
    case, id_card = _correction_asked(citizen, clerk)
    with pytest.raises(Invalid) as nothing:
        services.case_submit(case=case, actor=citizen)
    assert nothing.value.code == "correction_unanswered"
    # The same bytes again change nothing either.
    services.case_material_add(
        case=case, item_material=id_card.item_material, uploaded_file=f.pdf_upload(), actor=citizen
    )
    with pytest.raises(Invalid):
        services.case_submit(case=case, actor=citizen)
    services.case_material_add(
        case=case, item_material=id_card.item_material, uploaded_file=f.pdf_upload(size=200), actor=citizen
    )
    assert services.case_submit(case=case, actor=citizen).state == CaseState.SUBMITTED


def test_the_correction_banner_says_what_to_replace_and_why() -> None:
    citizen, clerk = f.make_citizen(), f.make_user("clerk", code=f.HUANGPU)
    case, id_card = _correction_asked(citizen, clerk)
    html = signed_in(citizen).get(reverse("cases-detail", args=[case.reference])).content.decode()
    banner = html[html.index('id="correction-banner"') : html.index("</section>", html.index('id="correction-banner"'))]
    assert f'href="#material-{id_card.item_material_id}"' in banner and "照片模糊" in banner
    assert "申请表" not in banner  # only what was asked
    refused = signed_in(citizen).post(reverse("cases-step", args=[case.reference, "submit"]), follow=True)
    assert "居民身份证" in refused.content.decode()
    case.refresh_from_db()
    assert case.state == CaseState.CORRECTION_REQUESTED


# --- who handles the case; the history ----------------------------------------------------------------


def test_every_case_says_who_handles_it_and_how_to_reach_them() -> None:
    citizen = f.make_citizen()
    case = f.submitted_case(applicant=citizen)
    contact = case_contact(case)
    assert contact.side == "accepting" and contact.district == f.district(f.HUANGPU)
    assert contact.window is not None and contact.window == f.window(f.HUANGPU)
    html = signed_in(citizen).get(reverse("cases-detail", args=[case.reference])).content.decode()
    assert 'id="case-contact"' in html and contact.window.address in html
    assert contact.phone_unverified and "待核实" in html


def test_the_history_shows_citizens_names_and_a_verify_link_not_hashes_or_codes() -> None:
    citizen, clerk = f.make_citizen(), f.make_user("clerk", code=f.HUANGPU, display_name="")
    case, _id_card = _correction_asked(citizen, clerk)
    html = signed_in(citizen).get(reverse("cases-detail", args=[case.reference])).content.decode()
    timeline = html[html.index('id="timeline"') :]
    assert 'class="hash"' not in timeline
    assert f"{f.HUANGPU}-YRD" not in timeline and clerk.username not in timeline
    assert "黄浦区" in timeline
    assert reverse("cases-history-verify", args=[case.reference]) in html
    report = signed_in(citizen).get(reverse("cases-history-verify", args=[case.reference]))
    assert report.context["report"].ok and 'data-ok="true"' in report.content.decode()
    staff = signed_in(clerk).get(reverse("cases-detail", args=[case.reference])).content.decode()
    assert 'class="hash"' in staff


def test_someone_else_cannot_verify_a_case_they_do_not_see() -> None:
    case = f.submitted_case(applicant=f.make_citizen())
    assert signed_in(f.make_citizen()).get(reverse("cases-history-verify", args=[case.reference])).status_code == 404


def test_an_application_without_a_chosen_district_is_accepted_nearest_to_the_applicant() -> None:
    version = f.make_item(accept_in=(f.HUANGPU, f.SHUSHAN), approve_in=(f.SHUSHAN,))
    from_luyang = f.make_user("citizen", household_district=f.district(f.LUYANG))
    case = services.case_draft_create(applicant=from_luyang, item_version=version, actor=from_luyang)
    assert case.accepting_district == f.district(f.SHUSHAN)  # 合肥, like 庐阳
    nowhere = f.make_user("citizen")
    case = services.case_draft_create(applicant=nowhere, item_version=version, actor=nowhere)
    assert case.accepting_district == f.district(f.HUANGPU)  # no place on the account: the item's first


def test_all_the_sites_own_javascript_together_stays_under_the_page_budget() -> None:
    # Every page loads a few of these files; together they stay far below the 300 KB a page may ship (issue 16).
    # axe-core (static/vendor/) is injected by the browser tests only, never loaded by a page.
    static = Path(__file__).resolve().parents[1] / "static"
    scripts = [p for p in static.rglob("*.js") if "vendor" not in p.parts]
    assert scripts and sum(p.stat().st_size for p in scripts) < 300 * 1024
    templates = [*static.parent.glob("templates/**/*.html"), *static.parent.glob("*/templates/**/*.html")]
    assert templates and not any("static/vendor" in t.read_text(encoding="utf-8") for t in templates)
