"""The pages: 我的办件, case detail, clerk workbench, supervision; Chinese first."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from cases.models import Case, CaseState
from standards.models import ItemVersion
from tests import factories as f

if TYPE_CHECKING:
    from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks

pytestmark = pytest.mark.django_db


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_my_cases_lists_only_the_applicants_own_cases_in_chinese(citizen: User) -> None:
    mine = f.submitted_case(applicant=citizen)
    theirs = f.submitted_case(applicant=f.make_user("citizen"))
    page = client_for(citizen).get(reverse("cases-mine")).content.decode()
    assert "我的办件" in page
    assert mine.reference in page and theirs.reference not in page


def test_the_case_page_is_404_for_an_outsider_and_masks_the_id_number(citizen: User) -> None:
    case = f.submitted_case(applicant=citizen)
    assert client_for(f.make_user("citizen")).get(reverse("cases-detail", args=[case.reference])).status_code == 404
    assert (
        client_for(f.make_user("clerk", code=f.GUSU)).get(reverse("cases-detail", args=[case.reference])).status_code
        == 404
    )
    page = client_for(citizen).get(reverse("cases-detail", args=[case.reference])).content.decode()
    assert case.masked_id_number in page and citizen.id_number not in page
    assert "/ws/events/" in client_for(citizen).get("/static/cases/live.js").getvalue().decode()
    assert 'id="timeline"' in page and "提交" in page


def test_applying_from_an_item_page_starts_a_draft_and_the_applicant_uploads_and_submits(
    citizen: User, item: ItemVersion
) -> None:
    from django.template.loader import render_to_string
    from django.test import RequestFactory

    request = RequestFactory().get("/items/x/")
    request.user = citizen
    button = render_to_string("cases/item_actions.html", {"item_version": item, "user": citizen}, request=request)
    assert reverse("cases-apply", args=[item.pk]) in button
    client = client_for(citizen)
    response = client.post(reverse("cases-apply", args=[item.pk]))
    case = Case.objects.get(applicant=citizen)
    assert response.status_code == 302 and response["Location"] == reverse("cases-detail", args=[case.reference])
    form = item.materials.get(material_type__code="M-FORM")
    client.post(
        reverse("cases-step", args=[case.reference, "material"]), {"item_material": form.pk, "file": f.pdf_upload()}
    )
    client.post(reverse("cases-step", args=[case.reference, "submit"]))
    case.refresh_from_db()
    assert case.state == CaseState.SUBMITTED


def test_the_workbench_is_for_clerks_and_shows_the_districts_queue(
    citizen: User,
    item: ItemVersion,
    huangpu_clerk: User,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    case = f.submitted_case(applicant=citizen, version=item)
    assert client_for(citizen).get(reverse("cases-workbench")).status_code == 403
    client = client_for(huangpu_clerk)
    page = client.get(reverse("cases-workbench")).content.decode()
    assert case.reference in page and "工作台" in page
    assert (
        case.reference
        not in client_for(f.make_user("clerk", code=f.GUSU)).get(reverse("cases-workbench")).content.decode()
    )
    # No one-click 受理 from the list: the row opens the case, where the checks come first.
    assert f'action="{reverse("cases-step", args=[case.reference, "accept"])}"' not in page
    assert reverse("cases-detail", args=[case.reference]) in page
    client.post(reverse("cases-step", args=[case.reference, "accept"]), {"next": "workbench"})
    case.refresh_from_db()
    assert case.state == CaseState.SUBMITTED  # refused: nothing checked yet
    f.record_checks(case, huangpu_clerk)
    with django_capture_on_commit_callbacks(execute=False):
        client.post(reverse("cases-step", args=[case.reference, "accept"]), {"next": "workbench"})
    case.refresh_from_db()
    assert case.state == CaseState.ACCEPTED
    # A wrong step shows an error, changes nothing.
    client_for(citizen).post(reverse("cases-step", args=[case.reference, "approve"]))
    case.refresh_from_db()
    assert case.state == CaseState.ACCEPTED


def test_supervision_shows_every_district_queue_only_to_supervisors(huangpu_clerk: User) -> None:
    supervisor = f.make_user("supervisor")
    page = client_for(supervisor).get(reverse("cases-supervision")).content.decode()
    queues = page.split('id="queues"')[1].split("</table>")[0]
    assert queues.count("<tr><td>") == 9
    # Districts by name; the internal queue names (district.<code>) and the figures without words went to the
    # dashboard, explained there.
    assert "district.3" not in page and reverse("dashboard") in page
    assert client_for(huangpu_clerk).get(reverse("cases-supervision")).status_code == 403


def test_the_nav_links_follow_the_role(citizen: User, huangpu_clerk: User) -> None:
    assert reverse("cases-mine") in client_for(citizen).get("/").content.decode()
    assert reverse("cases-workbench") in client_for(huangpu_clerk).get("/").content.decode()


def test_a_firm_user_sees_items_recommended_for_the_firms_growth_stage() -> None:
    firm = f.make_firm(growth_stage="expansion")
    user = f.make_user("firm", firm=firm)
    wanted = f.make_item(growth_stages=["expansion"])
    other = f.make_item(growth_stages=["startup"])
    page = client_for(user).get(reverse("cases-mine")).content.decode()
    assert wanted.name in page and other.name not in page
    assert reverse("cases-apply", args=[wanted.pk]) in page


def _card(page: str, title: str) -> str:
    """The home page card (an <article>) whose heading is `title`."""
    return next(chunk for chunk in page.split("<article")[1:] if title in chunk.split("</h2>")[0])


def test_the_home_cards_lead_to_the_catalogue_and_to_the_users_cases(citizen: User) -> None:
    anonymous = Client().get("/").content.decode()
    items_card = _card(anonymous, "办事事项")
    assert f'href="{reverse("standards-items")}"' in items_card and "查找事项" in items_card
    cases_card = _card(anonymous, "我的办件")
    assert f'href="{reverse("cases-mine")}"' in cases_card and "登录查看我的办件" in cases_card
    mine = _card(client_for(citizen).get("/").content.decode(), "我的办件")
    assert f'href="{reverse("cases-mine")}"' in mine and "查看我的办件" in mine
    # The links lead where they say: the catalogue for anyone, the cases page (or the login) for the user.
    assert Client().get(reverse("standards-items")).status_code == 200
    assert client_for(citizen).get(reverse("cases-mine")).status_code == 200
    assert Client().get(reverse("cases-mine"))["Location"].startswith(reverse("login"))


def test_the_history_lists_a_corrections_materials_and_nothing_for_events_without_them(
    citizen: User, huangpu_clerk: User
) -> None:
    from cases import services

    case = f.submitted_case(applicant=citizen)
    material = case.materials.current_files().first()
    assert material is not None
    services.case_material_check(
        case=case, material=material, verdict="not_conforming", reason="复印件不清晰", actor=huangpu_clerk
    )
    services.case_request_correction(case=case, actor=huangpu_clerk, materials=[], reason="请补正")
    page = client_for(citizen).get(reverse("cases-detail", args=[case.reference])).content.decode()
    # One list, the correction's; the other events' details (uploads, submission) are not listed as empty rows.
    assert page.count('class="why-items"') == 1
    assert f"<strong>{material.item_material.name}</strong>: 复印件不清晰" in page
