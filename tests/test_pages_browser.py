"""The report pages of `nabi song` and `nabi generate` in a real browser: headless
Chromium (Debian's chromium and chromium-driver) driven by selenium. Every image
and audio file a page references must load, and the page must log no console error.

``make test`` installs Chromium first where it is missing (its ``browser``
step); without it the test fails, saying what to install.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--autoplay-policy=no-user-gesture-required",
    "--window-size=1280,1000",
)


def _find(*names: str) -> str | None:
    for name in names:
        path = shutil.which(name) or (
            f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists() else None
        )
        if path:
            return path
    return None


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium = _find("chromium", "chromium-browser", "google-chrome")
    driver_path = _find("chromedriver")
    if not (chromium and driver_path):
        # `make test` installs them first (its `browser` step); this is for a bare pytest run
        pytest.fail(
            "Chromium and chromedriver are needed: apt-get install chromium chromium-driver"
        )
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


LOAD_STATE = """
const images = [...document.images].map(img => ({
  src: img.getAttribute('src'), done: img.complete, width: img.naturalWidth}));
const audio = [...document.querySelectorAll('audio')].map(a => ({
  src: a.getAttribute('src'), ready: a.readyState, duration: a.duration,
  error: a.error ? a.error.code : null}));
return {images, audio};
"""


def load(browser, page: Path) -> dict:
    """Open ``page`` and wait (at most 30 s) until its images and audio have loaded."""
    browser.get(page.resolve().as_uri())
    deadline = time.monotonic() + 30
    while True:
        state = browser.execute_script(LOAD_STATE)
        pending = [a for a in state["audio"] if a["ready"] < 1 and a["error"] is None]
        pending += [i for i in state["images"] if not i["done"]]
        if not pending or time.monotonic() > deadline:
            return state
        time.sleep(0.2)


def assert_loaded_without_errors(browser, state: dict) -> None:
    for image in state["images"]:
        assert image["done"] and image["width"] > 100, image
    for clip in state["audio"]:
        assert clip["error"] is None and clip["ready"] >= 1, clip
    # the scores are wide enough to read: at least 600 CSS pixels
    widths = browser.execute_script(
        "return [...document.images].map(i => i.getBoundingClientRect().width)"
    )
    assert min(widths) >= 600
    fonts = browser.execute_script("return [...document.fonts].map(f => f.status)")
    assert "error" not in fonts
    errors = [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
    assert errors == []


def test_every_image_and_audio_file_loads_without_console_errors(browser, small_song_run) -> None:
    folder, _ = small_song_run
    state = load(browser, folder / "index.html")
    assert browser.title.startswith("나비야")
    assert len(state["images"]) == 7 and len(state["audio"]) == 5
    for clip in state["audio"]:
        assert 10 < clip["duration"] < 30, clip  # the melody (19.2 s) and its release
    # the page's Hangul font loads where the reader's fonts lack Hangul, and never fails
    assert browser.execute_script("return [...document.fonts].map(f => f.status)")
    assert_loaded_without_errors(browser, state)


def test_the_page_of_generated_melodies_loads_every_score_and_clip(
    browser, small_song_run, tmp_path
) -> None:
    from helpers import run_nabi

    folder, _ = small_song_run
    out = tmp_path / "generated"
    result = run_nabi(
        "generate",
        str(folder / "stateful-lstm" / "model.nabi"),
        "--primer",
        "g8 e8 e4 f8",
        "--bars",
        "4",
        "--count",
        "2",
        "--out",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    state = load(browser, out / "index.html")
    assert browser.title.startswith("Generated melodies")
    assert len(state["images"]) == 2 and len(state["audio"]) == 2
    for clip in state["audio"]:
        assert 4 < clip["duration"] < 15, clip  # 4 bars of 2/4 at 100 bpm (4.8 s), the release
    assert_loaded_without_errors(browser, state)
