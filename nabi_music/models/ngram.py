"""The n-gram models: an interpolated n-gram language model over note codes, and one
over melodic intervals that predicts codes.

The counting and smoothing are NLTK's (``nltk.lm``, maintained, on PyPI):
Witten-Bell interpolation by default, the smoothing closest to the PPM
escape method C of IDyOM's n-gram models, or Kneser-Ney. Each song is
left-padded with NLTK's start symbol, so that every note is predicted from the
song's start, as the networks with the start symbol predict it. Two things
are added around NLTK:

- the distribution is renormalised over the vocabulary's codes (NLTK's
  unigrams also count its padding symbols);
- Witten-Bell's scores of every code after a context are computed at once, on
  NLTK's counts with NLTK's recursion and arithmetic (a test holds them equal to
  ``nltk.lm``'s own scores), some fifty times faster than asking NLTK code by code;
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
            if self.smoothing == "witten-bell":
                scores = self._witten_bell(key)
            else:
                scores = np.array(
                    [self._lm.score(str(i), key) for i in range(self.n_classes)], dtype=np.float64
                )
            total = scores.sum()
            p = scores / total if total > 0 else np.full(self.n_classes, 1.0 / self.n_classes)
            found = (1.0 - self._escape) * p + self._escape / self.n_classes
            self._cache[key] = found
        return found

    def _witten_bell(self, key: tuple[str, ...]) -> np.ndarray:
        """NLTK's Witten-Bell scores of every code after ``key`` at once: its recursion
        (``alpha + gamma * lower``, from the unigrams up to the whole context) on its own
        counts, in the same arithmetic, one NumPy step per context length."""
        lm = self._lm
        words = [str(i) for i in range(self.n_classes)]
        unigrams = lm.counts.unigrams
        total = unigrams.N()
        p = np.array([unigrams[w] for w in words], dtype=np.float64) / total
        context = tuple(lm.vocab.lookup(key))
        for k in range(1, len(context) + 1):
            counts = lm.counts[k + 1].get(context[-k:])
            if not counts:  # no data for this context: alpha 0, gamma 1
                continue
            seen = counts.N()
            n_plus = sum(1 for c in counts.values() if c > 0)
            gamma = n_plus / (n_plus + seen)
            ml = np.array([counts[w] for w in words], dtype=np.float64) / seen
            p = (1.0 - gamma) * ml + gamma * p
        return p

    def log_probs(self, sequence: Sequence[int], start: int = 0) -> np.ndarray:
        """Natural-log probabilities ``(len(sequence) - start, n_classes)`` of each note of
        a song from note ``start`` on, each given the notes before it."""
        seq = list(sequence)
        rows = [np.log(self.distribution(seq[:t])) for t in range(start, len(seq))]
        return np.array(rows).reshape(len(rows), self.n_classes)


class IntervalNgramModel:
    """An n-gram model of melodic intervals that predicts codes.

    Each note after a song's first sounding pitch is predicted by the interval (in
    semitones) from the last sounding pitch before it, the context being the song's
    intervals so far: a transposition-invariant model of the melodic line, the
    ``cpint`` viewpoint of IDyOM's melody models. A rest is one more symbol beside the
    intervals (it keeps the last sounding pitch). Until a song's first sounding pitch,
    notes come from the training songs' first codes (counted, plus one each).

    The model gives each pitch (or the rest) a probability; a pitch written by several
    codes (durations, ties) shares it among them equally, and :func:`spread` shares it
    as another model's distribution does instead. On pitch-only songs (one code per
    pitch) the two are the same.

    ``pitch_of[c]``: code ``c``'s MIDI pitch, -1 for a rest
    (:func:`nabi_music.data.encoding.pitch_classes`).
    """

    def __init__(self, order: int, pitch_of: Sequence[int], smoothing: str = "witten-bell") -> None:
        self.pitch_of = np.asarray(pitch_of, dtype=np.int64)
        pitched = self.pitch_of[self.pitch_of >= 0]
        if not len(pitched):
            raise InputError("the interval model needs codes with a pitch")
        self.span = int(pitched.max() - pitched.min())
        self.rest = 2 * self.span + 1 if (self.pitch_of < 0).any() else None
        """The rest's symbol (None: the codes hold no rest)."""
        self._ngram = NgramModel(order, 2 * self.span + 1 + (self.rest is not None), smoothing)
        self._first = np.full(len(self.pitch_of), 1.0 / len(self.pitch_of))
        group = np.unique(self.pitch_of, return_inverse=True)[1]
        self._share = 1.0 / np.bincount(group)[group]
        self._rests = self.pitch_of < 0

    @property
    def order(self) -> int:
        return self._ngram.order

    def _symbols(self, sequence: Sequence[int]) -> tuple[list[int | None], list[int | None]]:
        """Per note, its symbol (interval + span, the rest, or None before the first
        sounding pitch) and the last sounding pitch before it (None before the first)."""
        symbols: list[int | None] = []
        before: list[int | None] = []
        last: int | None = None
        for code in sequence:
            pitch = int(self.pitch_of[int(code)])
            before.append(last)
            if pitch < 0:
                symbols.append(self.rest if last is not None else None)
            else:
                symbols.append(pitch - last + self.span if last is not None else None)
                last = pitch
        return symbols, before

    def fit(self, sequences: Sequence[Sequence[int]]) -> IntervalNgramModel:
        """Count the intervals (and rests) and the first codes of the training songs."""
        songs = [list(s) for s in sequences if len(s)]
        if not songs:
            raise InputError("no song to count intervals from")
        counted = [[x for x in self._symbols(s)[0] if x is not None] for s in songs]
        self._ngram.fit([c for c in counted if c] or [[self.span]])
        first = np.ones(len(self.pitch_of))
        for s in songs:
            first[int(s[0])] += 1
        self._first = first / first.sum()
        return self

    def _row(self, context: Sequence[int], last: int | None) -> np.ndarray:
        """Probabilities of every code after the symbols ``context``, the last sounding
        pitch being ``last``."""
        if last is None:
            return self._first
        by_symbol = self._ngram.distribution(context)
        p = np.empty(len(self.pitch_of))
        pitched = ~self._rests
        p[pitched] = by_symbol[self.pitch_of[pitched] - last + self.span]
        if self.rest is not None:
            p[self._rests] = by_symbol[self.rest]
        p *= self._share
        return p / p.sum()

    def distribution(self, context: Sequence[int]) -> np.ndarray:
        """Probabilities of every code after ``context`` (the song so far)."""
        symbols, before = self._symbols([*context, 0])
        return self._row([x for x in symbols[:-1] if x is not None], before[-1])

    def log_probs(self, sequence: Sequence[int], start: int = 0) -> np.ndarray:
        """Natural-log probabilities ``(len(sequence) - start, n_codes)``, as
        :meth:`NgramModel.log_probs` gives them."""
        symbols, before = self._symbols(sequence)
        context = [x for x in symbols[:start] if x is not None]
        rows = []
        for t in range(start, len(symbols)):
            rows.append(np.log(self._row(context, before[t])))
            if symbols[t] is not None:
                context.append(symbols[t])
        return np.array(rows).reshape(len(rows), len(self.pitch_of))


def spread(log_probs: np.ndarray, by: np.ndarray, pitch_of: Sequence[int]) -> np.ndarray:
    """``log_probs`` (rows over codes) with each pitch's mass (the rest's too) shared
    among that pitch's codes as the rows of ``by`` share it (both natural logs, the same
    shape): how the interval model, which knows pitches, gets durations from a model of
    codes. Codes alone in their pitch keep their probability."""
    _, group = np.unique(np.asarray(pitch_of), return_inverse=True)
    n = group.max() + 1
    p, q = np.exp(log_probs), np.exp(by)
    rows = np.arange(len(p))[:, None]
    mass = np.zeros((len(p), n))
    np.add.at(mass, (rows, group[None, :]), p)
    within = np.zeros((len(q), n))
    np.add.at(within, (rows, group[None, :]), q)
    return np.log(mass[:, group] * q / within[:, group])
