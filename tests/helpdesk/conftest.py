"""Fixtures of the helpdesk tests."""

from __future__ import annotations

import pytest

from tests.helpdesk.factories import Clock


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="module")
def call_browser():
    """Chromium for the call test, started and stopped within the module.

    The session-wide `browser` fixture keeps Playwright's event loop running in the main
    thread until the session ends, which breaks `asyncio.run` in every later test of the
    suite (ours and others'); this one stops it as soon as the module is done.
    """
    import os
    from pathlib import Path

    from tests.conftest import CHROMIUM, IN_CI

    if not Path(CHROMIUM).exists():
        if IN_CI:
            pytest.fail(f"{CHROMIUM} is missing")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install -y chromium)")
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=CHROMIUM,
                headless=True,
                args=["--no-sandbox", "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                      "--disable-background-networking", "--disable-component-update", "--disable-sync",
                      "--no-first-run", "--disable-quic", "--disable-gpu"],
            )
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous

