"""A guard over a browser page for the journey tests (issue 16): what must not happen on any page a person opens.

Per page it collects script errors (uncaught exceptions and console errors), every response of status 400 or more
that the step did not expect, the bytes of JavaScript the page loaded (fail above 300 KB), whether the page
itself ships axe-core (only the tests may inject it), and the accessibility violations of serious or critical
impact axe-core finds; it saves a full-page screenshot of each page it checks into the artefact folder.

The artefact folder is $ARTIFACTS_DIR, by default var/artifacts/journeys/ in the checkout.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.test import Client

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Response

    from accounts.models import User
    from tests.conftest import LiveStack

ROOT = Path(__file__).resolve().parents[1]
AXE = ROOT / "static" / "vendor" / "axe-core" / "axe.min.js"
JS_BUDGET = 300 * 1024  # bytes of JavaScript one page may load (issue 16)
FAILING_IMPACTS = ("serious", "critical")


def artifacts_dir() -> Path:
    """Where screenshots and the per-page figures go: $ARTIFACTS_DIR, else var/artifacts/journeys/."""
    configured = os.environ.get("ARTIFACTS_DIR", "").strip()
    folder = Path(configured) if configured else ROOT / "var" / "artifacts" / "journeys"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 4).map(n => n.target.join(" "))}));
}"""
# Scripts the document loaded (its own <script src>, modules, workers' fetches by script); an injected test
# script run through `evaluate` is no resource and is not counted.
SCRIPTS = """() => performance.getEntriesByType("resource")
  .filter(e => e.initiatorType === "script" || /\\.m?js(\\?|$)/.test(e.name))
  .map(e => ({url: e.name, bytes: e.decodedBodySize || e.transferSize || 0}))"""
