"""我的材料 in real Chromium: a file of an earlier case picked beside a draft's material, the list with its preview
and removal, at desktop and phone widths, in Chinese, English and elder mode (screenshots in var/screenshots)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.test import Client

from accounts.models import User
from cases import services
from cases.models import Case
from tests import factories as f
from tests.cases.test_pages_browser import off_loop, shot

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page
    from pytest_django.fixtures import SettingsWrapper

    from tests.conftest import LiveStack

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def page_for(browser: Browser, live_stack: LiveStack, user: User, *, width: int, language: str = "zh-hans") -> Page:
    client = Client()
    client.force_login(user)
    context = browser.new_context(viewport={"width": width, "height": 900})
    context.add_cookies(
        [
            {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_stack.http_url},
            {"name": "django_language", "value": language, "url": live_stack.http_url},
        ]
    )
    return context.new_page()


def _cases(citizen: User) -> tuple[Case, Case]:
    earlier = f.submitted_case(applicant=citizen)
    draft = services.case_draft_create(applicant=citizen, item_version=f.make_item(), actor=citizen)
    return earlier, draft


def test_a_citizen_picks_an_earlier_file_for_a_draft_then_removes_it_from_the_list(
    browser: Browser, live_stack: LiveStack, settings: SettingsWrapper
) -> None:
    settings.MEDIA_ROOT = Path(live_stack.env["VAR_DIR"]) / "media"  # the files the live server reads
    citizen = f.make_user("citizen")
    earlier, draft = off_loop(_cases, citizen=citizen)
    material = draft.item_version.materials.filter(elicence_exempt=False).order_by("position").first()
    assert material is not None

    page = page_for(browser, live_stack, citizen, width=1280)
    f.goto(page, f"{live_stack.http_url}/cases/{draft.reference}/")
    row = page.locator(f'tr[data-material="{material.pk}"]')
    reuse = row.locator("form.reuse")
    assert "或从我的材料中选择" in reuse.inner_text()
    shot(page, "my-materials-draft-1280")
    reuse.get_by_role("button", name="使用此文件").click()
    page.wait_for_url(f"**/cases/{draft.reference}/#material-{material.pk}")
    row = page.locator(f'tr[data-material="{material.pk}"]')
    assert row.locator("a.document-link").count() == 1, page.locator("main").inner_text()[
        :600
    ]  # provided now, opened through the authorised view
    assert draft.materials.filter(item_material=material, current=True).exists()

    phone = page_for(browser, live_stack, citizen, width=390)
    f.goto(phone, f"{live_stack.http_url}/cases/materials/")
    assert phone.locator("h1").inner_text() == "我的材料"
    listed = phone.locator("#my-materials tbody tr[data-sha256]")
    assert listed.count() == 1
    assert earlier.reference in listed.inner_text() and draft.reference in listed.inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth <= 390")  # no sideways scrolling
    shot(phone, "my-materials-390")
    preview = listed.get_by_role("link", name="预览")
    assert "/documents/" in (preview.get_attribute("href") or "")
    listed.get_by_role("button", name="从我的材料中删除").click()
    phone.wait_for_load_state()
    assert "已从我的材料中删除" in phone.locator("body").inner_text()
    assert phone.locator("#my-materials tbody tr[data-sha256]").count() == 0
    assert earlier.materials.current_files().exists()  # the case keeps its file


def test_my_materials_reads_in_english_and_in_elder_mode_at_phone_width(
    browser: Browser, live_stack: LiveStack, settings: SettingsWrapper
) -> None:
    settings.MEDIA_ROOT = Path(live_stack.env["VAR_DIR"]) / "media"
    citizen = f.make_user("citizen")
    off_loop(_cases, citizen=citizen)
    english = page_for(browser, live_stack, citizen, width=390, language="en")
    f.goto(english, f"{live_stack.http_url}/cases/materials/")
    assert english.locator("h1").inner_text() == "My materials"
    assert english.locator("button", has_text="Remove from my materials").count() == 1
    shot(english, "my-materials-390-en")
    User.objects.filter(pk=citizen.pk).update(care_mode=True)
    elder = page_for(browser, live_stack, citizen, width=390)
    f.goto(elder, f"{live_stack.http_url}/cases/materials/")
    assert elder.locator("body.care").count() == 1
    assert elder.evaluate("document.documentElement.scrollWidth <= 390")
    shot(elder, "my-materials-390-elder")
