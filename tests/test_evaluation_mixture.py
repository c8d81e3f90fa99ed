"""The cross-validation mixture: weights over the simplex chosen on validation songs,
the n-gram parts, the member cache, and a whole run on a tiny corpus."""

from __future__ import annotations

import numpy as np
import pytest

from nabi_music.data.corpus import Split
from nabi_music.evaluation.crossval import CorpusOptions, corpus_vocabulary, prepare
from nabi_music.evaluation.mixture import (
    MemberCache,
    best_weights,
    choose_mixture,
    count_ngrams,
    cross_validate_mixture,
    mixture,
    simplex,
)
from nabi_music.music.notes import Melody

SONGS = [
    "c4 d4 e4 c4 c4 d4 e4 c4 e4 f4 g2",
    "g4 e4 e2 f4 d4 d2 c4 d4 e4 f4 g4 g4 g2",
    "c4 c4 g4 g4 a4 a4 g2 f4 f4 e4 e4 d4 d4 c2",
    "e4 d4 c4 d4 e4 e4 e2 d4 d4 d2 e4 g4 g2",
    "c4 e4 g4 c'4 g4 e4 c2",
    "d4 e4 f4 d4 e4 c4 d2",
    "g4 a4 g4 f4 e4 f4 g2 d4 e4 f2 e4 f4 g2",
    "c4 d4 e4 f4 g4 a4 b4 c'2",
    "c'4 b4 a4 g4 f4 e4 d4 c2",
    "e4 e4 f4 g4 g4 f4 e4 d4 c4 c4 d4 e4 e4 d4 d2",
    "g4 g4 a4 g4 c'4 b2",
    "f4 e4 d4 c4 d4 e4 f4 g4 a2",
]


def _uniform(n_notes: int, n_classes: int) -> np.ndarray:
    return np.full((n_notes, n_classes), -np.log(n_classes))


def test_simplex_holds_every_grid_point_once():
    points = simplex(3, 0.5)
    assert len(points) == 6
    assert all(abs(sum(p) - 1) < 1e-12 for p in points)
    assert (1.0, 0.0, 0.0) in points and (0.0, 0.5, 0.5) in points
    assert len(simplex(2)) == 21


def test_mixture_of_one_part_is_that_part():
    a = [np.log(np.array([[0.5, 0.5], [0.9, 0.1]]))]
    b = [np.log(np.array([[0.1, 0.9], [0.2, 0.8]]))]
    np.testing.assert_allclose(mixture([a, b], (1.0, 0.0))[0], a[0])
    half = mixture([a, b], (0.5, 0.5))[0]
    np.testing.assert_allclose(np.exp(half), [[0.3, 0.7], [0.55, 0.45]])


def test_best_weights_prefer_the_part_that_knows():
    targets = [np.array([0, 1, 2, 1])]
    pitch_of = np.array([60, 62, 64])
    knows = [np.log(np.eye(3)[targets[0]] * 0.98 + 0.01)]
    guesses = [_uniform(4, 3)]
    weights, bits = best_weights([guesses, knows], targets, pitch_of)
    assert weights[1] > 0.9
    assert bits < np.log2(3)


def test_choose_mixture_picks_orders_from_the_grams():
    targets = [np.array([0, 1, 0, 1])]
    pitch_of = np.array([60, 62])
    good = [np.log(np.eye(2)[targets[0]] * 0.9 + 0.05)]
    poor = [_uniform(4, 2)]
    grams = {
        ("pitch", 2): (poor, poor),
        ("pitch", 3): (good, good),
        ("interval", 2): (poor, poor),
    }
    weights, pitch_order, interval_order = choose_mixture(
        [], grams, targets, pitch_of, orders=(2, 3), interval_orders=(2,)
    )
    assert (pitch_order, interval_order) == (3, 2)
    assert weights[0] > weights[1]


def test_member_cache_round_trip(tmp_path):
    cache = MemberCache(tmp_path / "cache")
    split = Split((0, 1), (2,), (3,))
    path = cache.path("tiny", "lstm", 0, ["tiny", {}, split.to_dict()])
    assert path.name.startswith("tiny-lstm-fold1-") and path.suffix == ".npz"
    assert cache.load(path, 1, 1) is None
    val, test = [np.arange(6.0).reshape(2, 3)], [np.ones((1, 3))]
    cache.save(path, val, test, {"epochs": 3, "seconds": 0.5})
    got_val, got_test, info = cache.load(path, 1, 1)
    np.testing.assert_array_equal(got_val[0], val[0])
    np.testing.assert_array_equal(got_test[0], test[0])
    assert info == {"epochs": 3, "seconds": 0.5}


def test_count_ngrams_gives_distributions():
    options = CorpusOptions(pitch_only=True)
    songs = prepare([Melody.from_codes(s.split()) for s in SONGS], options)
    vocabulary = corpus_vocabulary(songs, options)
    ys = [vocabulary.encode(m.codes) for m in songs]
    grams = count_ngrams(ys[:8], ys[8:10], ys[10:], vocabulary, orders=(2,), interval_orders=(3,))
    assert set(grams) == {("pitch", 2), ("interval", 3)}
    for val, test in grams.values():
        assert len(val) == 2 and len(test) == 2
        for lp, y in zip(test, ys[10:], strict=True):
            assert lp.shape == (len(y), len(vocabulary))
            np.testing.assert_allclose(np.exp(lp).sum(axis=1), 1.0, atol=1e-6)


def test_cross_validation_of_the_n_gram_mixture_on_a_tiny_corpus(tmp_path):
    options = CorpusOptions(pitch_only=True)
    songs = prepare([Melody.from_codes(s.split()) for s in SONGS], options)
    vocabulary = corpus_vocabulary(songs, options)
    seen = []
    result = cross_validate_mixture(
        "tiny",
        songs,
        vocabulary,
        options,
        {},
        k=3,
        seed=1,
        cache=MemberCache(tmp_path),
        orders=(2, 3),
        interval_orders=(2, 3),
        on_fold=seen.append,
    )
    labels = [label for label, _ in result.rows]
    assert labels == [
        "2-gram Witten-Bell",
        "3-gram Witten-Bell",
        "interval 2-gram Witten-Bell",
        "interval 3-gram Witten-Bell",
        "pitch + interval n-gram mixture",
        "networks + n-gram mixture",
    ]
    assert [f.index for f in seen] == [0, 1, 2]
    assert sum(f.test_songs for f in seen) == len(songs)
    total = sum(len(m.notes) for m in songs)
    for _, scores in result.rows:
        assert scores.notes == total
        assert 0 < scores.pitch_bits < np.log2(len(vocabulary)) + 1
    for weights in result.weights:
        assert sum(weights.values()) == pytest.approx(1.0)
    rows = dict(result.rows)
    best_single = min(rows[label].pitch_bits for label in labels[:4])
    assert rows["pitch + interval n-gram mixture"].pitch_bits <= best_single + 0.5