NAVIGATION_RACE = ("interrupted by another navigation", "ERR_ABORTED")
# A page's own live reload (static/cases/live.js) may replace the document while the guard reads it.
# Django's admin: on the item version's change form (autocomplete and date widgets, Django's vendored scripts) the
# enforced policy refuses two inline style attributes the widgets write; the widgets work without them. Noted in
# notes.txt of the artefact folder, not failed; the site's own pages have no such allowance.
ADMIN_PREFIX = "/admin/"
ADMIN_INLINE_STYLE = "Applying inline style violates the following Content Security Policy directive"
RELOADED = ("Execution context was destroyed", "Target page, context or browser has been closed")
# Runs before the page's scripts (through the DevTools protocol, so the policy does not apply to it): what the
# Content-Security-Policy blocked, with where, for a readable report.
RECORD_CSP = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  const where = `${e.sourceFile}:${e.lineNumber}:${e.columnNumber}`;
  const what = `${e.violatedDirective} blocked ${e.blockedURI || "inline"}`;
  window.__cspViolations.push(`${what} at ${where} ${e.sample || ""}`);
});
"""


@dataclass
class PageFigures:
    name: str
    url: str
    script_bytes: int
    scripts: int


@dataclass
class Guard:
    """One browser context (one person, one width, one language or mode) and what went wrong on its pages."""

    context: BrowserContext
    page: Page
    live_stack: LiveStack
    tag: str
    problems: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    figures: list[PageFigures] = field(default_factory=list)
    expected: set[tuple[str, int]] = field(default_factory=set)
    shots: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    # --- set-up -------------------------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        browser: Browser,
        live_stack: LiveStack,
        tag: str,
        *,
        user: User | None = None,
        width: int = 1280,
        language: str = "zh-hans",
        elder: bool = False,
    ) -> Guard:
        context = browser.new_context(
            viewport={"width": width, "height": 900}, locale="zh-CN" if language == "zh-hans" else "en-GB"
        )
        cookies: list[Any] = [{"name": "django_language", "value": language, "url": live_stack.http_url}]
        if elder:
            cookies.append({"name": "c9_care", "value": "1", "url": live_stack.http_url})
        if user is not None:
            client = Client()
            client.force_login(user)
            cookies.append(
                {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_stack.http_url}
            )
        context.add_cookies(cookies)
        context.add_init_script(RECORD_CSP)
        guard = cls(context=context, page=context.new_page(), live_stack=live_stack, tag=tag)
        guard.page.on("pageerror", lambda error: guard.problems.append(f"script error on {guard.page.url}: {error}"))
        guard.page.on("console", guard._console)
        guard.page.on("response", guard._response)
        return guard

    def _path(self, url: str) -> str:
        return url.split("?", 1)[0].split("#", 1)[0].removeprefix(self.live_stack.http_url)

    def _is_expected(self, url: str, status: int) -> bool:
        return (self._path(url), status) in self.expected

    def _response(self, response: Response) -> None:
        if response.status >= 400 and not self._is_expected(response.url, response.status):
            self.problems.append(f"HTTP {response.status} {response.request.method} {response.url}")

    def _console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        # A failed load the step expects is reported by the browser as a console error too: that one is no fault.
        status = re.search(r"status of (\d{3})", message.text)
        if status and self._is_expected(message.location.get("url", ""), int(status.group(1))):
            return
        if self._path(self.page.url).startswith(ADMIN_PREFIX) and ADMIN_INLINE_STYLE in message.text:
            self.notes.append(f"{self._path(self.page.url)}: {message.text[:90]}")
            return
        where = message.location
        at = f" (at {where.get('url')}:{where.get('lineNumber')})" if where.get("url") else ""
        self.problems.append(f"console error on {self.page.url}: {message.text}{at}")

    @contextmanager
    def expecting(self, path: str, status: int) -> Iterator[None]:
        """Within the block, a response of `status` at `path` is what the step is about (e.g. a 403 it tests)."""
        self.expected.add((path, status))
        try:
            yield
        finally:
            self.expected.discard((path, status))

    # --- pages --------------------------------------------------------------------------------------------

    def goto(self, path: str, name: str | None = None, *, attempts: int = 3) -> Page:
        """Open a page of the live stack (again if the page's own live reload interrupted the navigation), then
        check it when `name` is given."""
        from playwright.sync_api import Error as PlaywrightError

        for attempt in range(attempts):
            try:
                self.page.goto(self.live_stack.url(path))
                break
            except PlaywrightError as error:
                if attempt == attempts - 1 or not any(race in str(error) for race in NAVIGATION_RACE):
                    raise
                self.page.wait_for_load_state()
        if name:
            self.check(name)
        return self.page

    def check(self, name: str, *, attempts: int = 3) -> None:
        """The page as it is now: screenshot, the JavaScript budget, no axe shipped, axe-core's verdict, and
        nothing gone wrong since the last check (again when the page reloaded itself meanwhile)."""
        from playwright.sync_api import Error as PlaywrightError

        for attempt in range(attempts):
            try:
                self._check(name)
                return
            except PlaywrightError as error:
                if attempt == attempts - 1 or not any(reason in str(error) for reason in RELOADED):
                    raise
                self.page.wait_for_load_state("load")

    def _check(self, name: str) -> None:
        page = self.page
        page.wait_for_load_state("load")
        shot = artifacts_dir() / f"{self.tag}-{name}.png"
        page.screenshot(path=str(shot), full_page=True)
        if shot not in self.shots:
            self.shots.append(shot)
        scripts: list[dict[str, Any]] = page.evaluate(SCRIPTS)
        total = sum(int(s["bytes"]) for s in scripts)
        self.figures = [figure for figure in self.figures if figure.name != name]
        self.figures.append(PageFigures(name=name, url=self._path(page.url), script_bytes=total, scripts=len(scripts)))
        shipped_axe = [s["url"] for s in scripts if "axe" in s["url"].rsplit("/", 1)[-1]]
        assert not shipped_axe, f"{self.tag} {name}: the page itself loads axe-core: {shipped_axe}"
        assert total <= JS_BUDGET, f"{self.tag} {name}: {total} bytes of JavaScript (budget {JS_BUDGET}): {scripts}"
        # Evaluated, not added as a <script>: the enforced CSP would refuse an inline script.
        self.problems += [f"CSP on {page.url}: {v}" for v in page.evaluate("window.__cspViolations || []")]
        page.evaluate(AXE.read_text(encoding="utf-8"))
        found: list[dict[str, Any]] = page.evaluate(AXE_RUN)
        for v in found:
            if v["impact"] in FAILING_IMPACTS:
                nodes = "; ".join(v["nodes"])
                self.violations.append(
                    f"{self.tag} {name} ({self._path(page.url)}): {v['id']} [{v['impact']}] {v['help']} — {nodes}"
                )
        assert not self.problems, f"{self.tag} {name}:\n" + "\n".join(self.problems)

    def close(self) -> None:
        self.context.close()
        summary = artifacts_dir() / "js-bytes.json"
        known: dict[str, Any] = json.loads(summary.read_text()) if summary.exists() else {}
        for figure in self.figures:
            known[f"{self.tag}-{figure.name}"] = {"url": figure.url, "script_bytes": figure.script_bytes}
        summary.write_text(json.dumps(known, indent=1, sort_keys=True, ensure_ascii=False))
        if self.notes:
            with (artifacts_dir() / "notes.txt").open("a", encoding="utf-8") as notes:
                notes.writelines(f"{self.tag}: {note}\n" for note in dict.fromkeys(self.notes))
        assert not self.problems, f"{self.tag}:\n" + "\n".join(self.problems)

    def failed(self) -> None:
        """The page as it was when a step failed (for the artefact folder), then the context closed."""
        try:
            self.page.screenshot(path=str(artifacts_dir() / f"{self.tag}-FAILED.png"), full_page=True)
        finally:
            self.context.close()

    def assert_accessible(self) -> None:
        assert not self.violations, "accessibility violations (serious or critical):\n" + "\n".join(self.violations)


@contextmanager
def guarded(
    browser: Browser,
    live_stack: LiveStack,
    tag: str,
    **options: Any,
) -> Iterator[Guard]:
    """A guard for the block: closed at its end, failing on what it collected (errors first, then axe's list)."""
    guard = Guard.open(browser, live_stack, tag, **options)
    try:
        yield guard
    except BaseException:
        guard.failed()
        raise
    guard.close()
    guard.assert_accessible()
