"""Debian's Chromium driven by Playwright (no browser download), phone-sized.

Screenshots go to a temporary folder, or to $FIELDAPP_CUSTOMER_SHOTS when set (the README's
pictures: FIELDAPP_CUSTOMER_SHOTS=resources/demo/screenshots pytest tests/server/test_customer_browser.py -k sqlite).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PHONE = {"width": 390, "height": 844}
SHOTS_ENV = "FIELDAPP_CUSTOMER_SHOTS"


def chromium_path() -> str | None:
    found = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
    return found


@pytest.fixture(scope="session")
def chromium():
    path = chromium_path()
    if path is None:
        pytest.fail("Chromium is not installed: apt-get install -y chromium (packaging/bootstrap.sh does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def phone(chromium):
    """A fresh phone-sized browser context (its own cookies)."""
    context = chromium.new_context(viewport=PHONE, device_scale_factor=1, is_mobile=True, has_touch=True,
                                   java_script_enabled=False)  # the page must work without it
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def shots(tmp_path):
    where = Path(os.environ[SHOTS_ENV]) if os.environ.get(SHOTS_ENV) else tmp_path / "shots"
    where.mkdir(parents=True, exist_ok=True)

    def save(page, name: str) -> Path:  # type: ignore[no-untyped-def]
        path = where / f"customer_{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    save.folder = where  # type: ignore[attr-defined]
    return save
