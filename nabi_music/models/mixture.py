"""A mixture of note models as one model: networks, an n-gram of codes and an n-gram of
intervals, whose probabilities are averaged with fixed weights.

The weights and the n-grams' orders are chosen elsewhere, on validation songs
(:mod:`nabi_music.evaluation.mixture`); here they are fixed, so that a mixture can
travel as one bundle (:func:`nabi_music.models.bundle.save_bundle`) and predict, be
scored and compose like any model: :class:`MixtureRunner` reads the same windows of
vocabulary indices as the corpus presets' runner (left-padded with the start
symbol) and returns log-probabilities of every code.

How the parts are joined:

- every part gives a distribution over the vocabulary's codes; the mixture is the
  weighted mean of the probabilities (:func:`mix`);
- the n-grams read the song so far from the window (the start symbols stripped),
  so the window must hold their contexts (it is at least the highest order);
- the interval n-gram knows pitches (and rests), not durations: each pitch's mass is
  shared among that pitch's codes as the code n-gram of ``spread_order`` shares it
  (:func:`nabi_music.models.ngram.spread`); with pitch-only songs (one code per
  pitch) that changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

import numpy as np

from nabi_music.data.encoding import Vocabulary, feature_table, pitch_classes
from nabi_music.errors import InputError
from nabi_music.models.ngram import MAX_ORDER, SMOOTHINGS, IntervalNgramModel, NgramModel, spread

PART_KINDS = ("network", "metre", "ngram", "interval")
"""What a part of a mixture is: a trained network or metre-aware network (a bundle of
its own), an n-gram of codes, or an n-gram of intervals."""
NETWORK_KINDS = ("network", "metre")
MAX_PARTS = 16
"""Parts of one mixture."""
PART_NAME = re.compile(r"[a-z0-9][a-z0-9_.+-]{0,39}")
"""A part's name (a network's is also a file name inside the bundle)."""


def mix(parts: Sequence[np.ndarray], weights: Sequence[float]) -> np.ndarray:
    """The log of the weighted mean of the parts' probabilities (natural logs, all of the
    same shape)."""
    return np.log(sum(w * np.exp(lp) for w, lp in zip(weights, parts, strict=True)))


def log_softmax(z: np.ndarray) -> np.ndarray:
    z = np.asarray(z, dtype=np.float64)
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


@dataclass(frozen=True)
class Part:
    """One part of a mixture: its name, kind, n-gram order (0 for a network) and weight."""

    name: str
    kind: str
    weight: float
    order: int = 0

    def __post_init__(self) -> None:
        if self.kind not in PART_KINDS:
            raise InputError(f"unknown mixture part {self.kind!r}; expected {PART_KINDS}")
        if not PART_NAME.fullmatch(self.name):
            raise InputError(f"a part's name: lower-case letters and digits, got {self.name!r}")
        network = self.kind in NETWORK_KINDS
        if network != (self.order == 0) or not 0 <= self.order <= MAX_ORDER:
            raise InputError(f"part {self.name}: an n-gram has an order from 1 to {MAX_ORDER}")
        if not 0.0 <= self.weight <= 1.0:
            raise InputError(f"part {self.name}: a weight from 0 to 1, got {self.weight}")

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "weight": self.weight, "order": self.order}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Part:
        return cls(str(data["name"]), str(data["kind"]), float(data["weight"]), int(data["order"]))


@dataclass(frozen=True)
class MixtureConfig:
    """The parts and weights of a mixture, the window its runner reads, and the order of
    the code n-gram that gives the interval n-gram its durations (``spread_order``).

    It answers what the code that predicts and composes asks of a model's config: the
    window, and that windows are left-padded with the start symbol (``start_padded``)
    and that there is no state carried between windows (``stateful``)."""

    parts: tuple[Part, ...]
    window: int
    spread_order: int | None = None
    smoothing: str = "witten-bell"
    preset: str = "mixture"
    stateful: bool = field(default=False, init=False)
    start_padded: bool = field(default=True, init=False)
    encoding: str = field(default="embedding", init=False)

    def __post_init__(self) -> None:
        if not 1 <= len(self.parts) <= MAX_PARTS:
            raise InputError(f"a mixture has 1 to {MAX_PARTS} parts, got {len(self.parts)}")
        names = [p.name for p in self.parts]
        if len(set(names)) != len(names):
            raise InputError(f"a mixture names each part once, got {', '.join(names)}")
        if abs(sum(p.weight for p in self.parts) - 1.0) > 1e-6:
            raise InputError("a mixture's weights add up to 1")
        orders = [p.order for p in self.parts] + [self.spread_order or 0]
        if self.window < max(orders) or self.window < 1:
            raise InputError(f"a mixture's window ({self.window}) holds its n-grams' contexts")
        if any(p.kind == "interval" for p in self.parts) and not self.spread_order:
            raise InputError("a mixture with an interval n-gram names its spread_order")
        if self.spread_order is not None and not 1 <= self.spread_order <= MAX_ORDER:
            raise InputError(f"spread_order: from 1 to {MAX_ORDER}, got {self.spread_order}")
        if self.smoothing not in SMOOTHINGS:
            raise InputError(f"unknown smoothing {self.smoothing!r}")

    @property
    def weights(self) -> tuple[float, ...]:
        return tuple(p.weight for p in self.parts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "preset": self.preset,
            "parts": [p.to_dict() for p in self.parts],
            "window": self.window,
            "spread_order": self.spread_order,
            "smoothing": self.smoothing,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MixtureConfig:
        spread_order = data.get("spread_order")
        return cls(
            parts=tuple(Part.from_dict(p) for p in data["parts"]),
            window=int(data["window"]),
            spread_order=int(spread_order) if spread_order is not None else None,
            smoothing=str(data.get("smoothing", "witten-bell")),
        )


def _contexts(indices: np.ndarray, start: int) -> list[list[int]]:
    """Each window's song so far: its indices without the start symbol ``start``."""
    return [[int(i) for i in row if i != start] for row in indices]


