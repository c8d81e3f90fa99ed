"""Rhythm statistics and the metre's beats on small hand-made melodies with known answers,
and the comparison of generated figures with the training songs' range."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from nabi_music.evaluation.rhythm import bar_repetition, heard_notes
from nabi_music.evaluation.stats import compare, corpus_stats, figures, melody_stats
from nabi_music.music.metre import beat_length, beat_strength, strong_positions

Q = Fraction


def rhythm(codes: str, metre: str = "2/4", pickup: Fraction | None = None, start: int = 0):
    return melody_stats(codes.split(), None, None, start, metre, pickup)["rhythm"]


def test_beats_and_strong_beats_of_each_metre():
    assert [beat_length(m) for m in ("2/4", "3/4", "4/4", "2/2", "3/8", "6/8", "12/8")] == [
        1, 1, 1, 2, Q(1, 2), Q(3, 2), Q(3, 2),
    ]  # fmt: skip
    assert strong_positions("4/4") == (0, 2) and strong_positions("12/8") == (0, 3)
    assert strong_positions("2/4") == (0,) and strong_positions("6/8") == (0,)
    assert [beat_strength("4/4", Q(p)) for p in (0, 1, 2, 3, Q(1, 2))] == [3, 1, 2, 1, 0]
    assert [beat_strength("6/8", p) for p in (0, Q(1, 2), Q(3, 2))] == [3, 0, 1]


def test_a_two_four_melody_with_one_syncopation():
    r = rhythm("c8 d4 c8 e4 e4 c2")
    # onsets at 0, 1/2, 3/2 | 0, 1 | 0: on beats c8 e4 e4 c2; on downbeats c8 e4 c2
    assert r["onsets"] == 6
    assert r["onsets_on_beats"] == pytest.approx(4 / 6, abs=1e-4)
    assert r["onsets_on_downbeats"] == 0.5
    # d4 starts off the beat and sounds over beat 2; the c8 after it ends on the bar line
    assert r["syncopation_rate"] == pytest.approx(1 / 6, abs=1e-4)
    assert r["durations"] == {"1/2": pytest.approx(2 / 6, abs=1e-4), "1": 0.5, "2": 0.1667}
    assert r["last_note"] == {"quarters": "2", "beats": 2.0, "position": "0", "strength": 3}
    assert r["last_note_on_downbeat"] == 1.0


def test_tied_notes_count_once_and_rests_are_no_notes():
    assert [(h.index, h.onset, h.length) for h in heard_notes("c4 e8 e8~ e8 r8 g4".split())] == [
        (0, 0, 1), (1, 1, Q(1, 2)), (2, Q(3, 2), 1), (5, 3, 1),
    ]  # fmt: skip
    r = rhythm("c4 e8 e8~ e8 r8 g4")
    # the tied e (3/2 to 5/2) crosses the bar line from off the beat: a syncopation
    assert r["onsets"] == 4 and r["syncopation_rate"] == 0.25
    assert r["durations"] == {"1/2": 0.25, "1": 0.75}
    # the last note g4 starts on beat 2 of bar 2: a beat, not a downbeat
    assert r["last_note"]["position"] == "1" and r["last_note"]["strength"] == 1


def test_compound_metre_and_upbeat():
    r = rhythm("c4. e8 f8 g8 c2.", "6/8")
    # beats of a dotted quarter: onsets 0 (beat), 3/2 (beat), 2, 5/2, then 3 = 0 of bar 2
    assert r["onsets_on_beats"] == pytest.approx(3 / 5, abs=1e-4)
    assert r["syncopation_rate"] == 0.0
    assert r["last_note"]["beats"] == 2.0
    # an upbeat of one quarter in 3/4: g4 on beat 3, then c on the downbeat
    up = rhythm("g4 c'2 b4 c'2.", "3/4", Q(1))
    assert up["onsets_on_downbeats"] == pytest.approx(2 / 4, abs=1e-4)
    assert up["last_note"]["position"] == "0"
    # the upbeat's short bar is no whole bar: bars c'2 b4 | c'2. compared once
    assert up["bar_repetition"] == 0.0


def test_bar_and_two_bar_repetition():
    assert bar_repetition("c4 d4 c4 d4 e4 f4 c4 d4".split(), Q(2)) == (3, 2, 1, 0)
    assert bar_repetition("c4 d4 e2 c4 d4 e2 g2".split(), Q(2)) == (4, 2, 1, 1)
    r = rhythm("c4 d4 e2 c4 d4 e2")
    assert r["bar_repetition"] == pytest.approx(2 / 3, abs=1e-4)
    assert r["two_bar_repetition"] == 1.0  # bars 3-4 repeat bars 1-2
    # an unfinished last bar is left out
    assert bar_repetition("c4 d4 c4 d4 c4".split(), Q(2)) == (1, 1, 0, 0)


def test_only_the_generated_part_is_counted_and_no_metre_means_no_rhythm():
    r = rhythm("c2 c8 d4 c8", start=1)
    assert r["onsets"] == 3 and r["syncopation_rate"] == pytest.approx(1 / 3, abs=1e-4)
    assert melody_stats("c4 d4".split())["rhythm"] is None


def test_generated_against_the_training_songs_range():
    from nabi_music.evaluation.stats import Sample

    songs = [
        Sample(tuple("c4 d4 e2 c4 d4 e2".split()), None, 0, "2/4"),
        Sample(tuple("c8 d8 e8 f8 g2 g2".split()), None, 0, "2/4"),
        Sample(tuple("e4 e4 d4 d4 c2".split()), None, 0, "2/4"),
        Sample(tuple("c8 d4 c8 e2".split()), None, 0, "2/4"),
    ]
    pooled = corpus_stats(songs)
    assert pooled["rhythm"]["onsets"] == 6 + 6 + 5 + 4
    training = [figures(corpus_stats([s])) for s in songs]
    assert [t["syncopation_rate"] for t in training] == [0.0, 0.0, 0.0, 0.25]
    generated = [melody_stats("c4 d4 e2".split(), time_signature="2/4")] * 2
    rows = {r["figure"]: r for r in compare(generated, training)}
    beats = rows["onsets_on_beats"]
    on_beats = [t["onsets_on_beats"] for t in training]
    assert beats["generated_mean"] == 1.0 and beats["training_songs"] == 4
    assert beats["training_low"] == pytest.approx(np.percentile(on_beats, 5), abs=1e-4)
    assert beats["training_max"] == 1.0 and beats["within"]
    sync = rows["syncopation_rate"]
    assert sync["generated_mean"] == 0.0 and sync["within"]
    last = rows["last_note_beats"]  # every song ends on a half note, the generated too
    assert last["training_low"] == last["training_high"] == 2.0 and last["within"]
    halves = rows["duration_2"]
    assert halves["generated_mean"] == pytest.approx(1 / 3, abs=1e-4)
    outside = compare([melody_stats("c8 d4 d4 d4 c8".split(), time_signature="2/4")], training)
    assert not {r["figure"]: r for r in outside}["syncopation_rate"]["within"]
