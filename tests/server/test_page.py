"""The try-a-voice page in a real headless Chromium (Debian's, driven by Playwright).

Playwright never downloads a browser here: it launches /usr/bin/chromium. The test is skipped
only when that browser is not installed (CI installs it with apt-get install chromium).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from tests.server.httpkit import ServeProcess

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)"
)


@pytest.fixture(scope="module")
def page(served: ServeProcess) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        page = browser.new_page()
        page.goto(served.url + "/")
        page.wait_for_function("document.querySelectorAll('#voice option').length === 2")
        yield page
        browser.close()


def test_type_press_play_and_the_audio_loads(page: Any) -> None:
    page.fill("#text", "Hello from the browser. This is a test.")
    page.click("#play")
    page.wait_for_function(
        "() => { const a = document.querySelector('#audio');"
        " return a.readyState >= 1 && a.duration > 0.2 && !a.error; }",
        timeout=30_000,
    )
    assert page.get_attribute("#download", "href").startswith("blob:")
    assert page.get_attribute("#download", "aria-disabled") == "false"
    assert page.is_hidden("#error")


def test_speaker_picker_and_sliders_follow_the_voice(page: Any) -> None:
    assert page.is_hidden("#speaker-label")
    page.select_option("#voice", "tiny-test-2")
    assert page.is_visible("#speaker-label")
    assert page.eval_on_selector_all("#speaker option", "os => os.map(o => o.value)") == [
        "spk0",
        "spk1",
        "spk2",
    ]
    assert page.input_value("#noise") == "0.667"
    page.select_option("#speaker", "spk2")
    page.fill("#text", "Another voice speaking.")
    before = page.eval_on_selector("#audio", "a => a.src")
    page.click("#play")
    page.wait_for_function(
        "before => { const a = document.querySelector('#audio');"
        " return a.src !== before && a.readyState >= 1 && a.duration > 0; }",
        arg=before,
        timeout=30_000,
    )


def test_errors_are_shown_on_the_page(page: Any) -> None:
    page.fill("#text", "")
    page.click("#play")
    page.wait_for_selector("#error", state="visible")
    assert "nothing to say" in page.inner_text("#error")
