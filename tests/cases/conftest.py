from __future__ import annotations

import pytest

from tests.cases import factories as f


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def item(db):
    return f.make_item()


@pytest.fixture
def huangpu_clerk(db):
    return f.make_user("clerk", code=f.HUANGPU)


@pytest.fixture
def shushan_clerk(db):
    return f.make_user("clerk", code=f.SHUSHAN)


@pytest.fixture
def citizen(db):
    return f.make_user("citizen")


@pytest.fixture(scope="module")
def cases_browser():
    """Chromium for this module only: the session-wide `browser` keeps Playwright's event loop
    running in the main thread until the session ends, which breaks later tests that call asyncio.run()."""
    import os
    from pathlib import Path

    chromium_path = "/usr/bin/chromium"
    in_ci = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
    if not Path(chromium_path).exists():
        if in_ci:
            pytest.fail(f"{chromium_path} is missing")
        pytest.skip(f"{chromium_path} is not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=chromium_path, headless=True, args=["--no-sandbox", "--disable-gpu", "--no-first-run"]
            )
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous
