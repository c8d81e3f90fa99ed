"""Constraints at sampling time: scales, ranges, whole bars, a tonic ending, conflicts."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nabi_music.data.encoding import Vocabulary
from nabi_music.errors import InputError
from nabi_music.music.keys import parse_key, parse_scale
from nabi_music.music.metre import bar_length, written_codes, written_notes
from nabi_music.music.notes import Melody, parse_code, parse_codes
from nabi_music.music.ranges import PitchRange, parse_pitch, parse_pitch_range
from nabi_music.prediction.constraints import Constraints, Length, Plan
from nabi_music.prediction.sampling import Sampling, generate

CODES = (
    "c4 d4 e4 f4 g4 a4 b4 c8 d8 e8 f8 g8 a8 b8 fis8 bes8 c'8 d'4 r8 r4 c2 e4. g16 a16 d4~"
).split()
VOCAB = Vocabulary.from_codes(CODES)


class RandomRunner:
    """Logits drawn afresh at each call from its own Generator: any code is likely."""

    class config:
        window = 2
        stateful = False

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)

    def zero_state(self) -> tuple:
        return ()

    def __call__(self, x, state=()):
        return self.rng.normal(size=(1, len(VOCAB))) * 3, state


def run(plan: Plan, seed: int = 0, sampling: Sampling | None = None) -> list[str]:
    table = np.arange(len(VOCAB), dtype=np.float32)[:, None]
    out = generate(
        RandomRunner(seed),
        table,
        VOCAB.encode(["c4", "d4"]),
        plan.cursor(),
        np.random.default_rng(seed),
        sampling or Sampling(1.0),
    )
    return VOCAB.decode(out)


@pytest.mark.parametrize(
    ("text", "tonic", "mode", "signature"),
    [
        ("D major", 2, "major", "D major"),
        ("F#m", 6, "minor", "f# minor"),
        ("bes minor", 10, "minor", "bb minor"),
        ("Bb", 10, "major", "Bb major"),
        ("e", 4, "minor", "e minor"),
        ("E dorian", 4, "dorian", "D major"),
        ("G mixolydian", 7, "mixolydian", "C major"),
        ("a harmonic minor", 9, "harmonic-minor", "a minor"),
        ("C pentatonic", 0, "major-pentatonic", "C major"),
    ],
)
def test_parse_scale(text, tonic, mode, signature):
    scale = parse_scale(text)
    assert (scale.tonic, scale.mode, scale.key_signature) == (tonic, mode, signature)
    parse_key(scale.key_signature)  # the writers can write its key signature


def test_scale_pitch_classes():
    assert parse_scale("C major").pitch_classes == {0, 2, 4, 5, 7, 9, 11}
    assert parse_scale("A minor").pitch_classes == {0, 2, 4, 5, 7, 9, 11}
    assert parse_scale("D dorian").pitch_classes == {0, 2, 4, 5, 7, 9, 11}
    assert parse_scale("a harmonic minor").contains(68)  # G#


@pytest.mark.parametrize("text", ["H major", "C lydianish", "", "Cs major"])
def test_bad_scales_are_input_errors(text):
    with pytest.raises(InputError, match="key"):
        parse_scale(text)


def test_parse_range():
    assert parse_pitch_range("c,..c''") == PitchRange(48, 84)
    assert parse_pitch_range("48..84") == PitchRange(48, 84)
    assert parse_pitch_range("C3..Bb5") == PitchRange(48, 82)
    assert parse_pitch("fis'") == 78
    for bad in ("c..", "x..c'", "c''..c", "60-72", "0..200"):
        with pytest.raises(InputError):
            parse_pitch_range(bad)


def test_bar_length():
    assert bar_length("2/4") == 2
    assert bar_length("6/8") == 3
    assert bar_length("3/2") == 6


def bars_of(codes: list[str], bar: Fraction, start: Fraction = Fraction(0)) -> list[Fraction]:
    """The time inside the bar after each note."""
    time, out = start, []
    for code in codes:
        time += parse_code(code).duration
        out.append(time % bar)
    return out


@pytest.mark.parametrize("seed", range(5))
def test_key_range_bars_and_tonic_hold_together(seed):
    scale = parse_scale("G major")
    constraints = Constraints(
        scale=scale,
        pitch_range=parse_pitch_range("d..d'"),
        whole_bars=True,
        bar=Fraction(3),
        end_on_tonic=True,
        tonic=scale,
    )
    start = Fraction(2)  # the primer c4 d4 lasts two quarters of the first 3/4 bar
    codes = run(Plan(VOCAB, constraints, Length(notes=25), start), seed)
    assert len(codes) == 25
    for code in codes:
        note = parse_code(code)
        if note.pitch is not None:
            assert scale.contains(note.pitch.midi), code
            assert 62 <= note.pitch.midi <= 74, code
    # no note crosses a bar line and the last bar is complete
    time = start
    for code in codes:
        d = parse_code(code).duration
        assert (time % 3) + d <= 3, codes
        time += d
    assert time % 3 == 0
    last = parse_code(codes[-1])
    assert last.pitch is not None and last.pitch.midi % 12 == 7 and not last.tie


@pytest.mark.parametrize("seed", range(3))
def test_a_length_in_bars_ends_exactly(seed):
    constraints = Constraints(
        whole_bars=True, bar=Fraction(2), end_on_tonic=True, tonic=parse_scale("C major")
    )
    plan = Plan(VOCAB, constraints, Length(end=Fraction(18)), Fraction(2))
    codes = run(plan, seed)
    assert sum(parse_code(c).duration for c in codes) == 16
    assert all(t in (0,) or t < 2 for t in bars_of(codes, Fraction(2), Fraction(2)))
    assert parse_code(codes[-1]).pitch.midi % 12 == 0


def test_ties_let_notes_cross_bar_lines_and_split_there():
    constraints = Constraints(whole_bars=True, bar=Fraction(2), ties=True)
    plan = Plan(VOCAB, constraints, Length(end=Fraction(40)), Fraction(2))
    codes = []
    for seed in range(6):
        codes = run(plan, seed)
        start, crossing = Fraction(2), False
        for c in codes:
            d = parse_code(c).duration
            crossing |= (start % 2) + d > 2
            start += d
        assert start == 40
        if crossing:
            break
    assert crossing, "no note crossed a bar line in 6 melodies"
    notes = parse_codes(" ".join(["c4", "d4", *codes]))
    split = [w.note for w in written_notes(notes, Fraction(2))]
    assert sum(n.duration for n in split) == sum(n.duration for n in notes)
    time = Fraction(0)
    for note in split:
        assert (time % 2) + note.duration <= 2
        time += note.duration
    # a split note is tied into its continuation; rests are never tied
    assert any(n.tie for n in split) and not any(n.tie and n.pitch is None for n in split)
    assert len(Melody(tuple(split)).codes) == len(split)  # every piece has a code


def test_written_codes_cut_notes_at_bar_lines():
    notes = tuple(parse_codes("c4 d2 e4."))  # in 2/4: d2 crosses, e4. crosses
    melody = Melody(notes, time_signature="2/4")
    assert written_codes(melody) == ["c4", "d4~", "d4", "e4~", "e8"]
    upbeat = Melody(notes, time_signature="2/4", pickup=Fraction(1))
    assert written_codes(upbeat) == ["c4", "d2", "e4."]
    assert written_codes(Melody(notes)) == ["c4", "d2", "e4."]  # no metre: as they are


def test_greedy_sampling_respects_the_mask():
    scale = parse_scale("F major")
    plan = Plan(VOCAB, Constraints(scale=scale), Length(notes=30))
    for code in run(plan, 1, Sampling(0.0)):
        pitch = parse_code(code).pitch
        assert pitch is None or scale.contains(pitch.midi)


@pytest.mark.parametrize(
    ("constraints", "length", "message"),
    [
        (
            Constraints(scale=parse_scale("F# major"), pitch_range=parse_pitch_range("c..e")),
            Length(notes=4),
            "key F# major and range C4..E4 leave none of the model's notes possible",
        ),
        (
            Constraints(
                pitch_range=parse_pitch_range("d..b"), end_on_tonic=True, tonic=parse_scale("C")
            ),
            Length(notes=4),
            "range D4..B4 and ending on the tonic C leave no final note possible",
        ),
        (
            Constraints(
                whole_bars=True, bar=Fraction(3, 2), end_on_tonic=True, tonic=parse_scale("C")
            ),
            Length(notes=1),  # e4. fills a 3/8 bar, but no note on C lasts 3/8
            "whole bars of 3/2 quarters and ending on the tonic C cannot all hold for 1 note",
        ),
    ],
)
def test_conflicts_name_the_constraints(constraints, length, message):
    with pytest.raises(InputError, match="cannot generate: " + message):
        Plan(VOCAB, constraints, length)


def test_missing_metre_or_key_is_an_input_error():
    with pytest.raises(InputError, match="time signature"):
        Constraints(whole_bars=True)
    with pytest.raises(InputError, match="key"):
        Constraints(end_on_tonic=True)


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 40),
    start=st.sampled_from([Fraction(0), Fraction(1, 2), Fraction(1), Fraction(3, 2)]),
    seed=st.integers(0, 1000),
)
def test_bars_feasible_plans_never_get_stuck(n, start, seed):
    constraints = Constraints(whole_bars=True, bar=Fraction(2))
    try:
        plan = Plan(VOCAB, constraints, Length(notes=n), start)
    except InputError:
        return
    codes = run(plan, seed)
    assert len(codes) == n
    assert (start + sum(parse_code(c).duration for c in codes)) % 2 == 0
