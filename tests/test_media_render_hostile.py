"""Hostile scores handed to `nabi render`: none may run Scheme or write outside the
output folder, whatever it hides from a reader of LilyPond's text.

Each file tries to create a marker file (by Scheme, by an included file, or by
LilyPond's own output settings). Rendered without ``--trust``, LilyPond only ever
sees what nabi_music's writer makes of the file, so every one must either be
engraved as the melody nabi_music reads in it or be refused with one line, and
the marker must not appear.
"""

from __future__ import annotations

import json
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest
from helpers import NABIYA, ROOT

from nabi_music.errors import NabiError
from nabi_music.media.render import render_files
from nabi_music.music.notes import Melody
from nabi_music.writers.lilypond import RECIPE_PREFIX, write_lilypond

MELODY = "\\fixed c' { c4 d4 e4 f4 }"

HOSTILE = {
    # a '%' inside a lyric word or a markup looks like a comment to a text filter
    "percent-in-lyrics": '{melody}\n\\addlyrics {{ 50%off #(system "touch {marker}") }}\n',
    "percent-in-markup": '\\markup {{ 100% #(system "touch {marker}") }}\n{melody}\n',
    "percent-in-string-then-code": '\\header {{ title = "a%b" }} #(system "touch {marker}")\n'
    "{melody}\n",
    # a Guile comment hides what follows from a filter that skips Scheme values
    "guile-comment-hides-include": '#\'(a ; )\n)\n\\include "{payload}"\n{melody}\n',
    "guile-block-comment": '#(begin #| \\include |# (system "touch {marker}"))\n{melody}\n',
    "include-absolute": '\\include "{payload}"\n{melody}\n',
    "dollar-scheme": '$(system "touch {marker}")\n{melody}\n',
    "embedded-lilypond-scheme": '#{{ c4 #}} #(ly:system "touch {marker}")\n{melody}\n',
    "scheme-in-music": '\\fixed c\' {{ c4 #(system "touch {marker}") d4 }}\n',
    # LilyPond's own settings that write output elsewhere
    "output-filename": '\\paper {{ output-filename = "{outside}" }}\n{melody}\n',
    "output-suffix": '\\paper {{ output-suffix = "../../escaped" }}\n{melody}\n',
    "book-output-name": '\\book {{ \\bookOutputName "{outside}" \\score {{ {melody} }} }}\n',
    "verbatim-file": '\\markup \\verbatim-file "/etc/passwd"\n{melody}\n',
}


