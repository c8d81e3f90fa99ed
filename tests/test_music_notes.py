from fractions import Fraction

import pytest
from helpers import NABIYA
from hypothesis import given
from hypothesis import strategies as st

from nabi_music.errors import ParseError
from nabi_music.music.notes import (
    BASES,
    Melody,
    Note,
    Pitch,
    format_code,
    parse_code,
    parse_codes,
    split_duration,
)

TUTORIAL_CODES = [
    "c4",
    "d4",
    "e4",
    "f4",
    "g4",
    "a4",
    "b4",
    "c8",
    "d8",
    "e8",
    "f8",
    "g8",
    "a8",
    "b8",
]


def test_tutorial_codes_round_trip_unchanged():
    for code in TUTORIAL_CODES:
        assert format_code(parse_code(code)) == code


def test_tutorial_codes_mean_what_the_tutorial_says():
    g8 = parse_code("g8")
    assert g8.pitch == Pitch("g", 0, 4) and g8.pitch.midi == 67
    assert g8.duration == Fraction(1, 2)
    assert parse_code("e4").duration == 1


@pytest.mark.parametrize(
    ("code", "midi", "duration"),
    [
        ("fis'4.", 78, Fraction(3, 2)),
        ("bes,16", 58, Fraction(1, 4)),
        ("cisis''2", 86, Fraction(2)),
        ("ees4", 63, Fraction(1)),
        ("g,,1", 43, Fraction(4)),
        ("c8*2/3", 60, Fraction(1, 3)),
        ("a4..", 69, Fraction(7, 4)),
    ],
)
def test_pitch_and_duration(code, midi, duration):
    note = parse_code(code)
    assert note.pitch.midi == midi
    assert note.duration == duration


def test_rests_and_ties():
    assert parse_code("r4").is_rest
    assert parse_code("c4~").tie


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("h4", "expected a pitch letter"),
        ("g3", "expected a duration 1 2 4 8 16 32 or 64"),
        ("g", "expected a duration"),
        ("es4", "expected a duration"),
        ("fisisis4", "at most two accidentals"),
        ("g8....", "at most 3 dots"),
        ("r4~", "no tie after a rest"),
        ("g4*1/2", "write 'g8'"),
        ("g8x", "expected the end of the code"),
        ("c''''''4", "at most 4 octave marks"),
    ],
)
def test_invalid_codes_say_what_was_expected(code, expected):
    with pytest.raises(ParseError) as info:
        parse_code(code)
    assert repr(code) in str(info.value)
    assert expected in str(info.value)


def test_errors_name_file_line_and_column():
    with pytest.raises(ParseError) as info:
        parse_codes("g8 e8 | e4\nf8 x8 d4", source="song.txt")
    err = info.value
    assert (err.source, err.line, err.col) == ("song.txt", 2, 4)
    assert str(err).startswith("song.txt:2:4: invalid note code 'x8'")


def test_parse_codes_skips_bar_lines_and_comments():
    notes = parse_codes("% the first bar\ng8 e8 e4 | f8 # a comment\n")
    assert [format_code(n) for n in notes] == ["g8", "e8", "e4", "f8"]


def test_melody_from_codes(nabiya_codes):
    melody = Melody.from_codes(nabiya_codes, title="나비야")
    assert melody.codes == NABIYA
    assert melody.quarter_length == 32  # 16 bars of 2/4


def test_split_duration_into_tied_values():
    assert split_duration(Fraction(5, 4)) == [Fraction(1), Fraction(1, 4)]
    assert split_duration(Fraction(3, 2)) == [Fraction(3, 2)]
    assert sum(split_duration(Fraction(9, 4))) == Fraction(9, 4)


pitches = st.builds(
    Pitch,
    step=st.sampled_from("cdefgab"),
    alter=st.integers(-2, 2),
    octave=st.integers(0, 8),
).filter(lambda p: 0 <= p.midi <= 127)
durations = st.one_of(
    st.builds(
        lambda base, dots: Fraction(4, base) * (2 - Fraction(1, 2**dots)),
        st.sampled_from(BASES),
        st.integers(0, 3),
    ),
    st.fractions(min_value=Fraction(1, 64), max_value=16, max_denominator=96).filter(
        lambda d: d > 0
    ),
)
notes = st.builds(
    lambda p, d, rest, tie: Note(None if rest else p, d, tie and not rest),
    pitches,
    durations,
    st.booleans(),
    st.booleans(),
)


@given(notes)
def test_every_note_has_a_code_that_parses_back(note):
    code = format_code(note)
    assert parse_code(code) == note
    assert format_code(parse_code(code)) == code


@given(st.text(alphabet="abcdefgrsi',.*/~0123456789", min_size=1, max_size=12))
def test_format_parse_is_identity_on_every_valid_code(text):
    try:
        note = parse_code(text)
    except ParseError:
        return
    assert format_code(note) == text
