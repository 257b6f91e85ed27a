"""Real Chromium: the citizen fills the application form on their draft's page at phone width, in Chinese and in
English, in elder mode, saves it as a draft and reads who filled each field."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from accounts.models import User
from cases import services
from cases.models import CaseFormValue
from tests import factories as f
from tests.cases.test_pages_browser import SHOTS, logged_in_page

if TYPE_CHECKING:
    from playwright.sync_api import Browser

    from tests.conftest import LiveStack

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NO_SIDEWAYS_SCROLL = "() => document.documentElement.scrollWidth <= window.innerWidth + 1"


def test_the_citizen_fills_the_form_on_a_phone_in_elder_mode_and_in_english(
    live_stack: LiveStack, browser: Browser
) -> None:
    version = f.with_form(f.make_item())
    citizen = f.make_user("citizen")
    User.objects.filter(pk=citizen.pk).update(care_mode=True)
    draft = services.case_draft_create(applicant=citizen, item_version=version, actor=citizen)
    page = logged_in_page(browser, live_stack, citizen)
    page.set_viewport_size({"width": 390, "height": 844})
    f.goto(page, live_stack.url(f"/cases/{draft.reference}/"))
    assert page.locator("body.care").count() == 1
    form = page.locator("#application-form")
    assert "尚未填写的必填项" in form.inner_text() and "姓名" in form.inner_text()
    page.fill("#form-name", "王小明")
    page.fill("#form-id_number", f.id_number(77))
    page.fill("#form-phone", "13812345678")
    page.fill("#form-born", "1990-01-02")
    page.select_option("#form-kind", "renew")
    page.get_by_role("button", name="保存申请表草稿").click()
    page.wait_for_selector("text=申请表已保存为草稿。")
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    assert page.locator("#application-form [data-form-missing]").count() == 0
    assert page.input_value("#form-name") == "王小明" and page.input_value("#form-kind") == "renew"
    assert f"由 {citizen.display_name or citizen.username} 填写" in form.inner_text()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "draft-form-390-care.png"), full_page=True)
    values = {v.key: v.value for v in CaseFormValue.objects.filter(case=draft, current=True)}
    assert values == {
        "name": "王小明",
        "id_number": f.id_number(77),
        "phone": "13812345678",
        "born": "1990-01-02",
        "kind": "renew",
    }

    english = logged_in_page(browser, live_stack, citizen, language="en")
    english.set_viewport_size({"width": 390, "height": 844})
    f.goto(english, live_stack.url(f"/cases/{draft.reference}/"))
    text = english.locator("#application-form").inner_text()
    assert "Application form" in text and "Date of birth" in text and "Kind of application" in text
    assert english.locator("#form-kind option[value='renew']").inner_text() == "Renewal"
    english.get_by_role("button", name="Save the form as a draft").click()
    english.wait_for_selector("text=The form is saved as a draft.")
    assert english.evaluate(NO_SIDEWAYS_SCROLL)
    english.screenshot(path=str(SHOTS / "draft-form-390-en.png"), full_page=True)
