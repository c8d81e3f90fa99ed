"""The LilyPond reader: .ly files read as LilyPond plays them, never run."""

from __future__ import annotations

import warnings
from fractions import Fraction

import pytest
from helpers import DATA, NABIYA, SCORES

from nabi_music.errors import NabiWarning
from nabi_music.readers import read


def test_nabiya_ly_gives_the_tutorials_54_codes_and_its_metadata(capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("error", NabiWarning)
        [melody] = read(SCORES / "nabiya.ly")
    assert melody.codes == NABIYA
    assert len(melody.codes) == 54
    assert melody.title == "나비야"
    assert melody.key == "C major"
    assert melody.time_signature == "2/4"
    assert melody.tempo == 100
    assert melody.program is None
    assert melody.source == str(SCORES / "nabiya.ly")
    assert melody.warnings == ()
    # python-ly's complaints ("Unknown command: \autoBeamOff") are not printed
    assert capsys.readouterr() == ("", "")


def test_ties_merge_where_one_code_holds_them_and_stay_tied_otherwise():
    [melody] = read(DATA / "ties.ly")
    # c4~ c8 -> c4. ; c4~ c16 stays a tied pair ; a tie over the bar line -> c2
    assert melody.codes == ["c4.", "d8", "e4~", "e16", "r8.", "d4", "c2", "r4"]
    assert melody.notes[2].tie and not melody.notes[3].tie


def test_tuplets_are_exact_and_grace_notes_are_dropped_with_a_warning():
    with pytest.warns(NabiWarning, match="grace"):
        [melody] = read(DATA / "tuplets.ly")
    assert melody.codes == ["c8*2/3", "d8*2/3", "e8*2/3", "f4*2/3", "g8*2/3", "e2"]
    assert melody.notes[0].duration == Fraction(1, 3)
    assert melody.quarter_length == 4


def test_two_voices_give_the_first_voice_and_a_warning():
    with pytest.warns(NabiWarning, match="2 voices"):
        [melody] = read(DATA / "voices.ly")
    assert melody.codes == ["c'4", "d'4", "e'2"]
    assert melody.warnings


def test_reading_a_ly_never_runs_its_scheme(tmp_path):
    marker = tmp_path / "ran"
    path = tmp_path / "scheme.ly"
    path.write_text(f"#(system \"touch {marker}\")\n{{ c''4 d'4 }}\n", encoding="utf-8")
    assert read(path)[0].codes == ["c'4", "d4"]
    assert not marker.exists()


def test_lilypond_pickup_key_time_and_tempo_changes_keep_the_first_and_the_notes():
    [melody] = read(DATA / "repeats.ly")
    assert (melody.title, melody.key, melody.time_signature, melody.tempo) == (
        "Repeats",
        "F major",
        "3/4",
        96,
    )
    assert melody.codes[0] == "c4"  # the pickup note
    assert "fis4" in melody.codes and "cis2" in melody.codes  # after the change to D major


def test_accidentals_are_spelled_as_written_and_q_repeats_the_chord():
    with pytest.warns(NabiWarning, match=r"reduced 2 chord\(s\) in measure 3 to their top note"):
        [melody] = read(DATA / "accidentals.ly")
    assert melody.codes[:7] == ["a4", "cis4", "eis4", "fisis4", "geses4.", "ces'8", "bes2"]
    # <a cis e>4 q8 r8 s4: the top note twice, the rest and the skip one rest; R1*2: r1 r1
    assert melody.codes[7:10] == ["e'4", "e'8", "r4."]
    assert melody.codes[-5:] == ["r1", "r1", "r8", "a,2..", "r8"]  # rests run together


def test_fixed_mode_and_unfold_repeats_read_as_lilypond_plays_them():
    [melody] = read(DATA / "fixed.ly")
    assert " ".join(melody.codes) == "g8 e8 e4 f8 d8 d4 g8 e8 e4 f8 d8 d4 c2"
    assert melody.title == "Fixed"


def test_reading_a_ly_never_follows_include(tmp_path):
    """Only the file itself is read: \\include (a relative or an absolute path) is not."""
    included = tmp_path / "secret.ly"
    included.write_text("secret = { c'4 d'4 e'4 }\n", encoding="utf-8")
    for target in (included.name, str(included)):
        path = tmp_path / "main.ly"
        path.write_text(f'\\include "{target}"\n{{ \\secret f\'4 }}\n', encoding="utf-8")
        assert read(path)[0].codes == ["f4"]