@dataclass
class MixtureRunner:
    """A mixture's forward pass: ``(x, state) -> (log-probabilities, state)`` for windows
    ``x`` of vocabulary indices ``(batch, window, 1)``, as the corpus presets' runner."""

    config: MixtureConfig
    size: int
    """The vocabulary's size (the start symbol is index ``size``)."""
    networks: dict[str, Any]
    """Each network part's runner, by name."""
    ngrams: dict[int, NgramModel]
    intervals: dict[int, IntervalNgramModel]
    pitch_of: np.ndarray

    def zero_state(self, batch: int = 1) -> tuple:
        return ()

    def in_setting(self, time_signature: str | None, key: str | None, pickup: Any = None) -> Any:
        """The mixture whose metre-aware parts read songs in this metre and key."""
        networks = {
            name: r.in_setting(time_signature, key, pickup) if hasattr(r, "in_setting") else r
            for name, r in self.networks.items()
        }
        return replace(self, networks=networks)

    def __call__(self, x: np.ndarray, state: tuple = ()) -> tuple[np.ndarray, tuple]:
        x = np.asarray(x, dtype=np.float32)
        contexts = _contexts(np.rint(x[..., 0]).astype(np.int64), self.size)

        def rows(model: Any) -> np.ndarray:
            return np.log(np.array([model.distribution(c) for c in contexts]))

        parts = []
        for part in self.config.parts:
            if part.kind in NETWORK_KINDS:
                runner = self.networks[part.name]
                logits, _ = runner(x[:, -runner.config.window :])
                parts.append(log_softmax(logits))
            elif part.kind == "ngram":
                parts.append(rows(self.ngrams[part.order]))
            else:
                by = rows(self.ngrams[self.config.spread_order])
                parts.append(spread(rows(self.intervals[part.order]), by, self.pitch_of))
        return mix(parts, self.config.weights), state


@dataclass(frozen=True)
class MixtureBundle:
    """A trained mixture: its parts' networks (bundles), the songs its n-grams count
    (``meta["songs"]``, the training songs), its weights and orders. It predicts,
    is scored and composes as a :class:`nabi_music.models.bundle.Bundle` does."""

    vocabulary: Vocabulary
    config: MixtureConfig
    networks: dict[str, Any]
    """Each network part's :class:`~nabi_music.models.bundle.Bundle`, by name."""
    seed: int
    meta: dict[str, Any] = field(default_factory=dict, compare=False)
    trained_on: tuple[str, ...] = ()
    versions: dict[str, str] = field(default_factory=dict, compare=False)

    def __repr__(self) -> str:
        parts = ", ".join(
            f"{p.name}{f' {p.order}' if p.order else ''} {p.weight:.2f}" for p in self.config.parts
        )
        return f"<Bundle mixture: {len(self.vocabulary)} codes, seed {self.seed}, {parts}>"

    @property
    def table(self) -> np.ndarray:
        return feature_table(self.vocabulary, "embedding")

    def songs(self) -> list[np.ndarray]:
        """The songs the n-grams count, as vocabulary indices."""
        records = self.meta.get("songs") or []
        out = [self.vocabulary.encode(s["codes"].split()) for s in records]
        return [s for s in out if len(s)]

    def runner(self) -> MixtureRunner:
        return self._runner

    @cached_property
    def _runner(self) -> MixtureRunner:
        config = self.config
        pitch_of = pitch_classes(self.vocabulary)
        orders = {p.order for p in config.parts if p.kind == "ngram"}
        interval_orders = {p.order for p in config.parts if p.kind == "interval"}
        if interval_orders:
            orders.add(int(config.spread_order or 1))
        songs = self.songs() if orders or interval_orders else []
        if (orders or interval_orders) and not songs:
            raise InputError("the mixture's bundle records no training song to count")
        n = len(self.vocabulary)
        return MixtureRunner(
            config,
            n,
            {name: bundle.runner() for name, bundle in self.networks.items()},
            {k: NgramModel(k, n, config.smoothing).fit(songs) for k in sorted(orders)},
            {
                k: IntervalNgramModel(k, pitch_of, config.smoothing).fit(songs)
                for k in sorted(interval_orders)
            },
            pitch_of,
        )
