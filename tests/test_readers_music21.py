"""MusicXML, ABC and the music21 corpus, read through the music21 bridge."""

from __future__ import annotations

import warnings
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
from helpers import DATA, SCORES, assert_reads_or_refuses, read_quietly
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nabi_music.errors import InputError, NabiWarning
from nabi_music.readers import read, read_report


def test_twinkle_musicxml_keeps_title_key_metre_tempo_instrument_and_spelling():
    [melody] = read(SCORES / "twinkle.musicxml")
    assert melody.title == "Twinkle, Twinkle, Little Star"
    assert melody.key == "D major"
    assert melody.time_signature == "4/4"
    assert melody.tempo == 96
    assert melody.program == 73  # MusicXML's 1-based program 74, the flute
    assert melody.codes[:8] == ["d4", "d4", "a4", "a4", "b4", "b4", "a2", "g4"]
    assert "fis4" in melody.codes  # F sharp from the key signature, spelled as written
    assert len(melody.notes) == 42
    assert melody.quarter_length == 48


def _write_mxl(path: Path, xml: bytes) -> None:
    """A compressed MusicXML file: a zip with the score and a container naming it."""
    container = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<container><rootfiles>'
        b'<rootfile full-path="score.musicxml"/></rootfiles></container>\n'
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.recordare.musicxml")
        archive.writestr("META-INF/container.xml", container)
        archive.writestr("score.musicxml", xml)


@pytest.mark.parametrize("suffix", [".xml", ".mxl"])
def test_musicxml_also_reads_as_xml_and_compressed_mxl(tmp_path, suffix):
    xml = (SCORES / "twinkle.musicxml").read_bytes()
    path = tmp_path / f"twinkle{suffix}"
    if suffix == ".mxl":
        _write_mxl(path, xml)
    else:
        path.write_bytes(xml)
    [melody] = read(path)
    [expected] = read(SCORES / "twinkle.musicxml")
    assert melody == replace(expected, source=str(path))


def test_abc_file_gives_every_tune_with_its_own_metadata():
    jacques, lune = read(SCORES / "folk_tunes.abc")
    assert jacques.title == "Frère Jacques"
    assert (jacques.key, jacques.time_signature, jacques.tempo) == ("F major", "4/4", 104)
    assert jacques.codes[:11] == [
        "f4",
        "g4",
        "a4",
        "f4",
        "f4",
        "g4",
        "a4",
        "f4",
        "a4",
        "bes4",
        "c'2",
    ]
    assert jacques.codes[-3:] == ["f4", "c4", "f2"]
    assert lune.title == "Au clair de la lune"
    assert (lune.key, lune.time_signature, lune.tempo) == ("G major", "4/4", 88)
    assert lune.codes[:7] == ["g4", "g4", "g4", "a4", "b2", "a2", "g4"]
    assert lune.codes[-1] == "g1"  # G2-G2 in ABC: a tie merged into one note
    assert jacques.source == lune.source == str(SCORES / "folk_tunes.abc")


def test_corpus_chorale_gives_the_top_line_of_the_first_part_and_warns():
    with pytest.warns(NabiWarning, match="4 parts"):
        [melody] = read("corpus:bach/bwv66.6")
    assert melody.codes[:6] == ["cis'8", "b8", "a4", "b4", "cis'4", "e'4"]  # the soprano
    assert melody.key == "f# minor"
    assert melody.time_signature == "4/4"
    assert melody.title == "bwv66.6"  # music21 only knows the file name
    assert melody.source == "corpus:bach/bwv66.6"
    assert any("4 parts" in w for w in melody.warnings)


def test_corpus_file_of_many_tunes_gives_every_tune():
    melodies = read("corpus:essenFolksong/kinder0.abc")
    assert len(melodies) > 200
    assert melodies[0].codes
    assert melodies[0].title == "SCHLAF KINDLEIN SCHLAF"
    assert all(m.source == "corpus:essenFolksong/kinder0.abc" for m in melodies)


def test_chord_gives_its_top_note_and_a_warning():
    with pytest.warns(NabiWarning, match="chord"):
        [melody] = read(DATA / "chords.musicxml")
    assert melody.codes == ["e8", "fis8", "g4"]
    assert melody.title == "chords"
    assert any("chord" in w for w in melody.warnings)


@pytest.mark.parametrize("name", ["corpus:no/such/work", "corpus:"])
def test_bad_corpus_path_raises_input_error(name):
    with pytest.raises(InputError, match=f"^{name}: .*expected"):
        read(name)


def test_abc_plain_repeat_is_played_twice():
    _, plain = read(DATA / "repeats.abc")
    assert " ".join(plain.codes) == "d4 e4 fis4 a4 b4 cis'4 d4 e4 fis4 a4 b4 cis'4 d'2."


