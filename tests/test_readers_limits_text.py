"""The text readers (LilyPond ``.ly``, note codes ``.txt``) against hostile and huge input.

Every file is read or refused with one line that names it (and the limit, where a limit
refuses it), in time and memory bounded by its size, never by a number written in it: a
repeat of a billion, a note a billion bars long, a tuplet of a billion, a file of ten
million codes. The ``nabi`` runs are each capped (:mod:`isolated`: 10 s of CPU, 1 GB
more memory), so that a regression fails here instead of hanging.
"""

from __future__ import annotations

import warnings
from fractions import Fraction
from pathlib import Path

import pytest
from helpers import assert_reads_or_refuses
from isolated import Outcome, assert_answered, run_isolated

from nabi_music.errors import InputError, NabiWarning, ParseError
from nabi_music.readers import limits, read

LEVELS = list(zip("abcdefghijklmnopqrs", "bcdefghijklmnopqrst", strict=True))
NOTES = "raise it with --limit notes=N if you mean it"
NOTE_WHOLES = "over the limit of 256; raise it with --limit note_wholes=N"
BARS = "over the limit of 10,000; raise it with --limit bars=N"

#: name -> (text, what the one error line must hold). Each file is a few bytes, or is
#: written at test time (a callable making the text).
LILYPOND = {
    "rest_a_billion": (
        "{ c4 r1*1000000000 g4 }",
        f":1: whole notes in one note or rest: 1,000,000,000, {NOTE_WHOLES}",
    ),
    "note_a_billion": ("{ c1*1000000000 }", "whole notes in one note or rest: 1,000,000,000, "),
    "skip_a_billion": ("{ s1*1000000000 c4 }", NOTE_WHOLES),
    "multi_rest_a_billion": ("{ R1*1000000000 c4 }", NOTE_WHOLES),
    "pickup_a_billion": ("{ \\partial 1*1000000000 c4 }", "whole notes in the \\partial"),
    "tuplet_a_billion": ("{ \\tuplet 1/1000000000 { c4 } d4 }", NOTE_WHOLES),
    "times_a_billion": ("{ \\times 1000000000/1 { c4 } d4 }", NOTE_WHOLES),
    "scale_a_billion": ("{ \\scaleDurations 1000000000/1 { c4 } }", NOTE_WHOLES),
    "unfold_empty": (
        "{ \\repeat unfold 1000000000 { } c4 }",
        "notes, commands and passes once \\repeat unfold 1000000000 is played out",
    ),
    "unfold_time_changes": (
        "{ \\repeat unfold 100000000 { \\time 3/4 } c4 }",
        "once \\repeat unfold 100000000 is played out",
    ),
    "volta_a_million": (
        "{ \\repeat volta 1000000 { c4 } }",
        f"notes once \\repeat volta 1000000 is played out: 1,000,000, over the limit of "
        f"100,000; {NOTES}",
    ),
    "percent_a_million": ("{ \\repeat percent 1000000 { c4 d4 } }", "\\repeat percent 1000000"),
    "tremolo_a_million": ("{ \\repeat tremolo 1000000 c16 }", "\\repeat tremolo 1000000"),
    "nested_unfolds": (
        "{\n\\repeat unfold 1000 {\n\\repeat unfold 1000 { c4 } } }",
        f":2: notes once \\repeat unfold 1000 is played out: 1,000,000, over the limit of "
        f"100,000; {NOTES}",
    ),
    "variables_doubling": (
        "levela = { c4 d4 }\n"
        + "".join(f"level{b} = {{ \\level{a} \\level{a} }}\n" for a, b in LEVELS)
        + "{ \\levelt }\n",
        f":18: notes once \\levelq is played out: 131,072, over the limit of 100,000; {NOTES}",
    ),
    "many_unfolds_side_by_side": (
        lambda: "<< " + "\\new Staff { \\repeat unfold 90000 c4 } " * 200 + ">>",
        "notes, commands and passes added by playing out repeats and variables",
    ),
    "time_changes_then_a_long_skip": (
        lambda: "{ " + "\\time 1/64 " * 3000 + " s1*100000 c4 }",
        f"whole notes in one note or rest: 100,000, {NOTE_WHOLES}",
    ),
    "bars_of_a_64th": ("{ \\time 1/64 s1*200 c4 }", f": bars: 12,816, {BARS}"),
    "bars_played_out": (
        "{ \\repeat unfold 200 { c1*64 } }",
        f"bars once the repeats are played out: 12,800, {BARS}",
    ),
    "written_notes": (
        lambda: "{ " + "c4 " * 100_001 + "}",
        f"notes written in the file (all parts and chords): 100,001, over the limit of "
        f"100,000; {NOTES}",
    ),
    "chord_of_many": (
        lambda: "{ <" + "c " * 100_001 + ">4 }",
        "notes written in the file (all parts and chords): 100,001",
    ),
    "many_lines": (
        lambda: "{ c4 }" + "\n" * 1_010_000,
        ":1009995: tokens and lines in the file (10 per note allowed, and 10,000 more): "
        f"1,010,001, over the limit of 1,010,000; {NOTES}",
    ),
    "many_comments": (lambda: "{ c4 }\n" + "% x\n" * 600_000, "tokens and lines in the file"),
    "many_scheme_numbers": (
        lambda: "x = #'(" + "1 " * 600_000 + ")\n{ c4 }",
        "tokens and lines in the file",
    ),
    "tuplets_too_fine": (
        "{ \\tuplet 999999937/1 { c4 } \\tuplet 999999929/1 { c4 } \\tuplet 999999893/1 { c4 } }",
        "the durations divide the beat too finely to follow",
    ),
    "dots": ("{ c4" + "." * 100_000 + " }", ":1:13: a duration with 9 dots"),
    "digits": ("{ c4*" + "9" * 5000 + " }", ":1:5: a number of 5,000 digits"),
    "repeat_digits": ("{ \\repeat unfold " + "9" * 5000 + " { c4 } }", "a number of 5,000 digits"),
    "time_over_zero": ("{ \\time 3/0 c4 }", ":1:9: the fraction 3/0 divides by zero"),
    "factor_over_zero": ("{ c4*1/0 }", ":1:5: the fraction *1/0 divides by zero"),
    "tuplet_zero_over_zero": ("{ \\tuplet 0/0 { c4 } }", "the fraction 0/0 divides by zero"),
    "tuplet_zero": ("{ \\tuplet 0/1 { c4 } d4 }", "cannot parse this LilyPond file"),
    "deep_nesting": (
        lambda: "{" * 20_000 + " c4 " + "}" * 20_000,
        "the music is nested too deeply to read",
    ),
    "unknown_name": ("{ c4\n  xyz4 d4 }", ":2:3: unknown note name 'xyz'; expected a note name"),
    "unknown_name_in_chord": ("{ <c foo g>4 }", ":1:6: unknown note name 'foo'"),
    "unknown_relative_pitch": ("\\relative xyz { c4 }", ":1:11: unknown note name 'xyz'"),
    "unknown_name_long": ("{ c4 " + "x" * 10_000 + "4 }", "unknown note name 'xxxxxxxx"),
    "unknown_name_with_escape": ("{ c4 \x1b[2Jred4 }", "unknown note name"),
    "english_name_in_dutch": ("{ cs4 bf4 }", ":1:3: unknown note name 'cs'"),
    "octave_out_of_range": (
        "{ c''''''''''''4 }",
        "is in octave 15; expected a pitch from C0 to B8",
    ),
    "relative_climbs_out_of_range": (
        "\\relative c'' { " + "c4 g' " * 40 + "}",
        "expected a pitch from C0 to B8",
    ),
    "tempo_zero": ("{ \\tempo 4 = 0 c4 }", "a \\tempo of 0 quarter notes a minute"),
    "transpose_one_pitch": ("{ \\transpose c { c4 } }", "\\transpose without its two pitches"),
}

