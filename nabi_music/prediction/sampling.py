"""Seeded sampling over a model's logits, and the generation loop that feeds it back.

The model gives logits over its vocabulary for the note after a window. One
step of sampling:

1. drop the codes a constraint mask forbids (:mod:`nabi_music.prediction.constraints`);
2. keep the ``top_k`` most likely of the rest (ties broken by vocabulary order);
3. divide the logits by the ``temperature`` and renormalise (softmax);
4. draw one code with the caller's :class:`numpy.random.Generator`.

A temperature of 0 takes the most likely allowed code (argmax), so with no
mask it generates exactly what :func:`nabi_music.prediction.tutorial.predict_full_song`
does; ``top_k=1`` does the same at any temperature. Randomness comes only from
the Generator passed in: the same seed gives the same melody.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from nabi_music.errors import InputError

MAX_NOTES = 100_000
"""The most notes one generation may make (a guard for time-based lengths)."""


@dataclass(frozen=True)
class Sampling:
    """How to draw each note: ``temperature`` >= 0 (0 = argmax), ``top_k`` >= 1 or None."""

    temperature: float = 1.0
    top_k: int | None = None

    def __post_init__(self) -> None:
        if not (isinstance(self.temperature, int | float) and math.isfinite(self.temperature)):
            raise InputError(f"temperature must be a number, got {self.temperature!r}")
        if self.temperature < 0:
            raise InputError(f"temperature must be 0 or more, got {self.temperature:g}")
        if self.top_k is not None and self.top_k < 1:
            raise InputError(f"top-k must be at least 1, got {self.top_k}")

    @property
    def greedy(self) -> bool:
        return self.temperature == 0 or self.top_k == 1

    def to_dict(self) -> dict[str, Any]:
        return {"temperature": self.temperature, "top_k": self.top_k}


def distribution(
    logits: np.ndarray, sampling: Sampling, mask: np.ndarray | None = None
) -> np.ndarray:
    """The probability of each code (float64, sums to 1) after mask, top-k and temperature.

    A greedy setting gives probability 1 to the first most likely allowed code.
    Raises :class:`InputError` when the mask allows nothing.
    """
    z = np.asarray(logits, dtype=np.float64).reshape(-1)
    allowed = np.isfinite(z) if mask is None else (np.asarray(mask, dtype=bool) & np.isfinite(z))
    if not allowed.any():
        raise InputError("no code is possible at this step: the constraints leave none")
    z = np.where(allowed, z, -np.inf)
    if sampling.greedy:
        p = np.zeros_like(z)
        p[int(np.argmax(z))] = 1.0
        return p
    if sampling.top_k is not None and sampling.top_k < int(allowed.sum()):
        order = np.argsort(-z, kind="stable")
        z[order[sampling.top_k :]] = -np.inf
    z = (z - z.max()) / sampling.temperature
    p = np.exp(z)  # exp(-inf) = 0
    return p / p.sum()


def choose(
    logits: np.ndarray,
    rng: np.random.Generator,
    sampling: Sampling,
    mask: np.ndarray | None = None,
) -> int:
    """One code index drawn from :func:`distribution` (one draw from ``rng``, even when greedy)."""
    p = distribution(logits, sampling, mask)
    u = rng.random()
    if sampling.greedy:
        return int(np.argmax(p))
    cumulative = np.cumsum(p)
    index = int(np.searchsorted(cumulative, u * cumulative[-1], side="right"))
    index = min(index, len(p) - 1)
    while p[index] == 0:  # rounding at the very top: step back to a possible code
        index -= 1
    return index


class Guide(Protocol):
    """What the generation loop asks at each step (a constraints cursor, or a plain count)."""

    @property
    def finished(self) -> bool: ...

    def mask(self) -> np.ndarray | None: ...

    def advance(self, index: int) -> None: ...


class Count:
    """A guide with no constraint: ``notes`` notes, any code."""

    def __init__(self, notes: int) -> None:
        if notes < 1:
            raise InputError(f"the length must be at least 1 note, got {notes}")
        self.notes, self.done = notes, 0

    @property
    def finished(self) -> bool:
        return self.done >= self.notes

    def mask(self) -> np.ndarray | None:
        return None

    def advance(self, index: int) -> None:
        self.done += 1


Runner = Any  # nabi_music.models.runner.Runner: (x, state) -> (logits, state), zero_state(), config


def generate(
    runner: Runner,
    table: np.ndarray,
    primer: Sequence[int] | np.ndarray,
    guide: Guide,
    rng: np.random.Generator,
    sampling: Sampling,
    start_symbol: int | None = None,
) -> np.ndarray:
    """Indices generated after ``primer`` until ``guide`` is finished, each fed back.

    ``primer`` holds at least one window of vocabulary indices; or, for a model
    trained with the start symbol (``start_symbol``, a row of ``table``), any
    number, even none: the sequence is then left-padded with a window of start
    symbols, as in training. A stateful model first reads the primer window by
    window from a zero state (teacher forced), so a primer of exactly one window
    starts as :func:`nabi_music.prediction.tutorial.predict_full_song` does; then every
    new note is drawn by :func:`choose` and appended, and the window slides on.
    """
    window = runner.config.window
    primer = np.asarray(primer, dtype=np.int32)
    if start_symbol is not None:
        primer = np.concatenate([np.full(window, start_symbol, dtype=np.int32), primer])
    if len(primer) < window:
        raise InputError(f"the primer has {len(primer)} notes; the model needs {window}")
    sequence = list(int(i) for i in primer)
    state = runner.zero_state()
    if runner.config.stateful:
        for j in range(len(primer) - window):
            _, state = runner(table[primer[j : j + window]][None], state)
    out: list[int] = []
    while not guide.finished:
        if len(out) >= MAX_NOTES:
            raise InputError(f"generation would exceed {MAX_NOTES} notes: ask for fewer")
        x = table[np.asarray(sequence[-window:], dtype=np.int32)][None]
        logits, state = runner(x, state)
        index = choose(np.asarray(logits)[0], rng, sampling, guide.mask())
        guide.advance(index)
        sequence.append(index)
        out.append(index)
    return np.asarray(out, dtype=np.int32)


def generate_batch(
    runner: Runner,
    table: np.ndarray,
    primers: Sequence[Sequence[int] | np.ndarray],
    guides: Sequence[Guide],
    rngs: Sequence[np.random.Generator],
    sampling: Sampling,
    start_symbol: int | None = None,
) -> list[np.ndarray]:
    """:func:`generate` for several melodies at once: one forward pass per step for all
    the melodies still going, each drawing with its own guide and Generator.

    For a stateless model this gives each melody what :func:`generate` gives it
    alone (up to the rounding of batched float32 arithmetic); a stateful model's
    melodies are generated one after the other.
    """
    if not len(primers) == len(guides) == len(rngs):
        raise ValueError("one primer, guide and generator per melody")
    if runner.config.stateful or len(primers) < 2:
        return [
            generate(runner, table, p, g, r, sampling, start_symbol)
            for p, g, r in zip(primers, guides, rngs, strict=True)
        ]
    window = runner.config.window
    sequences = []
    for primer in primers:
        seq = [int(i) for i in np.asarray(primer, dtype=np.int32)]
        if start_symbol is not None:
            seq = [start_symbol] * window + seq
        if len(seq) < window:
            raise InputError(f"the primer has {len(seq)} notes; the model needs {window}")
        sequences.append(seq)
    outs: list[list[int]] = [[] for _ in primers]
    while True:
        going = [k for k, g in enumerate(guides) if not g.finished]
        if not going:
            break
        if max(len(outs[k]) for k in going) >= MAX_NOTES:
            raise InputError(f"generation would exceed {MAX_NOTES} notes: ask for fewer")
        x = table[np.array([sequences[k][-window:] for k in going], dtype=np.int32)]
        logits, _ = runner(x, ())
        logits = np.asarray(logits)
        for row, k in enumerate(going):
            index = choose(logits[row], rngs[k], sampling, guides[k].mask())
            guides[k].advance(index)
            sequences[k].append(index)
            outs[k].append(index)
    return [np.asarray(o, dtype=np.int32) for o in outs]


def generators(seed: int, count: int) -> list[np.random.Generator]:
    """``count`` independent Generators from one seed: melody k gets the same one
    whatever ``count`` is."""
    return [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(count)]