def test_chorale_parts_by_name_and_the_soprano_by_default():
    with pytest.warns(
        NabiWarning, match=r"4 parts; kept part 2 \(Alto\) and dropped parts 1, 3, 4"
    ):
        [alto] = read("corpus:bach/bwv66.6", part="alto")
    [soprano] = read_quietly("corpus:bach/bwv66.6")
    assert alto.codes != soprano.codes
    assert alto.codes[:2] == ["e4", "fis4"]


XML_WORDS = st.sampled_from(
    [
        "<score-partwise>",
        "</score-partwise>",
        "<part id='P1'>",
        "</part>",
        "<measure>",
        "</measure>",
        "<note>",
        "</note>",
        "<pitch><step>C</step><octave>4</octave></pitch>",
        "<duration>1</duration>",
        "<rest/>",
        "<chord/>",
        "<divisions>0</divisions>",
        "<attributes>",
        "</attributes>",
        "<?xml version='1.0'?>",
        "<!DOCTYPE x [",
        "&amp;",
    ]
)


ABC_WORDS = st.sampled_from(
    [
        "X:1",
        "T:t",
        "K:C",
        "M:3/4",
        "L:1/8",
        "C",
        "D2",
        "z",
        "|:",
        ":|",
        "[1",
        "[2",
        "|]",
        "(3",
        "{g}",
        "^",
        "_",
        "=",
        ",",
        "'",
        "/",
        "-",
        "\n",
        '"C"',
        "[CEG]",
        "K:Hp",
    ]
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.one_of(
        st.tuples(st.just(".musicxml"), st.lists(XML_WORDS, max_size=25).map("".join)),
        st.tuples(st.just(".abc"), st.lists(ABC_WORDS, max_size=30).map(" ".join)),
        st.tuples(st.sampled_from([".musicxml", ".abc"]), st.text(max_size=80)),
    )
)
def test_any_musicxml_or_abc_text_reads_or_raises_a_nabi_error(tmp_path, data):
    suffix, text = data
    path = tmp_path / f"any{suffix}"
    path.write_text(text, encoding="utf-8")
    assert_reads_or_refuses(path)


def _read_corpus_file(name: str) -> tuple[int, int, list[str]]:
    """(melodies, skipped, errors) of one corpus file; for a process pool."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NabiWarning)
        try:
            found, missed = read_report(f"corpus:{name}")
        except InputError as err:
            return 0, 0, [str(err)]
    bad = [f"{name}: {m.title} has no notes" for m in found if not m.notes]
    return len(found), len(missed), bad


@pytest.mark.slow
def test_every_kinder0_tune_and_every_sixth_chorale_soprano_reads():
    """kinder0 whole, and every sixth chorale of music21's list from the first (BWV 253)
    to the last (BWV 438): 60 chorales; all 353, as ``bench/corpus_coverage.py`` reads
    them, take six times as long."""
    from concurrent.futures import ProcessPoolExecutor

    from music21 import corpus

    melodies, skipped = read_report("corpus:essenFolksong/kinder0.abc")
    assert len(melodies) + len(skipped) == 213
    assert all(s.reason for s in skipped)
    names = list(corpus.chorales.Iterator(numberingSystem="bwv", returnType="filename"))
    assert {"bach/bwv253", "bach/bwv438"} <= set(names)
    names = sorted({*names[::6], names[-1]}, key=names.index)
    with ProcessPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(_read_corpus_file, names, chunksize=8))
    errors = [e for _, _, errs in results for e in errs]
    assert not errors, errors[:5]
    assert sum(r[0] for r in results) + sum(r[1] for r in results) >= len(names)


def test_abc_repeats_music21_could_not_see_are_played(tmp_path):
    """music21's translation makes no bars for this tune and loses its repeat; the ABC
    reader makes its own bars from music21's tokens, so the repeat is played, without a
    warning (nor does a plain tune without repeat signs get one)."""
    path = tmp_path / "bug.abc"
    path.write_text("X:1\nT:Bug\nM:3/4\nL:1/4\nK:D\nD E F |: A B c :| d3 |]\n", encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("error", NabiWarning)
        [melody] = read(path)
    assert melody.codes == ["d4", "e4", "fis4", "a4", "b4", "cis'4", "a4", "b4", "cis'4", "d'2."]
    plain = tmp_path / "plain.abc"
    plain.write_text("X:1\nT:Plain\nL:1/4\nK:C\nC D E F|\n", encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("error", NabiWarning)
        assert read(plain)[0].codes == ["c4", "d4", "e4", "f4"]


def test_abc_voices_declared_before_the_key_keep_the_key(tmp_path):
    """A header that declares its voices before ``K:`` (as the American fife opus does):
    the key is every voice's, and its sharps are in the notes."""
    path = tmp_path / "fifes.abc"
    path.write_text(
        "X:1\nT:Fifes\nM:2/4\nL:1/8\nV:1\nV:2\nK:D\nV:1\nDF A2|f4|]\nV:2\nA,D F2|d4|]\n",
        encoding="utf-8",
    )
    melody = read_quietly(path)[0]
    assert melody.key == "D major"
    assert melody.codes == ["d8", "fis8", "a4", "fis'2"]
