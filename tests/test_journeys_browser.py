"""Issue 16: the journeys of six people in a real Chromium (Debian's) on the live stack (uvicorn, Redis, a Celery
worker), on the demo world `make run` loads (the catalogue, the demo accounts, the demo cases).

A citizen, a firm representative, two clerks in different districts (黄浦 accepts, 蜀山 approves), a standards
administrator and a supervisor each walk their journey at desktop (1280 px) and phone (390 px) widths in Chinese;
then every role's main pages are opened in English and in the elder-friendly mode (长辈版) at both widths. Every page
checked fails the test on a JavaScript error, a 4xx/5xx the step does not expect, more than 300 KB of JavaScript,
axe-core shipped by the page, or an accessibility violation of serious or critical impact (axe-core, injected by
the test only); each is saved as a screenshot in the artefact folder ($ARTIFACTS_DIR, by default
var/artifacts/journeys/), with the JavaScript bytes of every page in js-bytes.json there.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from accounts.models import User
from cases.models import Case, CaseState, FollowUp
from seed.demo_accounts import DEMO_PASSWORD
from standards.models import ItemVersion
from tests import factories as f
from tests.browser_guard import Guard, artifacts_dir, guarded
from tests.cases.test_pages_browser import off_loop

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page
    from pytest_django.fixtures import SettingsWrapper

    from tests.conftest import LiveStack


pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = [pytest.param(1280, id="desktop"), pytest.param(390, id="phone")]
APPLY_ITEM = "C9-KS-0016"  # 补领离婚证: accepted in every district, the demo citizen has no case of it
SUBMITTED_ITEM = "补领结婚证"  # the demo case waiting for 黄浦's checks
IN_REVIEW_ITEM = "教师资格认定"  # the demo case in review at 蜀山


def _load_demo_world() -> None:
    from seed.catalogue import catalogue_load
    from seed.demo_accounts import demo_accounts_load
    from seed.demo_cases import demo_cases_load

    catalogue_load()
    demo_accounts_load()
    demo_cases_load()


@pytest.fixture
def world(live_stack: LiveStack, settings: SettingsWrapper) -> dict[str, User]:
    """The demo world; files go where the live server and the worker read them."""
    settings.MEDIA_ROOT = Path(live_stack.env["VAR_DIR"]) / "media"
    off_loop(_load_demo_world)
    names = ("zhangsan", "lihua", "clerk_huangpu", "clerk_shushan", "std_admin", "supervisor")
    return {user.username: user for user in User.objects.filter(username__in=names)}


def wait_until(condition: Callable[[], bool], timeout: float = 45.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the condition did not come true in time")
        time.sleep(0.2)


def _demo_case(item_name: str) -> Case:
    return Case.objects.select_related("item_version__item").get(item_version__name=item_name)


def _wide(width: int) -> str:
    return "desktop" if width > 720 else "phone"


def _upload_every_material(page: Page, tmp_path: Path) -> None:
    """Each material the case still misses gets a file (a PDF: every material here takes one)."""
    pdf = tmp_path / "material.pdf"
    pdf.write_bytes(f.PDF_BYTES)
    missing = page.locator("#materials tr[data-material]:has(.badge.warn):not(:has(a.document-link))")
    while missing.count():
        row = missing.first
        material = row.get_attribute("data-material")
        row.locator("input[type=file]").set_input_files(str(pdf))
        row.locator("form.upload button[type=submit]").click()
        page.wait_for_selector(f"tr[data-material='{material}'] a.document-link")


# --- the journeys, in Chinese, at both widths -------------------------------------------------------------------


@pytest.mark.parametrize("width", WIDTHS)
def test_the_citizen_applies_follows_the_case_and_asks_for_help(
    live_stack: LiveStack, browser: Browser, world: dict[str, User], width: int, tmp_path: Path
) -> None:
    citizen = world["zhangsan"]
    with guarded(browser, live_stack, f"citizen-{_wide(width)}-zh", width=width) as g:
        page = g.goto("/", "home")
        # Home, signed out: the search suggests items as one types.
        if width < 720:
            page.locator(".menu-button").click()
            assert page.locator(".mainnav").is_visible()
            g.check("home-menu")
            page.locator(".menu-button").click()
        page.locator("#home-search").fill("离婚证")
        page.wait_for_selector("#std-suggestions li a")
        g.check("home-suggestions")
        page.locator(f"#std-suggestions li a[href*='{APPLY_ITEM}']").first.click()
        page.wait_for_url(f"**/items/{APPLY_ITEM}/**")
        g.check("item-signed-out")
        # Applying asks to sign in, then comes back to the item.
        page.locator("a.button[href*='/accounts/login/?next=']:visible").first.click()
        page.wait_for_selector("#id_username")
        g.check("login")
        page.fill("#id_username", citizen.username)
        page.fill("#id_password", DEMO_PASSWORD)
        page.locator("form:has(#id_username) button[type=submit]").click()
        page.wait_for_url(f"**/items/{APPLY_ITEM}/")
        g.check("item")
        # The accepting district: 黄浦, the account's place, preselected; the citizen picks 蜀山 instead.
        choice = page.locator("form.cases-apply select[name=accepting_district]")
        assert choice.input_value() == f.HUANGPU
        choice.select_option(f.SHUSHAN)
        page.locator("form.cases-apply select[name=approving_place]").select_option(f.SHUSHAN)
        page.locator("form.cases-apply button[type=submit]").click()
        page.wait_for_url("**/cases/C9*/")
        g.check("case-draft")
        reference = page.url.rstrip("/").rsplit("/", 1)[-1]
        _upload_every_material(page, tmp_path)
        g.check("case-uploaded")
        page.locator("form[data-step='submit'] button").click()
        page.wait_for_selector("[data-state]:has-text('已提交')")
        g.check("case-submitted")
        # Who handles it: the accepting district the citizen chose, with its window and phone.
        contact = page.locator("#case-contact").inner_text()
        assert "蜀山" in contact, contact
        # My applications: the new one among the demo's.
        g.goto("/cases/", "my-cases")
        assert page.locator(f"#my-cases a[href*='{reference}']").count() >= 1
        page.locator(f"#my-cases a[href*='{reference}']").first.click()
        page.wait_for_url(f"**/cases/{reference}/")
        # The inbox: the notices of the demo cases and of this one.
        g.goto("/notices/", "inbox")
        assert page.locator("main").inner_text().strip()
        # Signed out, one click on the help button from an item page: the sign-in, then the confirm page.
        g.context.clear_cookies()
        g.context.add_cookies([{"name": "django_language", "value": "zh-hans", "url": live_stack.http_url}])
        g.goto(f"/items/{APPLY_ITEM}/")
        page.locator("[data-assist-button]").first.click()
        page.wait_for_selector("#id_username")
        page.fill("#id_username", citizen.username)
        page.fill("#id_password", DEMO_PASSWORD)
        page.locator("form:has(#id_username) button[type=submit]").click()
        page.wait_for_selector("[data-assist-confirm]")
        g.check("assist-confirm")
        page.locator("[data-assist-confirm]").click()
        page.wait_for_url("**/assist/r/*/")
        g.check("assist-request")


@pytest.mark.parametrize("width", WIDTHS)
def test_the_firm_representative_reads_the_firm_space(
    live_stack: LiveStack, browser: Browser, world: dict[str, User], width: int
) -> None:
    with guarded(browser, live_stack, f"firm-{_wide(width)}-zh", user=world["lihua"], width=width) as g:
        page = g.goto("/cases/firm/", "firm-space")
        assert page.locator("#profile .firm-facts").is_visible()
        assert page.locator("#specialist-table [data-call-specialist]").count() == 2
        assert page.locator("#firm-cases tbody tr").count() >= 1
        recommendations = page.locator("li.recommendation")
        assert recommendations.count() >= 1
        assert recommendations.first.locator("ul.reasons li").count() >= 1  # each says why
        page.locator(".firm-edit summary").click()
        assert page.locator("#firm-profile-form").is_visible()
        g.check("firm-profile-edit")
        # The firm's case, from the firm space.
        page.locator("#firm-cases a[href*='/cases/C9']").first.click()
        page.wait_for_url("**/cases/C9*/")
        g.check("firm-case")


@pytest.mark.parametrize("width", WIDTHS)
def test_the_huangpu_clerk_checks_and_accepts_and_the_case_goes_to_shushan(
    live_stack: LiveStack, browser: Browser, world: dict[str, User], width: int
) -> None:
    from tests.cases.test_pages_browser import check_every_material, record_identity

    case = _demo_case(SUBMITTED_ITEM)
    with guarded(
        browser, live_stack, f"clerk-huangpu-{_wide(width)}-zh", user=world["clerk_huangpu"], width=width
    ) as g:
        page = g.goto("/cases/workbench/", "workbench")
        # The case is in the queue (the workbench reloads itself on events: the test opens the link's address).
        page.wait_for_selector(f"a[href$='/cases/{case.reference}/']", state="attached")
        g.goto(f"/cases/{case.reference}/")
        g.check("case")
        check_every_material(page)
        record_identity(page)
        g.check("case-checked")
        page.locator("form[data-step='accept'] button").click()
        wait_until(lambda: Case.objects.get(pk=case.pk).state == CaseState.TRANSFERRED)
        g.goto(f"/cases/{case.reference}/", "case-routed")
        assert "蜀山" in page.locator("#case-contact").inner_text()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_shushan_clerk_approves_and_the_decision_is_issued(
    live_stack: LiveStack, browser: Browser, world: dict[str, User], width: int
) -> None:
    case = _demo_case(IN_REVIEW_ITEM)
    with guarded(
        browser, live_stack, f"clerk-shushan-{_wide(width)}-zh", user=world["clerk_shushan"], width=width
    ) as g:
        page = g.goto("/cases/workbench/", "workbench")
        # The case is in the queue (the workbench reloads itself on events: the test opens the link's address).
        page.wait_for_selector(f"a[href$='/cases/{case.reference}/']", state="attached")
        g.goto(f"/cases/{case.reference}/")
        g.check("case-in-review")
        page.locator("form[data-step='approve'] button").click()
        wait_until(lambda: Case.objects.get(pk=case.pk).state == CaseState.APPROVED)
        g.goto(f"/cases/{case.reference}/", "case-approved")
        assert "准予" in page.locator("[data-state]").first.inner_text()


def test_the_standards_administrator_drafts_compares_and_imports(
    live_stack: LiveStack, browser: Browser, world: dict[str, User]
) -> None:
    """Both widths in one test, on two items: an admin save after the database was emptied and loaded again would
    meet the live server's cached content types of the earlier load (its change log refers to them)."""
    for width, code in ((1280, APPLY_ITEM), (390, "C9-KS-0015")):
        with guarded(browser, live_stack, f"std-admin-{_wide(width)}-zh", user=world["std_admin"], width=width) as g:
            page = g.goto(f"/admin/standards/serviceitem/?q={code}", "admin-items")
            page.locator("input[name=_selected_action]").first.check()
            page.locator("select[name=action]").select_option("start_drafts")
            page.locator("button[name=index]").click()
            page.wait_for_load_state()
            g.check("admin-draft-started")
            draft = ItemVersion.objects.get(item__code=code, status=ItemVersion.Status.DRAFT)
            g.goto(f"/admin/standards/itemversion/{draft.pk}/change/", "admin-draft")
            page.locator("input[name=promised_limit]").fill("3")
            page.locator("input[name=_continue]").click()
            page.wait_for_load_state()
            g.check("admin-draft-saved")
            assert ItemVersion.objects.get(pk=draft.pk).promised_limit == 3
            g.goto(f"/items/{code}/compare/", "compare")
            assert page.locator(".std-text-diff, .std-diff").count() >= 1
            g.goto("/items/import/", "import")
            assert page.locator("input[type=file][name=file]").count() == 1