CODES = {
    "codes_over_the_notes": (
        lambda: "c4 " * 100_001,
        f"notes and rests in the melody: 100,001, over the limit of 100,000; {NOTES}",
    ),
    "code_a_billion": ("c4 d4\nr4 c1*1000000000", ":2:4: whole notes in one note or rest: "),
    "codes_over_the_bars": (lambda: "c1 " * 10_001, f"bars of 4/4 in the melody: 10,001, {BARS}"),
    "code_digits": ("c4*" + "9" * 5000, "a number of at most 18 digits"),
    "codes_too_fine": (
        "c64*16/999999937 c64*16/999999929 c64*16/999999893",
        "the durations divide the beat too finely to follow",
    ),
    "code_with_escape": ("c4 \x1b[2Jc4", "invalid note code '\\x1b[2Jc4'"),
    "code_long": ("c4 " + "d" * 10_000, "invalid note code 'ddddd"),
}


def write(folder: Path, name: str, text: str | object) -> Path:
    path = folder / name
    path.write_text(text() if callable(text) else text, encoding="utf-8")  # type: ignore[operator]
    return path


@pytest.fixture(scope="module")
def refused(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Outcome]]:
    """Every hostile file of this module through ``nabi inspect``, each run capped; the
    LilyPond ones through ``nabi render`` too (it reads a .ly it did not write)."""
    folder = tmp_path_factory.mktemp("limits")
    paths = {name: write(folder, f"{name}.ly", text) for name, (text, _) in LILYPOND.items()}
    paths |= {name: write(folder, f"{name}.txt", text) for name, (text, _) in CODES.items()}
    paths["ten_million_codes"] = folder / "ten_million_codes.txt"
    with paths["ten_million_codes"].open("w") as f:  # 30 MB
        for _ in range(100):
            f.write("c4 " * 100_000)
    paths["codes_under_the_size"] = folder / "codes_under_the_size.txt"
    paths["codes_under_the_size"].write_text("c4 " * 6_600_000)  # 19.8 MB
    jobs = {name: ["inspect", str(path)] for name, path in paths.items()}
    jobs |= {
        f"render {name}": ["render", str(paths[name]), "--png", "--out", str(folder / "out")]
        for name in ("unfold_empty", "rest_a_billion", "variables_doubling", "unknown_name")
    }
    outcomes = run_isolated(list(jobs.values()), timeout=10, memory=1_000_000_000)
    return {
        name: (paths[name.removeprefix("render ")], outcome)
        for name, outcome in zip(jobs, outcomes, strict=True)
    }


