"""The report page and everything `nabi song` makes for it, from a short real run."""

from __future__ import annotations

import json
import re
import wave
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nabi_music.media.plots import plot_histories
from nabi_music.media.render import lilypond_version
from nabi_music.models.history import History
from nabi_music.pages.frame import ScoreView
from nabi_music.pages.song import PresetView, ReportData, report_html

PRESETS = ("mlp", "stateful-lstm")


class Page(HTMLParser):
    """Every tag with its attributes, and the page's text."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def refs(self, tag: str, attr: str) -> list[str]:
        return [str(a[attr]) for t, a in self.tags if t == tag and a.get(attr)]


def parse(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def test_every_score_and_melody_is_rendered_and_synthesised(small_song_run) -> None:
    folder, _ = small_song_run
    lys = sorted(folder.rglob("*.ly"))
    assert len(lys) == 1 + 2 * len(PRESETS)
    for ly in lys:
        for suffix in (".pdf", ".png", ".svg", ".mid", ".wav"):
            assert ly.with_suffix(suffix).is_file(), ly.with_suffix(suffix)
        with wave.open(str(ly.with_suffix(".wav"))) as w:
            assert w.getframerate() == 44100 and w.getnframes() > 44100 * 10
    leftovers = [p for p in folder.rglob("*") if p.name.startswith(".") or "cropped" in p.name]
    assert leftovers == []


def test_the_command_prints_stage_timings_audio_and_the_report_path(small_song_run) -> None:
    folder, stdout = small_song_run
    assert f"report: {folder / 'index.html'}" in stdout
    assert "audio: TimGM6mb.sf2 SoundFont (midirenderer), Violin" in stdout
    line = next(ln for ln in stdout.splitlines() if ln.startswith("seconds: "))
    stages = re.findall(r"(\w+) (\d+\.\d)", line)
    assert [s for s, _ in stages] == ["train", "predict", "write", "render", "synthesise", "report"]


def test_history_holds_every_epoch(small_song_run) -> None:
    folder, _ = small_song_run
    history = json.loads((folder / "history.json").read_text(encoding="utf-8"))
    assert list(history) == list(PRESETS)
    for figures in history.values():
        assert len(figures["loss"]) == len(figures["accuracy"]) == 150
        assert all(v > 0 for v in figures["loss"])


def test_the_page_links_only_files_that_exist_beside_it(small_song_run) -> None:
    folder, _ = small_song_run
    page = parse(folder / "index.html")
    images = page.refs("img", "src")
    audio = page.refs("audio", "src")
    links = page.refs("a", "href")
    # the original, two scores per preset, and the two plots
    assert len(images) == 1 + 2 * len(PRESETS) + 2
    assert len(audio) == 1 + 2 * len(PRESETS)
    assert "loss.png" in images and "accuracy.png" in images
    for ref in images + audio + links:
        if ref.startswith("#"):
            continue
        assert not re.match(r"^[a-z]+:|^/", ref), ref  # relative: no network, no absolute path
        assert (folder / ref).is_file(), ref
    assert all(ref.endswith(".wav") for ref in audio)
    # the Hangul font, for readers whose own fonts have no Hangul, sits beside the page
    html = (folder / "index.html").read_text(encoding="utf-8")
    font = re.search(r'@font-face\{font-family:"nabi-hangul";src:url\("([^"]+)"\)', html)
    assert font is not None and font.group(1) == "fonts/NanumGothic.ttf"
    assert (folder / font.group(1)).read_bytes()[:4] == b"\x00\x01\x00\x00"  # TrueType
    assert not any(t in ("script", "link", "iframe") for t, _ in page.tags)


def test_the_page_shows_the_table_the_wrong_notes_and_the_facts(small_song_run) -> None:
    folder, _ = small_song_run
    html = (folder / "index.html").read_text(encoding="utf-8")
    text = " ".join(" ".join(parse(folder / "index.html").text).split())
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    for name, figures in summary["presets"].items():
        row = re.search(rf">{re.escape(name)}</a></th>(.*?)</tr>", html)
        assert row is not None, name
        assert f"<td>{figures['one_step_accuracy']:.0%}</td>" in row.group(1)
        assert f"<td>{figures['full_song_accuracy']:.0%}</td>" in row.group(1)
        # which epoch the model is from, and what the last epoch's weights did
        assert f"<td>{figures['kept_epoch']} of {figures['epochs']}</td>" in row.group(1)
        last = figures["last_epoch"]
        lasts = f"{last['one_step_accuracy']:.0%} / {last['full_song_accuracy']:.0%}"
        assert f"<td>{lasts}</td>" in row.group(1)
    assert "the last epoch can be much worse than an earlier one" in text
    assert "나비야" in text
    # every wrong note of mlp's full song is listed with the code that was expected
    ly = (folder / "mlp" / "full_song.ly").read_text(encoding="utf-8")
    expected_in_score = re.findall(r'\\with-color #red \\teeny "([^"]+)"', ly)
    cells = re.findall(r"<td class=expected>([^<]+)</td>", html)
    assert expected_in_score and len(cells) >= len(expected_in_score)
    for fact in ("seed 1", "window 4 notes", "LilyPond " + lilypond_version(), "TensorFlow 2."):
        assert fact in text.replace(" :", ":"), fact
    assert re.search(r"music21 \d+\.\d", text)
    assert "Violin, 44.1 kHz WAV" in text


def test_plots_are_labelled_pngs_with_a_line_per_preset(small_song_run) -> None:
    folder, _ = small_song_run
    for name in ("loss.png", "accuracy.png"):
        with Image.open(folder / name) as im:
            assert im.size == (800, 450)
            rgb = np.asarray(im.convert("RGB")).astype(int)
        # matplotlib's first two colours (blue, orange) are both drawn
        blue = (abs(rgb - (31, 119, 180)).sum(axis=2) < 40).sum()
        orange = (abs(rgb - (255, 127, 14)).sum(axis=2) < 40).sum()
        assert blue > 200 and orange > 200, name


def test_plotting_leaves_matplotlib_settings_alone(tmp_path: Path) -> None:
    import matplotlib

    before = dict(matplotlib.rcParams)
    history = History(loss=(2.0, 1.0, 0.5), accuracy=(0.2, 0.5, 0.9))
    plot_histories({"mlp": history}, tmp_path, title="나비야")
    assert dict(matplotlib.rcParams) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["accuracy.png", "loss.png"]


def test_every_text_is_escaped() -> None:
    evil = '<script>alert("x")</script>'
    data = ReportData(
        title=evil,
        song="s",
        notes=5,
        original=ScoreView(evil, evil, image='a".png', audio="b<.wav", wrong=((1, evil, evil),)),
        presets=(PresetView(evil, 0.5, 0.25, 3, 1.0),),
        plots=((evil, "loss.png"),),
        facts=((evil, evil),),
        hangul_font='f.ttf")}</style><script>x</script>',
    )
    html = report_html(data)
    assert html.count("</style>") == 1
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert 'src="a&quot;.png"' in html and 'src="b&lt;.wav"' in html


@pytest.mark.parametrize("name", ["index.html"])
def test_the_page_is_utf8_with_a_doctype(small_song_run, name: str) -> None:
    folder, _ = small_song_run
    html = (folder / name).read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in html


def test_nabi_predict_engraves_and_synthesises_what_it_writes(small_song_run, tmp_path) -> None:
    import subprocess
    import sys

    from helpers import NABIYA_LY, ROOT

    folder, _ = small_song_run
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "nabi_music.cli",
            "predict",
            str(folder / "mlp" / "model.nabi"),
            str(NABIYA_LY),
            "--out",
            str(tmp_path),
            "--instrument",
            "flute",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    made = sorted(p.name for p in (tmp_path / "nabiya" / "mlp").iterdir())
    assert made == sorted(
        f"{mode}.{ext}"
        for mode in ("one_step", "full_song")
        for ext in ("ly", "mid", "musicxml", "pdf", "png", "wav")
    )
    assert "audio: TimGM6mb.sf2 SoundFont (midirenderer), Flute" in result.stdout


def test_the_web_font_drops_only_the_tables_browsers_reject() -> None:
    import struct

    from nabi_music.media.fonts import hangul_font_files, web_font

    def tables(data: bytes) -> dict[bytes, bytes]:
        (count,) = struct.unpack(">H", data[4:6])
        out = {}
        for i in range(count):
            tag, _, start, length = struct.unpack(">4sIII", data[12 + 16 * i : 28 + 16 * i])
            out[tag] = data[start : start + length]
        return out

    source = hangul_font_files()[0]
    before, after = tables(source.read_bytes()), tables(web_font(source))
    assert b"TSI3" in before and before[b"TSI3"] == b""
    assert sorted(after) == sorted(t for t in before if not t.startswith(b"TSI"))
    assert all(after[t] == before[t] for t in after)
