"""Mixtures of models' note distributions on held-out songs: networks, a pitch n-gram and
an interval n-gram, averaged with weights (and n-gram orders) chosen on validation
songs; and the cross-validation by song that scores them, with each member network's
predictions kept in a cache.

The target is the chromatic pitch of every note (a pitch-only corpus). Every part
gives, per song, the log-probabilities of every code at every note; a mixture is
the log of the weighted mean of the parts' probabilities. The weights are the best
point of a grid over the simplex (multiples of :data:`GRID`), scored in bits per
pitch on the validation songs of the fold; nothing is learnt from the test songs.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nabi_music.data.corpus import Split, folds, take
from nabi_music.data.encoding import Vocabulary, pitch_classes
from nabi_music.evaluation.crossval import CorpusOptions, pool, run_split
from nabi_music.evaluation.scores import Scores, network_log_probs, score_predictions
from nabi_music.fileio import atomic_write
from nabi_music.models.bundle import Bundle
from nabi_music.models.ngram import IntervalNgramModel, NgramModel
from nabi_music.models.presets import ModelConfig
from nabi_music.music.notes import Melody

ORDERS = (2, 3, 4, 5)
"""Orders of the pitch n-grams tried."""
INTERVAL_ORDERS = (2, 3, 4, 5, 6, 7, 8)
"""Orders of the interval n-grams tried."""
GRID = 0.05
"""Step of the weight grid over the simplex."""

Parts = list[list[np.ndarray]]
"""Per part, per song: log-probabilities, one row per note."""


def network(bundle: Bundle, songs: Sequence[Melody]) -> list[np.ndarray]:
    """A trained network's log-probabilities of each song, from its start."""
    runner, table = bundle.runner(), bundle.table
    return [network_log_probs(runner, table, bundle.vocabulary.encode(m.codes))[0] for m in songs]


def mixture(parts: Parts, weights: Sequence[float]) -> list[np.ndarray]:
    """Per song, the log of the weighted mean of the parts' probabilities."""
    return [
        np.log(sum(w * np.exp(lp) for w, lp in zip(weights, song, strict=True)))
        for song in zip(*parts, strict=True)
    ]


def simplex(n: int, step: float = GRID) -> list[tuple[float, ...]]:
    """Every weight vector of ``n`` non-negative multiples of ``step`` adding up to 1."""
    k = round(1 / step)
    return [
        tuple(c / k for c in (*cut, k - sum(cut)))
        for cut in itertools.product(range(k + 1), repeat=n - 1)
        if sum(cut) <= k
    ]


def best_weights(
    parts: Parts, targets: Sequence[np.ndarray], pitch_of: np.ndarray
) -> tuple[tuple[float, ...], float]:
    """The mixture weights with the fewest bits per pitch on these (validation) songs,
    and those bits."""
    index = np.unique(pitch_of, return_inverse=True)[1]
    # each part's probability of each note's real pitch (pitch mass is linear in the mixture)
    p = np.array(
        [
            np.concatenate(
                [
                    (np.exp(lp) * (index[None, :] == index[y][:, None])).sum(axis=1)
                    for lp, y in zip(part, targets, strict=True)
                ]
            )
            for part in parts
        ]
    )
    candidates = np.array(simplex(len(parts)))
    bits = -np.log2(candidates @ p).mean(axis=1)
    best = int(np.argmin(bits))
    return tuple(float(x) for x in candidates[best]), float(bits[best])


Grams = dict[tuple[str, int], tuple[list[np.ndarray], list[np.ndarray]]]
"""(``pitch`` or ``interval``, order) -> (validation, test) log-probabilities."""


def choose_mixture(
    networks: Parts,
    grams: Grams,
    targets: Sequence[np.ndarray],
    pitch_of: np.ndarray,
    orders: Sequence[int] = ORDERS,
    interval_orders: Sequence[int] = INTERVAL_ORDERS,
) -> tuple[tuple[float, ...], int, int]:
    """The weights of the networks, the pitch n-gram and the interval n-gram, and the two
    n-grams' orders, with the fewest bits on these (validation) songs."""
    best = None
    for pitch_order, interval_order in itertools.product(orders, interval_orders):
        parts = [*networks, grams["pitch", pitch_order][0], grams["interval", interval_order][0]]
        w, bits = best_weights(parts, targets, pitch_of)
        if best is None or bits < best[0]:
            best = (bits, w, pitch_order, interval_order)
    assert best is not None
    return best[1], best[2], best[3]


def count_ngrams(
    train: Sequence[np.ndarray],
    validation: Sequence[np.ndarray],
    test: Sequence[np.ndarray],
    vocabulary: Vocabulary,
    orders: Sequence[int] = ORDERS,
    interval_orders: Sequence[int] = INTERVAL_ORDERS,
) -> Grams:
    """The pitch and interval n-grams of every order, counted on the training songs, and
    their log-probabilities of the validation and test songs."""
    pitch_of = pitch_classes(vocabulary)
    grams: Grams = {}
    for order in orders:
        pitch = NgramModel(order, len(vocabulary)).fit(train)
        grams["pitch", order] = (
            [pitch.log_probs(y) for y in validation],
            [pitch.log_probs(y) for y in test],
        )
    for order in interval_orders:
        interval = IntervalNgramModel(order, pitch_of).fit(train)
        grams["interval", order] = (
            [interval.log_probs(y) for y in validation],
            [interval.log_probs(y) for y in test],
        )
    return grams