def one_line(path: Path, outcome: Outcome) -> str:
    """The one error line of a refusal: exit 2, naming the file, no raw control character."""
    assert_answered(outcome, codes=(2,))
    assert outcome.stdout == ""
    [line] = outcome.stderr.splitlines()
    assert line.startswith(f"nabi: error: {path}")
    assert line.isprintable(), line
    assert len(line) < 400, line
    return line


@pytest.mark.parametrize("name", [*LILYPOND, *CODES])
def test_a_hostile_file_is_refused_with_one_line_naming_it_and_the_limit(refused, name):
    path, outcome = refused[name]
    line = one_line(path, outcome)
    expected = (LILYPOND | CODES)[name][1]
    assert expected in line


@pytest.mark.parametrize("name", ["unfold_empty", "rest_a_billion", "variables_doubling"])
def test_render_refuses_a_hostile_ly_as_inspect_does(refused, name):
    path, outcome = refused[f"render {name}"]
    assert one_line(path, outcome).split(": ", 2)[2] == one_line(*refused[name]).split(": ", 2)[2]
    assert not (path.parent / "out").exists()


def test_ten_million_codes_are_refused_by_their_size_before_reading(refused):
    path, outcome = refused["ten_million_codes"]
    line = one_line(path, outcome)
    assert line.endswith(
        "bytes in the file: 30,000,000, over the limit of 20,000,000; "
        "raise it with --limit file_mb=N if you mean it"
    )


def test_codes_just_under_the_size_limit_stop_at_the_first_code_over_the_notes(refused):
    path, outcome = refused["codes_under_the_size"]
    line = one_line(path, outcome)
    assert f"{path}:1: notes and rests in the melody: 100,001, over the limit of 100,000" in line


def test_a_ly_over_the_size_limit_is_refused_before_reading(tmp_path):
    path = tmp_path / "big.ly"
    path.write_text("{ c4 }\n" + "% comment\n" * 110_000)  # 1.1 MB
    with limits.raised(file_mb=1), pytest.raises(InputError) as info:
        read(path)
    assert str(info.value) == (
        f"{path}: bytes in the file: 1,100,007, over the limit of 1,000,000; "
        "raise it with --limit file_mb=N if you mean it"
    )
    with limits.raised(file_mb=2):
        assert read(path)[0].codes == ["c,4"]


def test_a_million_codes_read_once_the_limits_are_raised(tmp_path):
    """Just under the raised limits a long file is read, in linear time: under the cap of
    10 s of CPU (a parser quadratic in the codes would take hours)."""
    path = tmp_path / "million.txt"
    path.write_text("g8 e8 e4 | " * 250_000 + "c1")
    [outcome] = run_isolated(
        [["inspect", "--summary", "--limit", "notes=1000000", "--limit", "bars=200000", str(path)]]
    )
    assert_answered(outcome, codes=(0,))
    assert "750,001" in outcome.stdout or "750001" in outcome.stdout


def test_limits_raised_read_what_they_refused(tmp_path):
    path = tmp_path / "long.ly"
    path.write_text("{ \\repeat unfold 1000 { \\repeat unfold 120 { c'8 } } }")
    with pytest.raises(InputError, match=r"notes once \\repeat unfold 1000 is played out: 120,000"):
        read(path)
    with limits.raised(notes=120_000, bars=20_000):
        [melody] = read(path)
    assert len(melody.notes) == 120_000
    assert melody.quarter_length == 60_000


def test_a_note_exactly_as_long_as_the_limit_is_read(tmp_path):
    path = tmp_path / "long_note.ly"
    path.write_text("{ c1*256 r1*256 d4 }")
    [melody] = read(path)
    assert melody.quarter_length == 2049
    path.write_text("{ c1*257 }")
    with pytest.raises(InputError, match="whole notes in one note or rest: 257, over the limit"):
        read(path)


