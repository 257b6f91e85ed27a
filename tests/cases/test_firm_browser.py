"""Real Chromium on the live stack: the firm space and the supervisors' dashboard, at desktop and phone widths,
in Chinese and English, with no script error, no failed request and nothing wider than the screen."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.test import Client

from accounts.models import FirmSpecialist, User
from seed.demo_accounts import demo_accounts_load
from standards.models import ItemVersion
from tests import factories as f

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Response

    from tests.conftest import LiveStack

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
WIDTHS = (1280, 390)
LANGUAGES = ("zh-hans", "en")


class Watched:
    """A page whose script errors and failed responses are collected."""

    def __init__(self, browser: Browser, live_stack: LiveStack, user: User, *, width: int, language: str) -> None:
        client = Client()
        client.force_login(user)
        self.context = browser.new_context(viewport={"width": width, "height": 900})
        self.context.add_cookies(
            [
                {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_stack.http_url},
                {"name": "django_language", "value": language, "url": live_stack.http_url},
            ]
        )
        self.page: Page = self.context.new_page()
        self.problems: list[str] = []
        self.page.on("pageerror", lambda error: self.problems.append(f"script error: {error}"))
        self.page.on("response", self._response)
        self.width = width

    def _response(self, response: Response) -> None:
        if response.status >= 400:
            self.problems.append(f"{response.status} {response.url}")

    def open(self, url: str, name: str) -> Page:
        self.page.goto(url)
        self.page.wait_for_load_state("networkidle")
        overflow = self.page.evaluate("document.documentElement.scrollWidth")
        assert overflow <= self.width, f"{name}: {overflow}px wide on a {self.width}px screen"
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
        return self.page

    def close(self) -> None:
        self.context.close()
        assert not self.problems, self.problems


def test_the_firm_space_and_the_dashboard_at_both_widths_in_both_languages(
    browser: Browser, live_stack: LiveStack
) -> None:
    demo_accounts_load()
    lihua = User.objects.get(username="lihua")
    supervisor = User.objects.get(username="supervisor")
    firm = f.firm_of(lihua)
    f.make_item(growth_stages=["growth"])
    food = f.make_item(growth_stages=["growth"])
    ItemVersion.objects.filter(pk=food.pk).update(name="食品经营许可证变更")
    assert FirmSpecialist.objects.filter(firm=firm, active=True).count() == 2  # the demo's
    for width in WIDTHS:
        for language in LANGUAGES:
            tag = f"{language}-{width}"
            rep = Watched(browser, live_stack, lihua, width=width, language=language)
            page = rep.open(live_stack.url("/cases/firm/"), f"firm-space-{tag}")
            assert page.locator("li.recommendation").count() >= 1
            assert "食品" not in page.locator("#recommendations").inner_text()
            assert page.locator("[data-call-specialist]").count() == 2
            assert page.locator("[data-call-specialist]").first.is_visible()
            # The header names the person and the role once each.
            whoami = page.locator(".whoami").inner_text()
            assert whoami.count(str(lihua.get_role_display())) <= 1 and "（企业经办人）" not in whoami
            rep.close()
            boss = Watched(browser, live_stack, supervisor, width=width, language=language)
            page = boss.open(live_stack.url("/supervision/dashboard/"), f"dashboard-{tag}")
            assert page.locator("svg.chart").count() == 8
            assert "district.3" not in page.content()
            boss.open(live_stack.url(f"/cases/firms/{firm.pk}/"), f"firm-assign-{tag}")
            assert boss.page.locator("select[name=clerk]").count() == 9
            boss.close()


def test_the_representative_declares_a_catering_business_and_the_recommendations_follow(
    browser: Browser, live_stack: LiveStack
) -> None:
    demo_accounts_load()
    lihua = User.objects.get(username="lihua")
    food = f.make_item(growth_stages=["growth"])
    ItemVersion.objects.filter(pk=food.pk).update(name="食品经营许可证变更")
    rep = Watched(browser, live_stack, lihua, width=390, language="zh-hans")
    page = rep.open(live_stack.url("/cases/firm/"), "firm-space-before-edit")
    assert "食品经营许可证变更" not in page.locator("#recommendations").inner_text()
    page.locator(".firm-edit summary").click()
    page.locator("select[name=industry]").select_option("food_service")
    page.locator("#firm-profile-form button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert "食品经营许可证变更" in page.locator("#recommendations").inner_text()
    assert "贵企业所在行业（食品和餐饮）需要办理。" in page.locator("#recommendations").inner_text()
    rep.close()