@pytest.mark.parametrize("width", WIDTHS)
def test_the_supervisor_filters_exports_and_follows_up(
    live_stack: LiveStack, browser: Browser, world: dict[str, User], width: int
) -> None:
    with guarded(browser, live_stack, f"supervisor-{_wide(width)}-zh", user=world["supervisor"], width=width) as g:
        page = g.goto("/supervision/dashboard/", "dashboard")
        # A chart over time wider than a phone starts at its newest days; a chart by district at its first.
        scrolled = "box => box.scrollWidth - box.clientWidth - box.scrollLeft"
        over_time = page.locator("#period-panels .chart-scroll").first
        by_district = page.locator(".panels:not(#period-panels) .chart-scroll").first
        if width < 600:
            assert over_time.evaluate("box => box.scrollWidth > box.clientWidth")
        assert over_time.evaluate(scrolled) <= 1 and by_district.evaluate("box => box.scrollLeft") == 0
        page.locator("#dashboard-filter select[name=district]").select_option(f.HUANGPU)
        page.locator("#dashboard-filter button[type=submit]").click()
        page.wait_for_url(lambda url: f"district={f.HUANGPU}" in url)
        g.check("dashboard-huangpu")
        with page.expect_download() as download:
            page.locator("a[href*='dashboard.csv']").first.click()
        csv = Path(download.value.path()).read_text(encoding="utf-8-sig")
        assert csv.count("\n") >= 2
        g.goto("/cases/follow-ups/", "follow-ups")
        follow_up = FollowUp.objects.get()
        page.locator(f"a[href$='/cases/follow-ups/{follow_up.pk}/']").first.click()
        page.wait_for_url(f"**/cases/follow-ups/{follow_up.pk}/")
        g.check("follow-up")


