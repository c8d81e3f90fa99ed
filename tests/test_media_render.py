"""Engraving with the real LilyPond binary: colours checked in the pixels, Hangul
titles, batches of same-named files, `nabi render`, and hostile scores that must run
nothing and write nowhere else."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers import NABIYA, ROOT
from PIL import Image

from nabi_music.errors import RenderError
from nabi_music.media import render as render_module
from nabi_music.media.render import render_file, render_files
from nabi_music.music.notes import Melody
from nabi_music.writers.lilypond import write_lilypond

RED_SVG = "fill:rgb(100%,0%,0%)"


def nabiya() -> Melody:
    return Melody.from_codes(NABIYA, title="나비야", time_signature="2/4", key="C major", tempo=100)


def red_pixels(png: Path) -> int:
    rgb = np.asarray(Image.open(png).convert("RGB")).astype(int)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    return int(((r > 180) & (g < 90) & (b < 90)).sum())


def blue_pixels(png: Path) -> int:
    rgb = np.asarray(Image.open(png).convert("RGB")).astype(int)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    return int(((b > 180) & (g < 90) & (r < 90)).sum())


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A prediction with wrong notes and a perfect one, rendered in one call."""
    folder = tmp_path_factory.mktemp("render")
    wrong = write_lilypond(
        nabiya(),
        folder / "wrong" / "one_step.ly",
        wrong={5: "d8", 7: "e4", 20: "g8"},
        subtitle="mlp — one-step prediction",
        primer=4,
    )
    right = write_lilypond(
        nabiya(),
        folder / "right" / "one_step.ly",
        subtitle="stateful-lstm — one-step prediction",
        primer=4,
    )
    results = render_files([wrong, right], ("pdf", "png", "svg"))
    return {
        "wrong": wrong.parent,
        "right": right.parent,
        "warnings": [w for r in results for w in r.warnings],  # type: ignore[dict-item]
    }


def test_same_named_files_render_into_their_own_folders(rendered: dict[str, Path]) -> None:
    for key in ("wrong", "right"):
        names = sorted(p.name for p in rendered[key].iterdir())
        assert names == ["one_step.ly", "one_step.pdf", "one_step.png", "one_step.svg"]
    assert rendered["warnings"] == []


def test_wrong_notes_are_red_in_png_and_svg(rendered: dict[str, Path]) -> None:
    png = rendered["wrong"] / "one_step.png"
    with Image.open(png) as im:
        assert im.mode == "RGB" and im.width > 600
    # three red notes (heads, stems, flags) and their expected codes above them
    assert red_pixels(png) > 300
    assert blue_pixels(png) == 0  # LilyPond's Cairo PNG swaps red and blue: corrected
    svg = (rendered["wrong"] / "one_step.svg").read_text(encoding="utf-8")
    assert svg.count(RED_SVG) >= 3 * 2 + 3  # head and stem of each, and the 3 codes


def test_a_perfect_prediction_has_no_red_at_all(rendered: dict[str, Path]) -> None:
    assert red_pixels(rendered["right"] / "one_step.png") == 0
    svg = (rendered["right"] / "one_step.svg").read_text(encoding="utf-8")
    assert RED_SVG not in svg
    assert "fill:rgb(50%,50%,50%)" in svg  # the grey primer notes


def test_png_is_cropped_with_a_white_margin(rendered: dict[str, Path]) -> None:
    rgb = np.asarray(Image.open(rendered["right"] / "one_step.png").convert("L"))
    h, w = rgb.shape
    assert w < 1400 and h < 700  # cropped to the music, not an A4 page (1240 x 1754)
    margin = render_module.PNG_MARGIN
    assert rgb[:margin].min() == 255 and rgb[:, :margin].min() == 255
    assert rgb[margin : margin + 40].min() < 100  # the title's ink starts right after


def test_hangul_title_is_engraved_with_the_bundled_font(rendered: dict[str, Path]) -> None:
    pdf = (rendered["right"] / "one_step.pdf").read_bytes()
    assert pdf.startswith(b"%PDF")
    fonts = set(re.findall(rb"/FontName\s*/[A-Z]{6}\+([A-Za-z0-9-]+)", pdf))
    assert any(f.startswith(b"NanumGothic") for f in fonts), fonts
    assert not any("no glyph" in w for w in rendered["warnings"])  # type: ignore[attr-defined]


