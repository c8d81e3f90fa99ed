"""Choosing a mixture on validation songs: weights over the simplex, and the n-grams'
orders chosen with them."""

from __future__ import annotations

import numpy as np

from nabi_music.evaluation.mixture import (
    best_weights,
    bits,
    choose_mixture,
    mixture,
    simplex,
)


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
    choice, weights, scored = choose_mixture([[poor, good], [poor]], targets, pitch_of)
    assert choice == (1, 0)  # the second candidate of the first part: its better order
    assert weights[0] > weights[1]
    assert scored < bits(poor, targets, pitch_of) == 1.0


def test_the_code_target_counts_only_the_real_code():
    """Grouped by pitch, c4 and c8 (one pitch) count together; grouped by code, only the
    real one counts."""
    targets = [np.array([0])]
    half = [np.log(np.array([[0.5, 0.5]]))]
    assert bits(half, targets, np.array([60, 60])) == 0.0
    assert bits(half, targets, np.arange(2)) == 1.0
