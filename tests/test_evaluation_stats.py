"""Musical statistics on hand-made melodies."""

from __future__ import annotations

import math

import pytest

from nabi_music.evaluation.stats import NgramIndex, corpus_stats, entropy_bits, melody_stats, ngrams
from nabi_music.music.keys import parse_scale

C_SCALE = "c4 d4 e4 f4 g4 a4 b4 c'4".split()


def test_c_major_scale():
    s = melody_stats(C_SCALE, parse_scale("C major"))
    assert s["in_scale_rate"] == 1.0
    # eight notes, C twice: entropy of (2, 1, 1, 1, 1, 1, 1) / 8
    assert s["pitch_class_entropy_bits"] == pytest.approx(
        entropy_bits([2, 1, 1, 1, 1, 1, 1]), abs=1e-4
    )
    seven = melody_stats(C_SCALE[:7], parse_scale("C major"))
    assert seven["pitch_class_entropy_bits"] == pytest.approx(math.log2(7), abs=1e-4)
    assert (s["lowest"], s["highest"], s["span_semitones"]) == ("C4", "C5", 12)
    assert s["intervals"] == {"1": 2, "2": 5}
    assert s["step_rate"] == 1.0
    assert s["mean_abs_interval"] == pytest.approx(12 / 7, abs=1e-3)
    assert s["repeated_ngram_rate"] == {str(n): None for n in range(4, 9)}


def test_in_scale_rate_and_rests_and_ties():
    s = melody_stats("c4 r4 cis4 d4~ d4 e4".split(), parse_scale("C major"))
    # heard notes: c cis d e (the tied d counts once; the rest is no note)
    assert s["pitched_notes"] == 4 and s["rests"] == 1 and s["notes"] == 6
    assert s["in_scale_rate"] == 0.75
    assert s["intervals"] == {"1": 2, "2": 1}
    assert melody_stats(["c4"], None)["in_scale_rate"] is None


def test_repeated_ngrams_count_what_is_copied():
    training = NgramIndex.build([C_SCALE, "g4 g4 g4 g4 g4".split()])
    assert len(ngrams(C_SCALE, 4)) == 5
    copy = melody_stats(C_SCALE, training=training)
    assert copy["repeated_ngram_rate"]["4"] == 1.0
    assert copy["repeated_ngram_rate"]["8"] == 1.0
    # primer c4 d4 e4 f4, then four new notes: n-grams ending in the new part only
    half = "c4 d4 e4 f4 g4 a4 e4 e4".split()
    s = melody_stats(half, training=training, start=4)
    # 4-grams ending at index 4..7: cdefg? (d e f g) yes, (e f g a) yes, (f g a e) no, (g a e e) no
    assert s["repeated_ngram_rate"]["4"] == 0.5
    assert s["repeated_ngram_rate"]["5"] == 0.5  # (c d e f g) and (d e f g a) of four
    assert s["notes"] == 4
    # the interval from the primer's last note into the generated part counts
    assert s["intervals"] == {"-5": 1, "0": 1, "2": 2}


def test_corpus_stats_are_leave_one_out():
    songs = [
        ("c4 d4 e4 f4 g4".split(), parse_scale("C")),
        ("c4 d4 e4 f4 a4".split(), parse_scale("C")),
        ("fis4 g4 a4 b4 c'4".split(), parse_scale("G")),
    ]
    training = NgramIndex.build([codes for codes, _ in songs])
    s = corpus_stats(songs, training)
    # 4-grams: song 1 (cdef defg), song 2 (cdef defa), song 3 (fgab gabc): cdef in both 1 and 2
    assert s["repeated_ngram_rate"]["4"] == pytest.approx(2 / 6, abs=1e-4)
    assert s["in_scale_rate"] == 1.0  # each song against its own key
    single = corpus_stats(songs[:1], NgramIndex.build([songs[0][0]]))
    assert single["repeated_ngram_rate"]["4"] is None