def _files(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_a_hostile_score_runs_nothing_and_writes_only_into_its_folder(
    tmp_path: Path, name: str
) -> None:
    marker = tmp_path / "MARKER"
    payload = tmp_path / "payload.ly"
    payload.write_text(f'#(system "touch {marker}")\n', encoding="utf-8")
    outside = tmp_path / "outside"
    ly = tmp_path / "in" / f"{name}.ly"
    ly.parent.mkdir()
    text = HOSTILE[name].format(melody=MELODY, marker=marker, payload=payload, outside=outside)
    ly.write_text('\\version "2.24.0"\n' + text, encoding="utf-8")
    out = tmp_path / "out"
    before = _files(tmp_path)
    try:
        rendered = render_files([ly], ("pdf", "png"), out_dirs=[out])
    except NabiError as error:  # refused: one line, nothing written
        assert "\n" not in str(error)
        assert _files(tmp_path) == before
    else:
        assert rendered[0].get("pdf") == out / f"{name}.pdf"
        assert _files(tmp_path) - before == {out / f"{name}.pdf", out / f"{name}.png"}
    assert not marker.exists()
    assert not list(tmp_path.parent.glob("escaped*"))


def test_a_recipe_is_data_and_its_texts_stay_strings(tmp_path: Path) -> None:
    """A forged recipe can only say what the writer writes: codes are checked against
    the note-code grammar, texts are escaped strings, and a wrong type is refused."""
    marker = tmp_path / "MARKER"
    scheme = f'#(system "touch {marker}")'
    recipe = {
        "codes": ["c4", "d4", "e4"],
        "title": f'" {scheme} "',
        "options": {"subtitle": "\\" + scheme, "wrong": [[1, f'"{scheme}']], "primer": 1},
    }
    ly = tmp_path / "forged.ly"
    ly.write_text(f"{RECIPE_PREFIX}{json.dumps(recipe)}\n{scheme}\n", encoding="utf-8")
    rendered = render_files([ly], ("pdf",))
    assert rendered[0].get("pdf") is not None
    assert any("changed since nabi_music wrote it" in w for w in rendered[0].warnings)
    assert not marker.exists()
    rendered[0].files[0].unlink()

    for bad, why in [
        ({"codes": ["c4", f"{scheme}"]}, "invalid note code"),
        ({"codes": ["c4"], "title": ["x"]}, "recipe field 'title' must be str"),
        ({"codes": ["c4"], "tempo": 1e400}, "recipe field 'tempo' must be finite"),
        ({"codes": ["c4"], "options": {"wrong": [[0]]}}, "expected [index, code]"),
        ({"codes": ["c4"], "options": {"primer": 9}}, "primer must be from 0 to 1"),
        ({"codes": ["c4"], "key": "H major"}, "key"),
        ({"codes": []}, "holds no list of note codes"),
        ({"codes": ["c4"], "header": [["composer"]]}, "expected [name, text]"),
        ({"codes": ["c4"], "pickup": "1/0"}, "recipe field 'pickup' must be a fraction"),
        ({"codes": ["c4"], "time_signature": "2/4", "pickup": "9"}, "upbeat"),
        ({"codes": ["c4"], "options": {"reference": [1]}}, "'reference' holds no list"),
        ({"codes": ["c4"], "options": {"style": "opera"}}, "notation style 'opera'"),
        ({"codes": ["c4"], "options": {"line_bars": 0}}, "bars per line"),
    ]:
        ly.write_text(f"{RECIPE_PREFIX}{json.dumps(bad)}\n", encoding="utf-8")
        with pytest.raises(NabiError, match=r"forged\.ly") as info:
            render_files([ly], ("pdf",))
        assert why in str(info.value), (bad, str(info.value))
        assert sorted(p.name for p in tmp_path.iterdir()) == ["forged.ly"]


def test_files_nabi_music_writes_are_engraved_exactly_as_written(tmp_path: Path) -> None:
    """The recipe writes every file of the writer again byte for byte: rendering one of
    them without --trust engraves the file as it is, highlighting and all."""
    from nabi_music.writers.lilypond import source_from_recipe

    melody = Melody.from_codes(
        [*NABIYA[:10], "r8", "fis'4.", "c4~", "c16"],
        title='나비야 \\ "quoted"',
        key="G major",
        time_signature="2/4",
        tempo=100,
        header=(("subtitle", "Butterfly"), ("composer", 'x" #(system "y")')),
        pickup=Fraction(1, 2),
    )
    for options in [
        {},
        {"wrong": {4: "e8", 11: "g4"}, "primer": 4, "subtitle": "lstm", "subsubtitle": "x"},
        {"title": "", "lyrics": False},
        {"reference": melody.with_notes(melody.notes[::-1]), "style": "instrumental"},
        {"line_bars": 2, "wrong": {0: "a8~"}, "lyrics": True},
    ]:
        ly = write_lilypond(melody, tmp_path / "p.ly", **options)
        text = ly.read_text(encoding="utf-8")
        assert source_from_recipe(text, str(ly)) == text


def test_a_stopped_render_leaves_no_lilypond_behind(tmp_path: Path) -> None:
    """SIGTERM (as `timeout` and CI runners send it) stops LilyPond's process group too."""
    import os
    import signal
    import time

    ly = tmp_path / "long.ly"
    notes = " ".join(["c'16 d' e' f' g' a' b' c''"] * 4000)
    ly.write_text(f'\\version "2.24.0"\n{{ {notes} }}\n', encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "nabi_music.cli", "render", str(ly), "--trust", "--png"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )

    def lilyponds() -> list[str]:
        found = []
        for pid in os.listdir("/proc"):
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
            except (FileNotFoundError, ProcessLookupError, PermissionError, NotADirectoryError):
                continue
            if b"lilypond" in cmdline and str(tmp_path).encode() in cmdline:
                found.append(pid)
        return found

    deadline = time.monotonic() + 60
    while not lilyponds() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.1)
    assert lilyponds(), "LilyPond never started"
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM, stderr
    assert "terminated" in stderr and "Traceback" not in stderr
    time.sleep(0.5)
    assert not lilyponds()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["long.ly"]
