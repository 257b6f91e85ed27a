"""The portal in a real Chromium: log in, see the districts, switch the language."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser

    from tests.conftest import LiveStack

from seed.demo_accounts import DEMO_PASSWORD, demo_accounts_load

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_citizen_logs_in_and_switches_to_english(live_stack: LiveStack, browser: Browser, tmp_path: Path) -> None:
    demo_accounts_load()
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(live_stack.url("/"))
    assert "C9通办" in page.title()
    assert page.locator("table.table tbody tr").count() == 9
    page.get_by_role("link", name="登录", exact=True).click()
    page.fill("#id_username", "zhangsan")
    page.fill("#id_password", DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(live_stack.url("/"))
    assert "张三" in page.locator(".whoami").inner_text()
    page.get_by_role("button", name="EN").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Get it done in any C9 district, without the trip").is_visible()
    assert "Huangpu" in page.locator("table.table").inner_text()
    page.screenshot(path=str(tmp_path / "home-en.png"), full_page=True)
    page.close()
