"""LilyPond writer and render foundation, checked with the real LilyPond binary.

LilyPond takes about a second per file, so the tests compile only a handful.
Set NABI_UPDATE_GOLDEN=1 to rewrite the golden .ly file after a deliberate change.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nabi_music.errors import InputError, RenderError
from nabi_music.media.render import compile_ly, lilypond_executable
from nabi_music.music.notes import Melody
from nabi_music.writers import write, write_lilypond
from nabi_music.writers.lilypond import RECIPE_PREFIX, lilypond_source, ly_string

GOLDEN = Path(__file__).parent / "data" / "golden"

NABIYA = (
    "g8 e8 e4 f8 d8 d4 c8 d8 e8 f8 g8 g8 g4 "
    "g8 e8 e8 e8 f8 d8 d4 c8 e8 g8 g8 e8 e8 e4 "
    "d8 d8 d8 d8 d8 e8 f4 e8 e8 e8 e8 e8 f8 g4 "
    "g8 e8 e4 f8 d8 d4 c8 e8 g8 g8 e8 e8 e4"
)
# Rests, a tie, an enharmonic tie, a tie into another pitch, triplets, a note
# longer than its bar, a final tie into nothing, accidentals against the key.
TRICKY = "g8 e8 e4 r4 fis'4. c4~ c8 cis4~ des4 d4~ e4 e8*2/3 e8*2/3 e8*2/3 r8 bes,16 g1~"

_ITEM = re.compile(
    r"(?P<commands>(?:\\nabi\w+ )*)"
    r"(?P<code>[a-gr](?:is|es)*[',]*\d+\.*(?:\*\d+(?:/\d+)?)?(?:~|\\laissezVibrer)?)"
    r"(?P<markups>(?: \^\\markup(?: \\[\w-]+| #\w+)* \"(?:[^\"\\]|\\.)*\")*)"
)
_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')


def nabiya(**meta: object) -> Melody:
    base: dict[str, object] = {"title": "나비야", "key": "C major", "time_signature": "2/4"}
    base.update(meta)
    return Melody.from_codes(NABIYA, **base)


def block(source: str, opening: str) -> str:
    """The text between ``opening`` and the next line that is just ``}``."""
    start = source.index(opening) + len(opening)
    return source[start : source.index("\n}", start)]


def note_items(source: str) -> list[re.Match[str]]:
    """Each note of the melody block as a match: commands, code and markups."""
    lines = block(source, "melody = \\fixed c' {").splitlines()
    setup = re.compile(r"\\(key|time|tempo|autoBeamOff)\b")
    music = " ".join(
        line.strip() for line in lines if line.strip() and not setup.match(line.strip())
    )
    music = music.replace(" |", "")
    items = list(_ITEM.finditer(music))
    assert " ".join(m.group(0) for m in items) == music, "unparsed text in the melody block"
    return items


def lyric_syllables(source: str) -> list[str]:
    return _STRING.findall(block(source, "codes = \\lyricmode {"))


def lilypond_log(ly: Path, cwd: Path) -> str:
    """Run the binary directly and return its log (for checks on warnings)."""
    proc = subprocess.run(
        [str(lilypond_executable()), "-o", str(cwd / ly.stem), str(ly)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stderr + proc.stdout


# --- the source text --------------------------------------------------------


def test_nabiya_notes_are_written_as_their_codes() -> None:
    melody = nabiya()
    source = lilypond_source(melody)
    assert source.startswith('\\version "2.24.0"\n')
    assert "\\fixed c' {" in source
    for line in ("\\key c \\major", "\\time 2/4", "\\autoBeamOff", "tagline = ##f"):
        assert line in source
    assert 'title = "나비야"' in source
    assert "\\tempo" not in source
    assert [m["code"] for m in note_items(source)] == melody.codes
    assert len(melody.codes) == 54
    assert lyric_syllables(source) == melody.codes


def test_wrong_notes_are_red_with_the_expected_code_above() -> None:
    source = lilypond_source(nabiya(), wrong={5: "d8", 7: "e4"})
    items = note_items(source)
    red = [i for i, m in enumerate(items) if "\\nabiWrong" in m["commands"]]
    assert red == [5, 7]
    assert items[5]["markups"] == ' ^\\markup \\with-color #red \\teeny "d8"'
    assert items[7]["markups"] == ' ^\\markup \\with-color #red \\teeny "e4"'
    assert all(m["markups"] == "" for i, m in enumerate(items) if i not in (5, 7))
    definition = block(source, "nabiWrong = {")
    for grob in ("NoteHead", "Stem", "Flag", "Dots", "Accidental", "Rest"):
        assert f"\\once \\override {grob}.color = #red" in definition


def engraved(source: str) -> str:
    """``source`` without its recipe line (a comment LilyPond skips; see test_recipe_*)."""
    return "\n".join(line for line in source.split("\n") if not line.startswith(RECIPE_PREFIX))


def test_primer_notes_are_grey_and_the_first_is_labelled() -> None:
    source = engraved(lilypond_source(nabiya(), primer=4, wrong={2: "d4"}))
    items = note_items(source)
    grey = [i for i, m in enumerate(items) if "\\nabiPrimer" in m["commands"]]
    assert grey == [0, 1, 2, 3]
    assert '"primer"' in items[0]["markups"]
    assert source.count('"primer"') == 1
    # A wrong primer note is still red: the red overrides come last and win.
    assert items[2]["commands"] == "\\nabiPrimer \\nabiWrong "


def test_lyrics_are_one_per_sounding_onset() -> None:
    melody = Melody.from_codes(TRICKY, time_signature="2/4", key="G major", tempo=92.4)
    source = lilypond_source(melody)
    onsets = ["g8", "e8", "e4", "fis'4.", "c4~", "cis4~", "d4~", "e4"]
    onsets += ["e8*2/3"] * 3 + ["bes,16", "g1~"]
    assert lyric_syllables(source) == onsets
    assert len(onsets) == sum(not n.is_rest for n in melody.notes) - 2  # two held-on notes
    assert "\\tempo 4 = 92" in source
    codes = [m["code"] for m in note_items(source)]
    # Ties that reach no note of the same pitch are let-ring ties.
    assert codes[9] == "d4\\laissezVibrer"
    assert codes[-1] == "g1\\laissezVibrer"
    assert codes[:9] == melody.codes[:9]


def test_no_lyrics_when_asked() -> None:
    source = lilypond_source(nabiya(), lyrics=False)
    assert "\\lyricmode" not in source and "\\new Lyrics" not in source


def test_bar_checks_only_at_real_bar_lines() -> None:
    melody = Melody.from_codes("c4 d2 e4 f4 g8 g8 g4", time_signature="3/4")
    lines = block(lilypond_source(melody), "melody = \\fixed c' {").strip().splitlines()
    assert [line.strip() for line in lines[2:]] == ["c4 d2 |", "e4 f4 g8 g8 |", "g4"]


@pytest.mark.parametrize(
    ("text", "quoted"),
    [
        ("plain", '"plain"'),
        ('#(system "touch x")', '"#(system \\"touch x\\")"'),
        ("back\\slash", '"back\\\\slash"'),
        ("two\nlines\r\tand\x00nul", '"two lines  and nul"'),
        ('end\\"', '"end\\\\\\""'),
        ("나비야", '"나비야"'),
    ],
)
def test_ly_string_escapes(text: str, quoted: str) -> None:
    assert ly_string(text) == quoted


@given(st.text())
def test_ly_string_is_always_one_closed_string(text: str) -> None:
    quoted = ly_string(text)
    assert _STRING.fullmatch(quoted)
    assert "\n" not in quoted and "\r" not in quoted
    inner = re.sub(r"\\(.)", "", quoted[1:-1])
    assert '"' not in inner and "\\" not in inner


def test_header_text_cannot_leave_its_string() -> None:
    evil = 'x"\n#(system "touch x")\n"'
    source = engraved(lilypond_source(nabiya(), title=evil, subtitle=evil, wrong={0: evil}))
    assert source.count("system") == 3
    outside_strings = _STRING.sub('""', source)
    assert "system" not in outside_strings
    assert "#(" not in outside_strings


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"wrong": {54: "c4"}}, "outside the melody"),
        ({"wrong": {-1: "c4"}}, "outside the melody"),
        ({"primer": 55}, "primer"),
    ],
)
def test_bad_arguments_are_input_errors(kwargs: dict, message: str) -> None:
    with pytest.raises(InputError, match=message):
        lilypond_source(nabiya(), **kwargs)


def test_empty_melody_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="empty"):
        write_lilypond(Melody(notes=()), tmp_path / "e.ly")
    assert os.listdir(tmp_path) == []


def test_golden_prediction_file(tmp_path: Path) -> None:
    text = lilypond_source(
        nabiya(tempo=100),
        wrong={5: "d8", 7: "e4"},
        subtitle="stateful-lstm — one-step prediction",
        subsubtitle="2 of 50 wrong — 96%",
        primer=4,
    )
    golden = GOLDEN / "nabiya_one_step.ly"
    if os.environ.get("NABI_UPDATE_GOLDEN"):
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


# --- with the LilyPond binary -----------------------------------------------


def test_prediction_compiles_and_colours_exactly_the_marked_notes(tmp_path: Path) -> None:
    ly = write(
        nabiya(tempo=100),
        tmp_path / "nabiya.ly",
        wrong={5: "d8", 7: "e4"},
        subtitle="stateful-lstm — one-step prediction",
        subsubtitle="2 of 50 wrong — 96%",
        primer=4,
    )
    made = compile_ly(ly, tmp_path / "out", formats=("pdf", "svg"))
    assert sorted(p.name for p in made) == ["nabiya.pdf", "nabiya.svg"]
    pdf = tmp_path / "out" / "nabiya.pdf"
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 1024
    assert set(os.listdir(tmp_path / "out")) == {"nabiya.pdf", "nabiya.svg"}
    svg = (tmp_path / "out" / "nabiya.svg").read_text(encoding="utf-8")
    # Red (Cairo SVG): d4 (head, stem) and d8 (head, stem, flag), and the two expected codes.
    assert svg.count("fill:rgb(100%,0%,0%)") == 7
    # Grey: the primer g8 e8 e4 f8 (four heads, four stems, three flags).
    assert svg.count("fill:rgb(50%,50%,50%)") == 11


def test_tricky_melody_compiles_without_errors_or_warnings(tmp_path: Path) -> None:
    melody = Melody.from_codes(TRICKY, title="ties", time_signature="2/4", key="G major")
    ly = write_lilypond(melody, tmp_path / "tricky.ly", wrong={3: "a4", 16: "g2"}, primer=2)
    log = lilypond_log(ly, tmp_path)
    assert "error:" not in log
    assert [line for line in log.splitlines() if "warning:" in line] == []
    assert (tmp_path / "tricky.pdf").stat().st_size > 1024


def test_titles_cannot_run_scheme(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    payload = '#(system "touch x")'
    ly = write_lilypond(
        nabiya(),
        tmp_path / "evil.ly",
        title=payload,
        subtitle='"' + payload,
        subsubtitle="\\" + payload,
        wrong={0: payload + '"'},
    )
    made = compile_ly(ly, tmp_path, formats=("png",))
    assert [p.name for p in made] == ["evil.png"]
    assert made[0].read_bytes().startswith(b"\x89PNG")
    assert not (tmp_path / "x").exists()
    assert not Path("x").exists()


def test_compile_errors_carry_lilypond_error_lines(tmp_path: Path) -> None:
    ly = tmp_path / "broken.ly"
    ly.write_text('\\version "2.24.0"\n\\fixed c\' {\n  c4 d4 \\nosuchcommand e4\n}\n')
    with pytest.raises(RenderError) as info:
        compile_ly(ly, tmp_path)
    message = str(info.value)
    assert re.search(r"broken\.ly:3:9: error: unknown command", message), message
    assert "Traceback" not in message
    assert os.listdir(tmp_path) == ["broken.ly"]


def test_safe_mode_runs_no_scheme(tmp_path: Path) -> None:
    (tmp_path / "unsafe").mkdir()
    (tmp_path / "safe").mkdir()

    def source(folder: Path) -> str:
        pwned = str(folder / "pwned").replace("\\", "\\\\").replace('"', '\\"')
        return f'\\version "2.24.0"\n#(system "touch \'{pwned}\'")\n\\fixed c\' {{ c4 }}\n'

    # Without safe mode LilyPond runs the Scheme: the test's payload is real.
    (tmp_path / "unsafe" / "p.ly").write_text(source(tmp_path / "unsafe"))
    compile_ly(tmp_path / "unsafe" / "p.ly")
    assert (tmp_path / "unsafe" / "pwned").exists()

    # Safe mode (LilyPond 2.24 has none of its own) engraves nabi_music's own writing
    # of the melody it reads in the file: the c4, and no Scheme.
    (tmp_path / "safe" / "p.ly").write_text(source(tmp_path / "safe"))
    made = compile_ly(tmp_path / "safe" / "p.ly", safe=True, formats=("svg",))
    assert not (tmp_path / "safe" / "pwned").exists()
    assert sorted(p.name for p in (tmp_path / "safe").iterdir()) == ["p.ly", "p.svg"]
    assert made == [tmp_path / "safe" / "p.svg"]


def test_compile_ly_rejects_unknown_formats_and_missing_files(tmp_path: Path) -> None:
    ly = tmp_path / "a.ly"
    ly.write_text("{ c4 }")
    with pytest.raises(RenderError, match="expected one or more of pdf, png, svg"):
        compile_ly(ly, formats=("gif",))
    with pytest.raises(RenderError, match="no LilyPond file"):
        compile_ly(tmp_path / "missing.ly")


def test_compile_ly_stops_lilypond_after_the_timeout(tmp_path: Path) -> None:
    ly = write_lilypond(nabiya(), tmp_path / "slow.ly")
    with pytest.raises(RenderError, match=r"longer than 0\.01 s"):
        compile_ly(ly, timeout=0.01)
    assert os.listdir(tmp_path) == ["slow.ly"]


def test_lilypond_executable_is_the_packaged_binary() -> None:
    exe = lilypond_executable()
    assert exe.is_file() and os.access(exe, os.X_OK)
