"""The Content-Security-Policy is enforced and the pages live with it, in a real Chromium.

Each main page, for the role that uses it, loads without one `securitypolicyviolation` event and without a CSP
error in the console; a script injected into a page (an inline <script> and an inline handler, the two shapes
of a cross-site scripting hole) does not run, and the browser reports it; the filter that used an inline
handler (`onchange`) still submits its form from its static script.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import pytest
from django.test import Client

from cases.models import CasePaper
from tests import factories as f

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

    from accounts.models import User
    from tests.conftest import LiveStack

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Runs before any of the page's own scripts (through the DevTools protocol, so the policy does not apply to it).
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(event.violatedDirective + " " + event.blockedURI + " " + (event.sample || ""));
});
"""


def _context_of(browser: Browser, live_stack: LiveStack, user: User | None) -> BrowserContext:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(RECORD_VIOLATIONS)
    if user is not None:
        client = Client()
        client.force_login(user)
        context.add_cookies(
            [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_stack.url("/")}]
        )
    return context


def _visit(page: Page, url: str, console: list[str]) -> list[str]:
    """Open a page, let its scripts start, and return what the policy blocked on it."""
    console.clear()
    answer = page.goto(url, wait_until="load")
    assert answer is not None and answer.status == 200, (url, answer and answer.status)
    time.sleep(0.7)  # scripts started by `defer` and the first fetches
    violations: list[str] = page.evaluate("window.__violations")
    return violations + [line for line in console if "Content Security Policy" in line]


def _issued_paper(live_stack: LiveStack, citizen: User) -> tuple[str, str]:
    """A case of `citizen` accepted in Huangpu; the live worker issues its 受理通知书."""
    case = f.submitted_case(applicant=citizen)
    f.accept_checked(case, f.make_user("clerk", code=f.HUANGPU))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        paper = CasePaper.objects.filter(case=case).first()
        if paper is not None:
            return case.reference, paper.number
        time.sleep(0.3)
    pytest.fail("the worker issued no paper within 60 s")


def test_the_main_pages_break_no_rule_of_the_enforced_policy(live_stack: LiveStack, browser: Browser) -> None:
    citizen = f.make_user("citizen")
    reference, paper_number = _issued_paper(live_stack, citizen)
    item_code = CasePaper.objects.get(number=paper_number).case.item_version.item.code
    clerk = f.make_clerk(code=f.HUANGPU)
    superuser = f.make_user("supervisor", is_staff=True, is_superuser=True)
    supervisor = f.make_user("supervisor")
    firm_user = f.make_user("firm")
    elder = f.make_user("citizen", care_mode=True)
    pages: list[tuple[User | None, list[str]]] = [
        (
            None,
            [
                "/",
                "/accounts/login/",
                "/items/",
                f"/items/{item_code}/",
                f"/items/{item_code}/compare/",
                "/api/docs/",
                "/api/redoc/",
            ],
        ),
        (
            citizen,
            [
                "/cases/",
                f"/cases/{reference}/",
                f"/cases/{reference}/papers/{paper_number}/",
                "/assist/",
                "/assist/start/",
                "/notices/",
                "/notices/preferences/",
            ],
        ),
        (elder, ["/", "/cases/", "/items/"]),  # 长辈版
        (firm_user, ["/cases/firm/"]),
        (clerk, ["/cases/workbench/", "/cases/counter/", "/assist/console/", f"/cases/{reference}/"]),
        (supervisor, ["/supervision/dashboard/", "/cases/follow-ups/", "/cases/supervision/", "/cases/firms/"]),
        (superuser, ["/admin/", "/admin/accounts/user/"]),
    ]
    found: dict[str, list[str]] = {}
    for user, urls in pages:
        context = _context_of(browser, live_stack, user)
        page = context.new_page()
        console: list[str] = []
        page.on("console", lambda message: console.append(message.text))  # noqa: B023 (read within this pass)
        for url in urls:
            blocked = _visit(page, live_stack.url(url), console)
            if url == "/api/redoc/":
                # Redoc's footer logo comes from its CDN: blocked on purpose (nothing is fetched from a CDN at run
                # time); the page works without it.
                blocked = [line for line in blocked if "cdn.redoc.ly" not in line]
            if blocked:
                found[url] = blocked
        if user is citizen:
            # The paper's own <style> applies (it carries the nonce): the print view is laid out as A4 sheets.
            page.goto(live_stack.url(f"/cases/{reference}/papers/{paper_number}/"))
            assert page.evaluate("getComputedStyle(document.querySelector('.paper')).maxWidth") != "none"
        context.close()
    assert found == {}


def test_an_injected_script_does_not_run_and_is_reported(live_stack: LiveStack, browser: Browser) -> None:
    citizen = f.make_user("citizen")
    context = _context_of(browser, live_stack, citizen)
    page = context.new_page()
    answer = page.goto(live_stack.url("/cases/"))
    assert answer is not None and "script-src 'self'" in answer.headers["content-security-policy"]
    page.evaluate(
        """() => {
        const script = document.createElement("script");
        script.textContent = "window.__ran_inline = true";
        document.body.appendChild(script);
        const holder = document.createElement("div");
        holder.innerHTML = '<img src="/static/none.png" onerror="window.__ran_handler = true">';
        document.body.appendChild(holder);
    }"""
    )
    page.wait_for_function("() => window.__violations.length >= 2", timeout=5000)
    result: dict[str, Any] = page.evaluate(
        "({inline: window.__ran_inline, handler: window.__ran_handler, violations: window.__violations})"
    )
    assert result["inline"] is None and result["handler"] is None
    assert any(v.startswith("script-src-elem") for v in result["violations"]), result
    assert any(v.startswith("script-src-attr") for v in result["violations"]), result
    context.close()


def test_the_state_filter_submits_from_its_static_script(live_stack: LiveStack, browser: Browser) -> None:
    citizen = f.make_user("citizen")
    f.submitted_case(applicant=citizen)
    context = _context_of(browser, live_stack, citizen)
    page = context.new_page()
    page.goto(live_stack.url("/cases/"))
    page.select_option("select[name=state]", "submitted")
    page.wait_for_url("**/cases/?state=submitted")
    assert page.evaluate("window.__violations") == []
    context.close()
