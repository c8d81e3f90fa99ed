"""The n-gram baseline: an interpolated n-gram language model over note codes.

The counting and smoothing are NLTK's (``nltk.lm``, maintained, on PyPI):
Witten-Bell interpolation by default, the smoothing closest to the PPM
escape method C of IDyOM's n-gram models, or Kneser-Ney. Each song is
left-padded with NLTK's start symbol, so that every note is predicted from the
song's start, as the networks with the start symbol predict it. Two things
are added around NLTK:

- the distribution is renormalised over the vocabulary's codes (NLTK's
  unigrams also count its padding symbols);
- a Witten-Bell step below the unigrams, to the uniform distribution over the
  vocabulary, with weight ``types / (types + tokens)``, so that a code never
  seen in training keeps a small probability (NLTK gives it zero, and one zero
  makes the cross-entropy infinite).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from nabi_music.errors import InputError

SMOOTHINGS = ("witten-bell", "kneser-ney")
START = "<s>"
MAX_ORDER = 20
"""The highest order: every song is padded with ``order - 1`` start symbols, so the
order is checked before anything is counted."""


class NgramModel:
    """An n-gram model of vocabulary indices ``0 .. n_classes - 1``.

    >>> model = NgramModel(order=2, n_classes=3).fit([[0, 1, 2, 0, 1, 2]])
    >>> model.log_probs([0, 1]).shape
    (2, 3)
    """

    def __init__(self, order: int, n_classes: int, smoothing: str = "witten-bell") -> None:
        if not 1 <= order <= MAX_ORDER:
            raise InputError(f"an n-gram order is from 1 to {MAX_ORDER}, got {order}")
        if smoothing not in SMOOTHINGS:
            raise InputError(
                f"unknown smoothing {smoothing!r}; expected one of {', '.join(SMOOTHINGS)}"
            )
        if smoothing == "kneser-ney" and order < 2:
            raise InputError("Kneser-Ney smoothing needs an order of at least 2")
        self.order = order
        self.n_classes = n_classes
        self.smoothing = smoothing
        self._lm: Any = None
        self._escape = 1.0
        self._cache: dict[tuple[str, ...], np.ndarray] = {}

    def fit(self, sequences: Sequence[Sequence[int]]) -> NgramModel:
        """Count the n-grams of the training songs (each padded at its start)."""
        from nltk.lm import KneserNeyInterpolated, WittenBellInterpolated
        from nltk.lm.preprocessing import padded_everygram_pipeline

        songs = [[str(int(i)) for i in s] for s in sequences if len(s)]
        if not songs:
            raise InputError("no song to count n-grams from")
        cls = WittenBellInterpolated if self.smoothing == "witten-bell" else KneserNeyInterpolated
        lm = cls(self.order)
        ngrams, vocab = padded_everygram_pipeline(self.order, songs)
        lm.fit(ngrams, vocab)
        tokens = sum(len(s) for s in songs)
        types = len({t for s in songs for t in s})
        self._lm = lm
        self._escape = types / (types + tokens)
        self._cache = {}
        return self

    def distribution(self, context: Sequence[int]) -> np.ndarray:
        """Probabilities of every code after ``context`` (the song so far)."""
        if self._lm is None:
            raise RuntimeError("fit the n-gram model first")
        k = self.order - 1
        recent = [str(int(i)) for i in context[len(context) - k :]] if k else []
        key = (START,) * (k - len(recent)) + tuple(recent)
        found = self._cache.get(key)
        if found is None:
            scores = np.array(
                [self._lm.score(str(i), key) for i in range(self.n_classes)], dtype=np.float64
            )
            total = scores.sum()
            p = scores / total if total > 0 else np.full(self.n_classes, 1.0 / self.n_classes)
            found = (1.0 - self._escape) * p + self._escape / self.n_classes
            self._cache[key] = found
        return found

    def log_probs(self, sequence: Sequence[int], start: int = 0) -> np.ndarray:
        """Natural-log probabilities ``(len(sequence) - start, n_classes)`` of each note of
        a song from note ``start`` on, each given the notes before it."""
        seq = list(sequence)
        rows = [np.log(self.distribution(seq[:t])) for t in range(start, len(seq))]
        return np.array(rows).reshape(len(rows), self.n_classes)


class IntervalNgramModel:
    """An n-gram model of melodic intervals that predicts pitch codes.

    Each note after a song's first is predicted by the interval (in semitones)
    from the note before it, the context being the song's intervals so far: a
    transposition-invariant model of the melodic line, the ``cpint`` viewpoint of
    IDyOM's melody models. A song's first note comes from the training songs'
    first notes (counted, plus one each). Every code must be a pitch: the
    model is for pitch-only songs (rests dropped).

    ``pitch_of[c]``: code ``c``'s MIDI pitch (:func:`nabi_music.data.encoding.pitch_classes`).
    """

    def __init__(self, order: int, pitch_of: Sequence[int], smoothing: str = "witten-bell") -> None:
        self.pitch_of = np.asarray(pitch_of, dtype=np.int64)
        if not len(self.pitch_of) or (self.pitch_of < 0).any():
            raise InputError("the interval model needs pitched codes only (pitch-only songs)")
        self.span = int(self.pitch_of.max() - self.pitch_of.min())
        self._ngram = NgramModel(order, 2 * self.span + 1, smoothing)
        self._first = np.full(len(self.pitch_of), 1.0 / len(self.pitch_of))

    def _intervals(self, sequence: Sequence[int]) -> list[int]:
        pitches = self.pitch_of[np.asarray(sequence, dtype=np.int64)]
        return [int(i) for i in np.diff(pitches) + self.span]

    def fit(self, sequences: Sequence[Sequence[int]]) -> IntervalNgramModel:
        """Count the intervals and the first notes of the training songs."""
        songs = [list(s) for s in sequences if len(s)]
        if not songs:
            raise InputError("no song to count intervals from")
        self._ngram.fit([self._intervals(s) for s in songs if len(s) > 1] or [[self.span]])
        first = np.ones(len(self.pitch_of))
        for s in songs:
            first[int(s[0])] += 1
        self._first = first / first.sum()
        return self

    def log_probs(self, sequence: Sequence[int], start: int = 0) -> np.ndarray:
        """Natural-log probabilities ``(len(sequence) - start, n_codes)``, as
        :meth:`NgramModel.log_probs` gives them."""
        seq = [int(i) for i in sequence]
        intervals = self._intervals(seq)
        rows = []
        for t in range(start, len(seq)):
            if t == 0:
                rows.append(np.log(self._first))
                continue
            by_interval = self._ngram.distribution(intervals[: t - 1])
            p = by_interval[self.pitch_of - self.pitch_of[seq[t - 1]] + self.span]
            rows.append(np.log(p / p.sum()))
        return np.array(rows).reshape(len(rows), len(self.pitch_of))
