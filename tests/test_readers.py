"""The readers' registry and what every format shares: repeats, parts, measures,
skipped tunes, summaries, bad input, and nothing but nabi_music's errors escaping."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from helpers import DATA, ROOT, SCORES, assert_reads_or_refuses, read_quietly
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nabi_music.errors import InputError, NabiWarning
from nabi_music.readers import READERS, Skipped, limits, read, read_report
from nabi_music.writers.lilypond import write_lilypond
from nabi_music.writers.midi import write_midi
from nabi_music.writers.musicxml import write_musicxml


def test_extension_is_case_insensitive(tmp_path):
    path = tmp_path / "TIES.LY"
    path.write_bytes((DATA / "ties.ly").read_bytes())
    assert read(path)[0].codes[0] == "c4."


NO_NOTES = {
    "nothing.ly": '% just a comment\n\\header { title = "x" }\n',
    "nothing.musicxml": '<score-partwise version="3.0"><part-list/></score-partwise>\n',
    "nothing.abc": "X:1\nT:No notes\nK:C\n",
    "nothing.txt": "% a comment | and a bar line\n|\n",
    "rests.txt": "r4 r2\n",
}


def _bad_inputs(tmp: Path) -> dict[str, Path]:
    garbage = bytes(range(256)) * 3
    files = {}
    for name in ("garbage.mid", "garbage.musicxml", "garbage.mxl", "garbage.ly", "garbage.abc"):
        files[name] = tmp / name
        files[name].write_bytes(garbage)
    for name, text in NO_NOTES.items():
        files[name] = tmp / name
        files[name].write_text(text, encoding="utf-8")
    files["missing.ly"] = tmp / "missing.ly"
    files["directory.ly"] = tmp / "directory.ly"
    files["directory.ly"].mkdir()
    files["unknown.foo"] = tmp / "unknown.foo"
    files["unknown.foo"].write_text("c4\n", encoding="utf-8")
    files["empty.musicxml"] = tmp / "empty.musicxml"
    files["empty.musicxml"].touch()
    files["latin1.txt"] = tmp / "latin1.txt"
    files["latin1.txt"].write_bytes("c4 % café\n".encode("latin-1"))
    files["truncated.mid"] = tmp / "truncated.mid"
    files["truncated.mid"].write_bytes(b"MThd\x00\x00\x00\x06\x00\x01")
    return files


BAD = [
    ("garbage.mid", "cannot read as MIDI"),
    ("garbage.musicxml", "cannot read as MusicXML"),
    ("garbage.mxl", "cannot read as compressed MusicXML"),
    ("garbage.ly", "not UTF-8 text"),
    ("garbage.abc", "cannot read as ABC"),
    ("truncated.mid", "cannot read as MIDI"),
    ("nothing.ly", "no notes found"),
    ("nothing.musicxml", "no notes found"),
    ("nothing.abc", "no notes found"),
    ("nothing.txt", "no notes found"),
    ("rests.txt", "no notes found"),
    ("missing.ly", "no such file"),
    ("directory.ly", "is a directory"),
    ("unknown.foo", "unknown file extension '.foo'; expected one of .ly .musicxml .xml"),
    ("empty.musicxml", "empty file"),
    ("latin1.txt", "not UTF-8 text"),
]


@pytest.mark.parametrize(("name", "what"), BAD)
def test_bad_input_raises_input_error_naming_the_path(tmp_path, name, what):
    path = _bad_inputs(tmp_path)[name]
    with pytest.raises(InputError) as info:
        read(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ")
    assert what in message
    assert "\n" not in message


def test_registry_covers_the_documented_extensions():
    assert set(READERS) == {".ly", ".musicxml", ".xml", ".mxl", ".mid", ".midi", ".abc", ".txt"}


def test_importing_the_readers_imports_neither_music21_nor_python_ly():
    code = (
        "import sys, nabi_music.readers; "
        "sys.exit(any(m in sys.modules for m in ('music21', 'ly', 'ly.musicxml')))"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


LY_WORDS = st.sampled_from(
    [
        *("c'4", "d8", "e'16.", "r4", "s2", "~", "<", ">", "<<", ">>", "{", "}", "\\\\", "|"),
        *("(", ")", "\\relative", "\\tuplet 3/2", "\\grace", "\\time 3/4", "\\key g \\major"),
        *("\\partial 8", "\\tempo 4 = 120", '\\bar "|."', "\\new Staff", "\\score", "#(x)", "q"),
        *("\\repeat volta 2", "\\repeat unfold 3", "\\alternative", "\\fixed c'", "\\absolute"),
        *("\\transpose c d", "c'='4", "\\times 2/3", "\\acciaccatura", "\\afterGrace", "R1*2"),
        *("melody = ", "\\melody", '\\language "english"', "ef4", "\\header { title = x }"),
    ]
)


TEXT = st.one_of(st.text(max_size=120), st.lists(LY_WORDS, max_size=30).map(" ".join))


@settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=TEXT, suffix=st.sampled_from([".txt", ".ly"]))
def test_any_text_reads_or_raises_a_nabi_error(tmp_path, text, suffix):
    path = tmp_path / f"any{suffix}"
    path.write_text(text, encoding="utf-8")
    assert_reads_or_refuses(path)


REPEATS_LY_HEARD = "c4 f4 g4 a4 bes2 a4 g2 c4 f4 g4 a4 bes2 a4 g2. fis4 e8 d8 cis2 d2"


REPEATS_LY_WRITTEN = "c4 f4 g4 a4 bes2 a4 g2 c4 g2. fis4 e8 d8 cis2 d2"


@pytest.mark.parametrize(
    ("name", "heard", "written"),
    [
        ("repeats.ly", REPEATS_LY_HEARD, REPEATS_LY_WRITTEN),
        (
            "repeats.musicxml",
            "c4 f4 a4 c'4. bes8 a2 f4 a4 c'4. bes8 g2 f2",
            "c4 f4 a4 c'4. bes8 a2 g2 f2",
        ),
        ("repeats.abc", "g4 a4 b4 c'4 d'2 g4 a4 b4 c'4 g'2", "g4 a4 b4 c'4 d'2 g'2"),
    ],
)
def test_repeats_are_played_out_as_heard_or_kept_as_written(name, heard, written):
    [melody, *_] = read_quietly(DATA / name)
    assert " ".join(melody.codes) == heard
    [melody, *_] = read_quietly_written(DATA / name)
    assert " ".join(melody.codes) == written


def read_quietly_written(path: Path) -> list:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NabiWarning)
        return read(path, repeats=False)


@pytest.mark.parametrize("part", [2, "2", "lower", "LOWER"])
def test_part_is_chosen_by_number_or_name(part):
    with pytest.warns(NabiWarning, match=r"2 parts; kept part 2 \(lower\) and dropped part 1"):
        [melody] = read(DATA / "parts.ly", part=part)
    assert melody.codes == ["c4", "g,4", "c,2"]


def test_the_first_part_by_default_with_a_warning_naming_the_dropped_part():
    with pytest.warns(NabiWarning, match=r"kept part 1 \(upper\) and dropped part 2"):
        [melody] = read(DATA / "parts.ly")
    assert melody.codes == ["e'4", "d'4", "c'2"]


@pytest.mark.parametrize("path", [DATA / "parts.ly", DATA / "chords.musicxml"])
def test_no_such_part_lists_the_parts(path):
    with pytest.raises(InputError, match=r"no part 'bass'; the score has"):
        read(path, part="bass")


def test_warnings_name_the_measures():
    with pytest.warns(NabiWarning) as caught:
        read(DATA / "repeats.musicxml", repeats=False)
    assert [str(w.message) for w in caught] == [
        f"{DATA / 'repeats.musicxml'}: dropped 1 grace note(s) in measure 2 (no duration)"
    ]
    [voices] = read_quietly(DATA / "voices.ly")
    assert voices.warnings == (
        f"{DATA / 'voices.ly'}: 2 voices in measure 1; kept the first (top) voice",
    )


def test_read_report_lists_the_tunes_skipped_and_read_warns_about_them(tmp_path):
    path = tmp_path / "three.abc"
    path.write_text(
        "X:1\nT:One\nL:1/4\nK:C\nC D E F|\n\nX:2\nT:Silent\nL:1/4\nK:C\nz4|\n\n"
        "X:3\nT:Three\nL:1/4\nK:C\nG A B c|\n",
        encoding="utf-8",
    )
    melodies, skipped = read_report(path)
    assert [m.title for m in melodies] == ["One", "Three"]
    assert skipped == [Skipped("Silent", "no notes, only rests")]
    with pytest.warns(NabiWarning, match="skipped Silent: no notes, only rests"):
        assert len(read(path)) == 2


def test_summary_counts_melodies_notes_codes_and_range():
    from nabi_music.readers.summary import summarize

    melodies, skipped = read_report(SCORES / "folk_tunes.abc")
    summary = summarize(melodies, skipped)
    assert (summary.melodies, summary.skipped) == (2, ())
    assert summary.notes == sum(len(m.notes) for m in melodies)
    assert summary.distinct_codes == len({c for m in melodies for c in m.codes})
    assert (summary.lowest.name, summary.highest.name) == ("C4", "D5")


def test_inspect_summary_prints_read_skipped_notes_codes_and_range(tmp_path):
    path = tmp_path / "book.abc"
    path.write_text(
        "X:1\nT:One\nL:1/4\nK:C\nC D E F|\n\nX:2\nT:Silent\nL:1/4\nK:C\nz4|\n", encoding="utf-8"
    )
    result = subprocess.run(
        [sys.executable, "-m", "nabi_music.cli", "inspect", "--summary", str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "melodies read:   1" in out
    assert "skipped:         1" in out
    assert "1 x no notes, only rests: Silent" in out
    assert "notes:           4 (0 of them rests)" in out
    assert "distinct codes:  4" in out
    assert "pitch range:     C4 (c) to F4 (f)" in out


def test_a_melody_of_exactly_the_notes_limit_is_read_and_one_more_is_refused(tmp_path):
    """The ``notes`` limit counts notes as played, not the pitches of ``\\key`` or
    ``\\relative`` nor anything else a file writes: nabiya (54 notes) in every format
    nabi_music writes reads at ``notes=54`` and is refused at 53."""
    melody = read_quietly(SCORES / "nabiya.ly")[0]
    n = len(melody.codes)
    files = [SCORES / "nabiya.ly", SCORES / "nabiya.txt"]
    files += [write_lilypond(melody, tmp_path / "written.ly")]
    files += [write_musicxml(melody, tmp_path / "written.musicxml")]
    files += [write_midi(melody, tmp_path / "written.mid")]
    for path in files:
        with limits.raised(notes=n):
            assert read_quietly(path)[0].codes == melody.codes, path
        with limits.raised(notes=n - 1), pytest.raises(InputError, match="--limit notes=N"):
            read_quietly(path)
