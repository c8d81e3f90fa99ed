"""Choosing a mixture on validation songs: the weights (a grid over the simplex) and the
n-grams' orders with which the parts' probabilities are averaged.

Every part gives, per song, the log-probabilities of every code at every note; a
mixture is the log of the weighted mean of the parts' probabilities
(:func:`nabi_music.models.mixture.mix`). The weights are the best point of a grid
over the simplex (multiples of :data:`GRID`), scored in bits per note of the
target on the validation songs: the pitch (codes grouped by their pitch) or the
whole code. Nothing is learnt from the test songs.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np

from nabi_music.models.mixture import mix

ORDERS = (2, 3, 4, 5)
"""Orders of the code (or pitch) n-grams tried."""
INTERVAL_ORDERS = (2, 3, 4, 5, 6, 7, 8)
"""Orders of the interval n-grams tried."""
GRID = 0.05
"""Step of the weight grid over the simplex."""

Songs = list[np.ndarray]
"""Per song: log-probabilities, one row per note."""


def mixture(parts: Sequence[Songs], weights: Sequence[float]) -> Songs:
    """Per song, the log of the weighted mean of the parts' probabilities."""
    return [mix(song, weights) for song in zip(*parts, strict=True)]


def simplex(n: int, step: float = GRID) -> list[tuple[float, ...]]:
    """Every weight vector of ``n`` non-negative multiples of ``step`` adding up to 1."""
    k = round(1 / step)
    return [
        tuple(c / k for c in (*cut, k - sum(cut)))
        for cut in itertools.product(range(k + 1), repeat=n - 1)
        if sum(cut) <= k
    ]


def target_probs(part: Songs, targets: Sequence[np.ndarray], groups: np.ndarray) -> np.ndarray:
    """A part's probability of each note's real target, over all songs: the summed
    probability of the codes in the real code's group (``groups[c]``: code ``c``'s
    pitch for the pitch, or ``c`` itself for the code)."""
    index = np.unique(groups, return_inverse=True)[1]
    return np.concatenate(
        [
            (np.exp(lp) * (index[None, :] == index[y][:, None])).sum(axis=1)
            for lp, y in zip(part, targets, strict=True)
        ]
    )


def bits(part: Songs, targets: Sequence[np.ndarray], groups: np.ndarray) -> float:
    """A part's bits per note of the target on these songs."""
    return float(-np.log2(target_probs(part, targets, groups)).mean())


def _best(p: np.ndarray) -> tuple[tuple[float, ...], float]:
    candidates = np.array(simplex(len(p)))
    scored = -np.log2(candidates @ p).mean(axis=1)
    best = int(np.argmin(scored))
    return tuple(float(x) for x in candidates[best]), float(scored[best])


def best_weights(
    parts: Sequence[Songs], targets: Sequence[np.ndarray], groups: np.ndarray
) -> tuple[tuple[float, ...], float]:
    """The mixture weights with the fewest bits per note on these (validation) songs,
    and those bits (the target's mass is linear in the mixture)."""
    return _best(np.array([target_probs(part, targets, groups) for part in parts]))


def choose_mixture(
    candidates: Sequence[Sequence[Songs]], targets: Sequence[np.ndarray], groups: np.ndarray
) -> tuple[tuple[int, ...], tuple[float, ...], float]:
    """The mixture with the fewest bits on these (validation) songs: ``candidates[i]``
    holds what part ``i`` may be (one for a network, one per order for an n-gram whose
    order is chosen); the choice of each part, the weights and the bits."""
    probs = [[target_probs(c, targets, groups) for c in part] for part in candidates]
    best = None
    for choice in itertools.product(*(range(len(part)) for part in probs)):
        weights, scored = _best(np.array([probs[i][k] for i, k in enumerate(choice)]))
        if best is None or scored < best[2]:
            best = (choice, weights, scored)
    assert best is not None
    return best
