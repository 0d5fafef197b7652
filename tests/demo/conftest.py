"""The demo page's browser tests: one headless chromium per module, and where the
screenshots go."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import CHROMIUM, CHROMIUM_FLAGS
from playwright.sync_api import Browser, sync_playwright

from tests.support.programs import require_program


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    chromium = require_program(
        "chromium",
        CHROMIUM if Path(CHROMIUM).exists() else None,
        f"no browser at {CHROMIUM}; apt-get install chromium (.ci/run does) or point "
        "BFF_TEST_CHROMIUM at one",
    )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=chromium, headless=True, args=CHROMIUM_FLAGS
        )
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = os.environ.get("BFF_DEMO_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        return Path(folder)
    return tmp_path_factory.mktemp("demo-screens")
