"""The report pages of `nabi song` and `nabi generate` in a real browser: headless
Chromium (Debian's chromium and chromium-driver) driven by selenium. Every image
and audio file a page references must load, every link must lead to a file, each
clip must last as long as its melody, one clip must play to its end, and the page
must log no console error.

``make test`` installs Chromium first where it is missing (its ``browser``
step); without it the test fails, saying what to install.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from urllib.parse import unquote, urlparse

import pretty_midi
import pytest
from helpers import NABIYA_LY

from nabi_music.media.audio import RELEASE_SECONDS
from nabi_music.readers import read

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


TOLERANCE = 0.1
"""Seconds a clip's duration may differ from its melody's. The MP3's LAME header gives
the exact number of samples, so Chromium reports the synthesised length to the sample
(20.200635 s for 나비야); a decoder that ignored it would add the encoder's delay and
padding, at most about 50 ms. A tenth of a second is a third of the shortest note
(an eighth at 100 bpm, 0.3 s): a note lost or added, or a clip cut short, fails."""


def expected_seconds(midi: Path) -> float:
    """How long the audio of ``midi`` lasts: its last note's end and the release."""
    return pretty_midi.PrettyMIDI(str(midi)).get_end_time() + RELEASE_SECONDS


def assert_clips_last_their_melodies(folder: Path, state: dict) -> None:
    for clip in state["audio"]:
        midi = (folder / unquote(clip["src"])).with_suffix(".mid")
        assert abs(clip["duration"] - expected_seconds(midi)) < TOLERANCE, clip


PLAY_TO_END = """
const [index, done] = arguments;
const clip = document.querySelectorAll('audio')[index];
const times = [];
clip.addEventListener('timeupdate', () => times.push(clip.currentTime));
clip.addEventListener('ended', () => done(
  {ended: clip.ended, time: clip.currentTime, duration: clip.duration, error: null, times}));
clip.addEventListener('error', () => done({error: clip.error.code, message: clip.error.message}));
clip.muted = true;
clip.playbackRate = 16;  // Chromium's fastest: 나비야 in 1.3 s
clip.currentTime = 0;
clip.play().catch(err => done({error: String(err)}));
"""


def play_to_end(browser, index: int) -> dict:
    """Play the page's ``index``-th clip (muted, 16 times as fast) until it ends."""
    browser.set_script_timeout(60)
    return browser.execute_async_script(PLAY_TO_END, index)


def assert_every_link_leads_to_a_file(browser, page: Path) -> None:
    """Every link, image and audio source, as the browser resolves it, names a file."""
    urls = browser.execute_script(
        "return [...document.links].map(a => a.href)"
        ".concat([...document.images].map(i => i.currentSrc))"
        ".concat([...document.querySelectorAll('audio')].map(a => a.currentSrc))"
    )
    assert len(urls) > 10
    for url in urls:
        parsed = urlparse(url)
        assert parsed.scheme == "file", url
        path = Path(unquote(parsed.path))
        if path == page.resolve() and parsed.fragment:
            continue  # a section of the page itself
        assert path.is_file(), url
        assert page.parent.resolve() in path.parents, url  # beside the page


def test_every_image_and_audio_file_loads_without_console_errors(browser, small_song_run) -> None:
    folder, _ = small_song_run
    state = load(browser, folder / "index.html")
    assert browser.title.startswith("나비야")
    assert len(state["images"]) == 7 and len(state["audio"]) == 5
    assert all(clip["src"].endswith(".mp3") for clip in state["audio"])
    assert_clips_last_their_melodies(folder, state)
    # the page's Hangul font loads where the reader's fonts lack Hangul, and never fails
    assert browser.execute_script("return [...document.fonts].map(f => f.status)")
    assert_loaded_without_errors(browser, state)
    assert_every_link_leads_to_a_file(browser, folder / "index.html")


def test_the_original_melody_plays_to_its_end(browser, small_song_run) -> None:
    folder, _ = small_song_run
    state = load(browser, folder / "index.html")
    assert state["audio"][0]["src"] == "original.mp3"
    played = play_to_end(browser, 0)
    assert played["error"] is None and played["ended"], played
    # 54 notes, 32 quarters at 100 bpm (19.2 s), then the release (1 s)
    song = read(NABIYA_LY)[0]
    seconds = float(sum(n.duration for n in song.notes)) * 60 / song.tempo + RELEASE_SECONDS
    assert seconds == pytest.approx(20.2)
    assert abs(played["duration"] - seconds) < TOLERANCE, played
    assert played["time"] == pytest.approx(played["duration"], abs=0.01)  # to the very end
    assert len(played["times"]) >= 3 and played["times"] == sorted(played["times"])
    errors = [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
    assert errors == []


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
    assert_clips_last_their_melodies(out, state)
    assert_loaded_without_errors(browser, state)
    assert_every_link_leads_to_a_file(browser, out / "index.html")
