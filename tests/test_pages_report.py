"""The report page and everything `nabi song` makes for it, from a short real run."""

from __future__ import annotations

import html as html_module
import io
import json
import re
import shlex
import wave
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import numpy as np
import pytest
import soundfile
from fontTools.ttLib import TTFont
from helpers import NABIYA_LY
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
        for suffix in (".pdf", ".png", ".svg", ".mid", ".mp3"):
            assert ly.with_suffix(suffix).is_file(), ly.with_suffix(suffix)
        assert not ly.with_suffix(".wav").exists()  # MP3 unless WAV is asked for
        info = soundfile.info(str(ly.with_suffix(".mp3")))
        assert (info.format, info.samplerate, info.channels) == ("MP3", 44100, 1)
        assert info.duration > 10
        # about 100 kbit/s: a twelfth of the 16-bit mono PCM (706 kbit/s), mono VBR
        assert ly.with_suffix(".mp3").stat().st_size * 8 / info.duration < 130_000
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
    assert all(ref.endswith(".mp3") for ref in audio)
    # the Hangul font, for readers whose own fonts have no Hangul, sits beside the page
    html = (folder / "index.html").read_text(encoding="utf-8")
    font = re.search(r'@font-face\{font-family:"nabi-hangul";src:url\("([^"]+)"\)', html)
    assert font is not None and font.group(1) == "fonts/nabi-hangul.ttf"
    assert (folder / font.group(1)).read_bytes()[:4] == b"\x00\x01\x00\x00"  # TrueType
    assert not any(t in ("script", "link", "iframe") for t, _ in page.tags)


def test_the_page_links_every_file_the_run_wrote(small_song_run) -> None:
    folder, _ = small_song_run
    page = parse(folder / "index.html")
    linked = {unquote(ref) for ref in page.refs("a", "href") if not ref.startswith("#")}
    written = {
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and p.name != "index.html" and p.parent.name != "fonts"
    }
    assert written == linked
    # the bundles, the figures and the history among them; each score's files by its figure
    for name in ("summary.json", "history.json", *(f"{p}/model.nabi" for p in PRESETS)):
        assert name in linked, name
    files = [a.get("href") for t, a in page.tags if t == "a"]
    for preset in PRESETS:
        for mode in ("one_step", "full_song"):
            for suffix in ("pdf", "png", "svg", "mid", "ly", "mp3"):
                assert files.count(f"{preset}/{mode}.{suffix}") >= 2  # figure and list


def test_the_page_and_the_summary_hold_the_command_as_it_was_given(small_song_run) -> None:
    folder, _ = small_song_run
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    given = shlex.split(summary["command"])
    assert given[:3] == ["nabi", "song", str(NABIYA_LY)]
    assert given[3:] == [
        "--presets", "mlp,stateful-lstm", "--epochs", "150", "--instrument", "violin",
        "--svg", "--out", str(folder.parent),
    ]  # fmt: skip
    assert summary["started_from"] == "command line"
    html = (folder / "index.html").read_text(encoding="utf-8")
    block = re.search(r"<pre class=command><code>([^<]*)</code></pre>", html)
    assert block is not None
    assert html_module.unescape(block.group(1)) == summary["command"]


def test_the_hangul_font_holds_the_letters_of_the_page_and_no_reserved_name(
    small_song_run,
) -> None:
    folder, _ = small_song_run
    text = (folder / "index.html").read_text(encoding="utf-8")
    hangul = {ch for ch in text if "\uac00" <= ch <= "\ud7a3"}
    data = (folder / "fonts" / "nabi-hangul.ttf").read_bytes()
    assert hangul and len(data) < 50_000  # NanumGothic itself is 4 MB
    font = TTFont(io.BytesIO(data))
    assert {chr(c) for c in font.getBestCmap()} == hangul
    names = {r.nameID: r.toUnicode() for r in font["name"].names}
    assert names[1] == names[4] == names[6] == "nabi-hangul"  # OFL: the reserved name stays off
    assert "Open Font License" in names[13] and "NHN" in names[0]


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
    assert "Violin, 44.1 kHz mono MP3" in text


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
            "--audio-format",
            "wav",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    folder = tmp_path / "nabiya" / "mlp"
    made = sorted(p.name for p in folder.iterdir())
    assert made == sorted(
        f"{mode}.{ext}"
        for mode in ("one_step", "full_song")
        for ext in ("ly", "mid", "musicxml", "pdf", "png", "wav")
    )  # WAV on request
    with wave.open(str(folder / "one_step.wav")) as w:
        assert w.getframerate() == 44100 and w.getnframes() > 44100 * 10
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


def test_a_run_started_from_python_records_the_equivalent_command(tmp_path: Path) -> None:
    from nabi_music.media.publish import MediaOptions
    from nabi_music.music.notes import Melody
    from nabi_music.readers import read
    from nabi_music.runs.song import song_command
    from nabi_music.writers.notation import Notation

    melody = read(NABIYA_LY)[0]
    presets = ["mlp", "lstm", "stateful-lstm", "stateful-lstm-2f"]
    assert song_command(melody, presets, "outputs", media=MediaOptions()) == (
        f"nabi song {NABIYA_LY} --seed 1"
    )
    options = MediaOptions(formats=("pdf", "png", "svg"), instrument="Acoustic Guitar (nylon)",
                           audio_format="wav")  # fmt: skip
    command = song_command(
        melody, ["mlp"], tmp_path / "my runs", epochs=30, seed=4, keep="last", media=options
    )
    assert command is not None
    assert shlex.split(command) == [
        "nabi", "song", str(NABIYA_LY), "--presets", "mlp", "--epochs", "30", "--seed", "4",
        "--keep", "last", "--instrument", "Acoustic Guitar (nylon)", "--svg",
        "--audio-format", "wav", "--out", str(tmp_path / "my runs"),
    ]  # fmt: skip
    assert "--no-media" in str(song_command(melody, presets, "outputs", media=None))
    look = Notation("instrumental", original_staff=False)
    assert str(song_command(melody, presets, "outputs", notation=look)).endswith(
        "--no-media --notation instrumental --no-original-staff"
    )
    # a melody made in Python is in no file: no command repeats it
    assert song_command(Melody.from_codes(["g8", "e8"]), presets, "outputs") is None


def test_file_names_are_linked_percent_encoded_and_shown_as_they_are(tmp_path: Path) -> None:
    from nabi_music.pages.frame import file_urls, files_section, score_view

    folder = tmp_path / "page"
    (folder / "나비 #1").mkdir(parents=True)
    stem = folder / "나비 #1" / "full song?"
    for suffix in (".mid", ".mp3", ".musicxml", ".png", ".ly"):
        (stem.parent / (stem.name + suffix)).write_bytes(b"x")
    view = score_view(stem, folder, "label")
    assert [name for name, _ in view.links] == ["PNG", "MIDI", "MusicXML", "LilyPond", "MP3"]
    assert view.audio == view.links[-1][1] and view.image == view.links[0][1]
    for _, url in view.links:
        assert "#" not in url and "?" not in url and " " not in url
        assert (folder / unquote(url)).is_file()
    urls = file_urls(
        [*stem.parent.iterdir(), folder / "index.html", tmp_path / "out"], folder / "index.html"
    )
    assert sorted(unquote(u) for u in urls) == sorted(
        f"나비 #1/full song?{s}" for s in (".mid", ".mp3", ".musicxml", ".png", ".ly")
    )
    section = files_section(urls, "hint")
    assert "<dt>나비 #1/</dt>" in section and ">full song?.mp3</a>" in section