def test_titles_with_scheme_run_nothing_through_the_pipeline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    target = tmp_path / "x"
    payload = f'#(system "touch {target}")'
    ly = write_lilypond(
        nabiya(),
        tmp_path / "evil.ly",
        title=payload,
        subtitle='"' + payload,
        subsubtitle="\\" + payload,
        wrong={6: payload + '"', 8: "$(system)"},
    )
    made = render_file(ly, ("png",))
    assert made.get("png") is not None and red_pixels(made.files[0]) > 0
    assert not target.exists()
    assert not Path("x").exists()


def test_files_are_rendered_in_at_most_jobs_processes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[list[str]] = []
    real = subprocess.Popen

    def counting(cmd: list[str], **kwargs: object) -> subprocess.Popen[bytes]:
        started.append(cmd)
        return real(cmd, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(render_module.subprocess, "Popen", counting)
    short = Melody.from_codes(NABIYA[:8], title="t")
    files = [write_lilypond(short, tmp_path / f"p{k}" / "full_song.ly") for k in range(5)]
    results = render_files(files, ("pdf",), jobs=2)
    assert len(started) == 2
    assert [r.files for r in results] == [(f.with_suffix(".pdf"),) for f in files]


def test_a_failing_file_reports_its_error_lines_and_writes_nothing(tmp_path: Path) -> None:
    good = write_lilypond(Melody.from_codes(NABIYA[:8]), tmp_path / "good.ly")
    bad = tmp_path / "sub" / "bad.ly"
    bad.parent.mkdir()
    bad.write_text('\\version "2.24.0"\n{ c4 \\nosuchcommand }\n', encoding="utf-8")
    with pytest.raises(RenderError) as info:
        render_files([good, bad], ("pdf", "png"), trusted=True)
    message = str(info.value)
    assert f"{bad}:2:" in message and "error: unknown command" in message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["good.ly", "sub"]
    assert sorted(p.name for p in bad.parent.iterdir()) == ["bad.ly"]


# --- the `nabi render` command --------------------------------------------------


def nabi(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nabi_music.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )


def test_nabi_render_writes_the_formats_asked_for(tmp_path: Path) -> None:
    ly = write_lilypond(nabiya(), tmp_path / "song.ly")
    result = nabi("render", str(ly), "--png", "--svg", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["song.ly", "song.png", "song.svg"]
    assert "wrote song.png" in result.stdout  # relative to where the user stands


def test_nabi_render_engraves_its_own_reading_of_a_foreign_file_unless_trusted(
    tmp_path: Path,
) -> None:
    ly = tmp_path / "foreign.ly"
    ly.write_text('\\version "2.24.0"\n#(define x 1)\n\\fixed c\' { c4 d4 }\n', encoding="utf-8")
    own = nabi("render", str(ly), "--svg", cwd=tmp_path)
    assert own.returncode == 0, own.stderr
    assert "not written by nabi_music" in own.stderr and "--trust" in own.stderr
    svg = (tmp_path / "foreign.svg").read_text(encoding="utf-8")
    assert svg.count("<path") > 10  # the staff, clef and the two notes are engraved
    trusted = nabi("render", str(ly), "--trust", "--pdf", "--out", "out", cwd=tmp_path)
    assert trusted.returncode == 0, trusted.stderr
    assert (tmp_path / "out" / "foreign.pdf").is_file()


def test_nabi_render_shows_lilypond_errors_without_a_traceback(tmp_path: Path) -> None:
    ly = tmp_path / "broken.ly"
    ly.write_text('\\version "2.24.0"\n{ c4 d4 \\nosuchcommand }\n', encoding="utf-8")
    result = nabi("render", str(ly), "--trust", cwd=tmp_path)
    assert result.returncode == 1
    assert re.search(r"broken\.ly:2:\d+: error: unknown command", result.stderr)
    assert "Traceback" not in result.stderr


def test_two_files_that_would_overwrite_each_other_are_refused(tmp_path: Path) -> None:
    short = Melody.from_codes(NABIYA[:8])
    a = write_lilypond(short, tmp_path / "a" / "x.ly")
    b = write_lilypond(short, tmp_path / "b" / "x.ly")
    with pytest.raises(RenderError, match=r"would both be rendered to .*out/x\.\*"):
        render_files([a, b], out_dirs=[tmp_path / "out"] * 2)
    assert not (tmp_path / "out").exists()