# --- every role's main pages in English and in the elder-friendly mode, at both widths ---------------------------

MODES = [
    pytest.param("en", False, id="en"),
    pytest.param("zh-hans", True, id="elder"),
]


def _main_pages(world: dict[str, User]) -> list[tuple[str, User | None, list[tuple[str, str]]]]:
    in_review = _demo_case(IN_REVIEW_ITEM)
    correction = Case.objects.get(state=CaseState.CORRECTION_REQUESTED)
    follow_up = FollowUp.objects.get()
    return [
        (
            "visitor",
            None,
            [("/", "home"), ("/items/?q=%E7%BB%93%E5%A9%9A", "search"), (f"/items/{APPLY_ITEM}/", "item")],
        ),
        (
            "citizen",
            world["zhangsan"],
            [
                ("/cases/", "my-cases"),
                (f"/cases/{correction.reference}/", "case"),
                ("/notices/", "inbox"),
                ("/assist/", "assist"),
            ],
        ),
        ("firm", world["lihua"], [("/cases/firm/", "firm-space")]),
        (
            "clerk-huangpu",
            world["clerk_huangpu"],
            [("/cases/workbench/", "workbench"), (f"/cases/{correction.reference}/", "case")],
        ),
        ("clerk-shushan", world["clerk_shushan"], [(f"/cases/{in_review.reference}/", "case")]),
        ("std-admin", world["std_admin"], [(f"/items/{APPLY_ITEM}/compare/", "compare"), ("/items/import/", "import")]),
        (
            "supervisor",
            world["supervisor"],
            [
                ("/supervision/dashboard/", "dashboard"),
                ("/cases/follow-ups/", "follow-ups"),
                (f"/cases/follow-ups/{follow_up.pk}/", "follow-up"),
            ],
        ),
    ]


@pytest.mark.parametrize(("language", "elder"), MODES)
def test_every_roles_main_pages_in_english_and_in_the_elder_mode(
    live_stack: LiveStack, browser: Browser, world: dict[str, User], language: str, elder: bool
) -> None:
    mode = "elder" if elder else language
    failures: list[str] = []
    for width in (1280, 390):
        for role, user, pages in _main_pages(world):
            guard = Guard.open(
                browser,
                live_stack,
                f"{role}-{_wide(width)}-{mode}",
                user=user,
                width=width,
                language=language,
                elder=elder,
            )
            try:
                for path, name in pages:
                    page = guard.goto(path, name)
                    if elder:
                        assert page.locator("body.care").count() == 1, f"{role} {name}: not in the elder mode"
                    else:
                        assert page.locator("html").get_attribute("lang") == "en", f"{role} {name}"
                guard.close()
            except AssertionError as error:
                guard.failed()
                failures.append(str(error))
            failures += guard.violations
    assert not failures, "\n".join(failures)
    assert any(artifacts_dir().glob(f"*-{mode}-*.png"))
