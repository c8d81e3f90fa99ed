"""LilyPond writer and render foundation, checked with the real LilyPond binary.

LilyPond takes about a second per file, so the tests compile only a handful.
Set NABI_UPDATE_GOLDEN=1 to rewrite the golden .ly file after a deliberate change.
"""

from __future__ import annotations

import os
import re
import subprocess
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nabi_music.errors import InputError, RenderError
from nabi_music.media.render import compile_ly, lilypond_executable
from nabi_music.music.notes import Melody, parse_code, parse_codes
from nabi_music.writers import write, write_lilypond
from nabi_music.writers.lilypond import RECIPE_PREFIX, bars_per_line, lilypond_source, ly_string

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


def note_items(source: str, opening: str = "melody = \\fixed c' {") -> list[re.Match[str]]:
    """Each written note of a music block as a match: commands, code and markups."""
    lines = block(source, opening).splitlines()
    setup = re.compile(r"\\(key|time|tempo|autoBeamOff|partial)\b")
    music = " ".join(
        line.strip() for line in lines if line.strip() and not setup.match(line.strip())
    )
    music = music.replace(" | \\break", "").replace(" |", "").replace(' \\bar "|."', "")
    music = re.sub(r" ?\bs\d+\.*", "", music).strip()
    items = list(_ITEM.finditer(music))
    assert " ".join(m.group(0) for m in items) == music, "unparsed text in the melody block"
    return items


def bars_of(source: str, opening: str = "melody = \\fixed c' {") -> list[str]:
    """The music of a block cut at its bar checks (setup and final bar line left out)."""
    body = block(source, opening)
    body = re.sub(r"\\(key \w+ \\\w+|time \d+/\d+|tempo 4 = \d+|autoBeamOff|partial \S+)", "", body)
    body = body.replace("\\break", "").replace('\\bar "|."', "")
    return [" ".join(b.split()) for b in body.split("|") if b.strip()]


def lyric_syllables(source: str) -> list[str]:
    """The sung codes; a ``~`` is written as its character in a markup."""
    text = block(source, "codes = \\lyricmode {")
    text = re.sub(r'\\markup \\concat \{ ("[^"]*") \\char ##x7E \}', r"\1~", text)
    return [m.group(1) + m.group(2) for m in re.finditer(r'"((?:[^"\\]|\\.)*)"(~?)', text)]


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
    # Ties that reach no note of the same pitch are let-ring ties; notes that cross a
    # bar line are written as tied pieces (r4 and fis'4. here, and the final g1~).
    assert codes[:5] == ["g8", "e8", "e4", "r4", "fis'4~"]
    assert codes[5:8] == ["fis'8", "c4~", "c8"]
    assert "d4\\laissezVibrer" in codes
    assert codes[-1].endswith("\\laissezVibrer") and codes[-2].startswith("g")
    assert '\\markup \\concat { "c4" \\char ##x7E }' in source  # not a lyric tie


def test_no_lyrics_when_asked() -> None:
    source = lilypond_source(nabiya(), lyrics=False)
    assert "\\lyricmode" not in source and "\\new Lyrics" not in source


def test_bar_checks_at_every_bar_line_and_final_bar_line() -> None:
    melody = Melody.from_codes("c4 d2 e4 f4 g8 g8 g4", time_signature="3/4")
    source = lilypond_source(melody)
    assert bars_of(source) == ["c4 d2", "e4 f4 g8 g8", "g4"]
    assert block(source, "melody = \\fixed c' {").rstrip().endswith('\\bar "|."')


WRONG_RHYTHM = "g8 e8 e4 f8 g4 d4 c4. d8 e2 r8 e8*2/3 e8*2/3 e8*2/3 g2 g1"