# --- LilyPond that must keep reading ---------------------------------------------------


def read_ly(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "music.ly"
    path.write_text(text, encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NabiWarning)
        return read(path)[0].codes


def test_a_bare_duration_repeats_the_note_before_it_as_lilypond_plays_it(tmp_path):
    # LilyPond 2.24 plays "c4 4 d8 8" as c c d d; a repeat's bare duration takes the
    # note written before it on every pass; one at the very start is silent
    assert read_ly(tmp_path, "\\relative c'' { c4 4 d8 8 <e g>4 4 }") == [
        "c'4",
        "c'4",
        "d'8",
        "d'8",
        "g'4",
        "g'4",
    ]
    assert read_ly(tmp_path, "{ 4 c'4 \\repeat unfold 2 { 4 d'4 } }") == [
        "r4",
        "c4",
        "c4",
        "d4",
        "c4",
        "d4",
    ]


def test_legitimate_words_of_lilypond_are_not_unknown_note_names(tmp_path):
    text = (
        '\\language "english"\n'
        "\\score {\n"
        "  <<\n"
        '    \\new Staff \\with { \\consists Ambitus_engraver instrumentName = "Fl" } {\n'
        '      \\new Voice = "melody" {\n'
        "        \\clef treble \\key g \\major \\time 3/4 \\accidentalStyle modern\n"
        "        cs'4^\\markup { \\bold \"dolce\" } bf8( a) \\tag #'score { g4 }\n"
        "        \\override NoteHead.color = #red \\tag score { fs4 } e2.\n"
        "      }\n"
        "    }\n"
        '    \\new Lyrics \\lyricsto "melody" { la la la la la }\n'
        "  >>\n"
        "  \\layout { \\context { \\Staff \\consists Custom_engraver } }\n"
        "}\n"
    )
    assert read_ly(tmp_path, text) == ["cis4", "bes,8", "a,8", "g,4", "fis,4", "e,2."]


def test_an_unknown_name_is_named_by_line_and_column(tmp_path):
    path = tmp_path / "typo.ly"
    path.write_text("\\relative c' {\n  c4 d e f\n  g4 ag b c\n}\n")
    with pytest.raises(ParseError) as info:
        read(path)
    assert (info.value.line, info.value.col) == (3, 6)
    assert "unknown note name 'ag'" in str(info.value)


def test_every_odd_input_reads_or_is_refused_naming_the_file(tmp_path):
    """Inputs that once raised ZeroDivisionError, ValueError, OverflowError or ran away:
    each reads, or raises a NabiError naming the file."""
    odd = [
        "{ c4 \\time 0/4 d4 }",
        "{ \\partial 0 c4 }",
        "{ \\partial 4*0 c4 }",
        "{ c0 }",
        "{ c4*0 d4 }",
        "{ \\times 0/1 { c4 } d4 }",
        "{ \\scaleDurations 0/1 { c4 } d4 }",
        "{ \\tuplet 1000000000/1 { c4 } d4 }",
        "{ c1024 d4 }",
        "{ \\time 1000000000/1 c4 }",
        "{ \\time 1/1000000000 c4 }",
        "{ \\tempo 4 = 999999999999999999 c4 }",
        "{ \\tempo 1024 = 1 c4 }",
        "{ \\repeat unfold 0 { c4 } d4 }",
        "{ \\repeat volta 2 { c4 } \\alternative { } }",
        "{ c4 \\repeat unfold 2 }",
        "\\transpose c d",
        "{ \\relative }",
        "{ c4 \\tuplet 3/2 }",
        "{ q4 <>4 c4 ~ }",
        "{ c=,,,,,,,,4 }",
        "\\transpose c c'''''''''''''''''''' { c4 }",
        "mel = { \\mel c4 } { \\mel }",
        "{ \\repeat unfold 3 { \\repeat unfold 3 { \\repeat unfold 3 { } } } c4 }",
        "{ c4 \\time 3/4 \\time 2/4 \\time 5/8 d2 \\partial 8 e8 }",
        "{ c4 \\tempo 4 = 60.5 \\key xyz \\major d4 }",
    ]
    for k, text in enumerate(odd):
        path = tmp_path / f"odd{k}.ly"
        path.write_text(text)
        assert_reads_or_refuses(path)


def test_a_code_met_again_is_the_same_note_and_durations_stay_exact(tmp_path):
    path = tmp_path / "tuplets.txt"
    path.write_text("c8*2/3 d8*2/3 e8*2/3 | c8*2/3 d8*2/3 e8*2/3 | r2")
    [melody] = read(path)
    assert melody.quarter_length == 4
    assert melody.notes[0] is melody.notes[3]
    assert melody.notes[1].duration == Fraction(1, 3)