@dataclass(frozen=True)
class MemberCache:
    """Member networks' log-probabilities of a fold's validation and test songs, kept in
    ``folder`` as ``.npz`` files named by corpus, member, fold and a digest of the
    settings (so a rerun with another member trains only that one)."""

    folder: Path

    def path(
        self,
        name: str,
        member: str,
        fold: int,
        key: Sequence[Any],
    ) -> Path:
        digest = hashlib.sha256(json.dumps(list(key)).encode()).hexdigest()[:12]
        return self.folder / f"{name}-{member}-fold{fold + 1}-{digest}.npz"

    @staticmethod
    def load(path: Path, n_validation: int, n_test: int) -> tuple[list, list, dict] | None:
        if not path.exists():
            return None
        data = np.load(path, allow_pickle=False)
        info = json.loads(str(data["info"]))
        arrays = [data[f"s{i}"] for i in range(n_validation + n_test)]
        return arrays[:n_validation], arrays[n_validation:], info

    @staticmethod
    def save(path: Path, validation: list, test: list, info: dict[str, Any]) -> None:
        arrays = {f"s{i}": a for i, a in enumerate([*validation, *test])}
        with atomic_write(path) as tmp:  # a unique name: a killed run leaves no .tmp behind
            np.savez(tmp, info=json.dumps(info), **arrays)


def member_log_probs(
    name: str,
    member: str,
    config: ModelConfig,
    fold: int,
    split: Split,
    songs: Sequence[Melody],
    vocabulary: Vocabulary,
    options: CorpusOptions,
    seed: int,
    epochs: int | None,
    cache: MemberCache,
) -> tuple[list[np.ndarray], list[np.ndarray], dict[str, Any]]:
    """A member network's log-probabilities of the fold's validation and test songs
    (trained now, or read from the cache)."""
    key = [name, config.to_dict(), options.to_dict(), seed, epochs, split.to_dict()]
    path = cache.path(name, member, fold, key)
    cached = cache.load(path, len(split.validation), len(split.test))
    if cached is not None:
        return cached
    result = run_split(
        songs, split, config, options, vocabulary=vocabulary, seed=seed, epochs=epochs
    )
    val = network(result.bundle, take(songs, split.validation))
    test = network(result.bundle, take(songs, split.test))
    info = {"epochs": len(result.report.logs["loss"]), "seconds": result.report.seconds}
    cache.save(path, val, test, info)
    return val, test, info


@dataclass
class Fold:
    """What one fold gave: the test songs, each member's figures and the mixture chosen."""

    index: int
    test_songs: int
    members: dict[str, tuple[Scores, dict[str, Any]]] = field(default_factory=dict)
    averaged: Scores | None = None
    mixture: Scores | None = None
    weights: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class MixtureResult:
    """Every model's figures pooled over all folds, in the order first scored, and the
    mixture weights of each fold."""

    rows: list[tuple[str, Scores]]
    weights: list[dict[str, float]]


def cross_validate_mixture(
    name: str,
    songs: Sequence[Melody],
    vocabulary: Vocabulary,
    options: CorpusOptions,
    members: Mapping[str, ModelConfig],
    *,
    k: int = 10,
    seed: int = 1,
    epochs: int | None = None,
    cache: MemberCache,
    orders: Sequence[int] = ORDERS,
    interval_orders: Sequence[int] = INTERVAL_ORDERS,
    on_fold: Callable[[Fold], None] | None = None,
) -> MixtureResult:
    """K-fold cross-validation by song of the member networks, their average, the
    n-grams of every order, the n-gram mixture and the networks + n-grams mixture."""
    pitch_of = pitch_classes(vocabulary)
    scores: dict[str, list[Scores]] = {}
    weights = []

    def add(label: str, log_probs: list[np.ndarray], targets: list[np.ndarray]) -> Scores:
        s = score_predictions(log_probs, targets, pitch_of)
        scores.setdefault(label, []).append(s)
        return s

    for i, split in enumerate(folds(len(songs), k, seed)):
        train, val, test = (take(songs, s) for s in (split.train, split.validation, split.test))
        train_y, val_y, test_y = (
            [vocabulary.encode(m.codes) for m in x] for x in (train, val, test)
        )
        fold = Fold(i, len(test))
        val_parts, test_parts = [], []
        for member, config in members.items():
            v, t, info = member_log_probs(
                name, member, config, i, split, songs, vocabulary, options, seed, epochs, cache
            )
            val_parts.append(v)
            test_parts.append(t)
            fold.members[member] = (add(f"{member} network", t, test_y), info)
        if len(members) > 1:
            fold.averaged = add(
                "networks averaged", mixture(test_parts, [1 / len(members)] * len(members)), test_y
            )
        grams = count_ngrams(train_y, val_y, test_y, vocabulary, orders, interval_orders)
        for order in orders:
            add(f"{order}-gram Witten-Bell", grams["pitch", order][1], test_y)
        for order in interval_orders:
            add(f"interval {order}-gram Witten-Bell", grams["interval", order][1], test_y)
        # the mixtures: n-gram orders and weights with the fewest bits on the validation songs
        w, pitch_order, interval_order = choose_mixture(
            [], grams, val_y, pitch_of, orders, interval_orders
        )
        ngram_parts = [grams["pitch", pitch_order][1], grams["interval", interval_order][1]]
        add("pitch + interval n-gram mixture", mixture(ngram_parts, w), test_y)
        w, pitch_order, interval_order = choose_mixture(
            val_parts, grams, val_y, pitch_of, orders, interval_orders
        )
        parts = [*test_parts, grams["pitch", pitch_order][1], grams["interval", interval_order][1]]
        fold.mixture = add("networks + n-gram mixture", mixture(parts, w), test_y)
        names = [*members, f"pitch {pitch_order}-gram", f"interval {interval_order}-gram"]
        fold.weights = dict(zip(names, w, strict=True))
        weights.append(fold.weights)
        if on_fold is not None:
            on_fold(fold)
    rows = [(label, pool(parts)) for label, parts in scores.items()]
    return MixtureResult(rows, weights)