@pytest.mark.parametrize("time", ["2/4", "3/4", "6/8", "4/4", "5/8"])
def test_notes_that_cross_a_bar_line_are_split_and_tied(time: str) -> None:
    melody = Melody.from_codes(WRONG_RHYTHM, time_signature=time)
    num, den = (int(x) for x in time.split("/"))
    bar = Fraction(4 * num, den)
    wrong = {4: "d8", 7: "e4"}
    source = lilypond_source(melody, wrong=wrong, lyrics=True)
    bars = bars_of(source)
    for text in bars[:-1]:  # every bar full, by the durations written in it
        items = [
            parse_code(word.split("\\")[0].rstrip("~"))
            for word in text.split()
            if re.match(r"[a-gr]", word)
        ]
        assert sum((n.duration for n in items), Fraction(0)) == bar, (time, text)
    items = note_items(source)
    assert sum((parse_code(m["code"].split("\\")[0]).duration for m in items), Fraction(0)) == (
        melody.quarter_length
    )
    # The colour on every piece of a wrong note, its expected code on the first only.
    pieces = [i for i, m in enumerate(items) if "\\nabiWrong" in m["commands"]]
    marked = [i for i, m in enumerate(items) if "\\with-color #red" in m["markups"]]
    assert len(marked) == 2 and set(marked) <= set(pieces)
    assert len(pieces) >= 2
    # One lyric per note onset: the model's codes, never the pieces.
    assert lyric_syllables(source) == [c for c in melody.codes if not c.startswith("r")]


def test_an_upbeat_is_a_partial_and_the_bars_count_from_it() -> None:
    melody = Melody.from_codes("d8 g4 e8 e8 f8 d4 d8", time_signature="2/4", pickup=Fraction(1, 2))
    source = lilypond_source(melody)
    assert "\\partial 8" in source
    assert bars_of(source) == ["d8", "g4 e8 e8", "f8 d4 d8"]
    dotted = Melody.from_codes("d8 d16 g4", time_signature="3/4", pickup=Fraction(3, 4))
    assert "\\partial 8." in lilypond_source(dotted)
    odd = Melody.from_codes("d16 d4 g4 g4", time_signature="4/4", pickup=Fraction(5, 4))
    assert "\\partial 16*5" in lilypond_source(odd)
    with pytest.raises(InputError, match="upbeat"):
        lilypond_source(Melody.from_codes("c4", time_signature="2/4", pickup=Fraction(3)))


def test_the_header_keeps_the_sources_fields_and_the_given_lines() -> None:
    melody = nabiya(
        header=(("subtitle", "Butterfly"), ("composer", "Traditional"), ("bad name", "x"))
    )
    source = engraved(lilypond_source(melody, subsubtitle="lstm — one-step prediction"))
    header = block(source, "\\header {")
    assert 'title = "나비야"' in header and 'subtitle = "Butterfly"' in header
    assert 'composer = "Traditional"' in header
    assert 'subsubtitle = "lstm — one-step prediction"' in header
    assert "bad" not in header
    replaced = engraved(lilypond_source(melody, subtitle="the original melody"))
    assert "Butterfly" not in replaced


def test_the_original_is_a_smaller_staff_above_with_the_same_bars() -> None:
    original = nabiya()
    predicted = original.with_notes(parse_codes("g8 e8 e4 f8 d4. c8 d8 e8 f8 g8 g8 g4"))
    source = lilypond_source(predicted, reference=original, wrong={4: "d8"})
    top, bottom = (
        source.index("\\new Staff \\with { \\magnifyStaff #2/3"),
        source.index('\\new Voice = "melody"'),
    )
    assert "\\new StaffGroup" in source and top < bottom
    assert [m["code"] for m in note_items(source, "original = \\fixed c' {")] == original.codes
    # The shorter staff is padded with spacers to the longer one's end.
    assert len(bars_of(source)) == len(bars_of(source, "original = \\fixed c' {"))
    assert "\\nabiWrong" not in block(source, "original = \\fixed c' {")


def test_lines_hold_the_same_number_of_bars_chosen_from_the_metre() -> None:
    source = lilypond_source(nabiya(), line_bars=4)
    breaks = [b for b in block(source, "melody = \\fixed c' {").splitlines() if "\\break" in b]
    assert len(bars_of(source)) == 16 and len(breaks) == 3  # 16 bars: 4 lines of 4
    assert "line-break-permission = ##f" in source
    assert bars_per_line([nabiya()]) == 4  # 2/4 in eighths: 4 bars of 16 notes a line
    assert bars_per_line([nabiya()], "instrumental") == 8
    dense = Melody.from_codes("c16 " * 64, time_signature="4/4")
    assert bars_per_line([dense]) == 1 and bars_per_line([dense, nabiya()]) == 1
    assert bars_per_line([Melody.from_codes("c2 " * 16, time_signature="3/2")]) == 2


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
