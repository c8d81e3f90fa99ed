"""The metre-aware network's forward pass in NumPy, over a song's codes.

Like the corpus presets' runner (:mod:`nabi_music.models.runner`), it takes windows of
vocabulary indices left-padded with the start symbol and returns log-probabilities
over the vocabulary for the note after each window. The window it reads is the song
so far (up to :attr:`MetreConfig.history` notes): from it the runner rebuilds the
context rows (:func:`nabi_music.data.context.song_rows`: steps, lengths, where each
note falls in the bar), under the time signature, upbeat and key it is set to
(:meth:`MetreRunner.in_setting`), runs the last ``window`` rows through the network
(Keras' LSTM gate order i, f, c, o), and turns its step and length distributions into
one over the codes (:func:`nabi_music.data.context.code_log_probs`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction
from functools import cached_property
from typing import Any

import numpy as np

from nabi_music.data.context import (
    CodeParts,
    code_log_probs,
    joint_tokens,
    last_windows,
    references,
    song_rows,
)
from nabi_music.data.encoding import Vocabulary
from nabi_music.models.presets import MetreConfig, member_prefix
from nabi_music.models.runner import log_softmax, lstm_sequence
from nabi_music.music.notes import Melody, Note, parse_code

_NEXT = Note(None, Fraction(1))
"""The note appended after a song so that its rows include one more: the row that
predicts what follows the song's last note."""


@dataclass(frozen=True)
class Reading:
    """What the code that predicts and composes asks of a runner's config: how many
    notes of the song it reads, that they are left-padded with the start symbol, and
    that no state is carried between calls."""

    window: int
    preset: str
    stateful: bool = False
    start_padded: bool = True
    corpus: bool = True


@dataclass(frozen=True)
class MetreRunner:
    """``(x, state) -> (log-probabilities, state)`` for windows ``x`` of vocabulary
    indices ``(batch, history, 1)``, padded with the start symbol ``len(vocabulary)``."""

    metre: MetreConfig
    weights: dict[str, tuple[np.ndarray, ...]]
    vocabulary: Vocabulary
    time_signature: str | None = None
    pickup: Fraction | None = None
    key: str | None = None

    @property
    def config(self) -> Reading:
        return Reading(self.metre.history, self.metre.preset)

    def in_setting(
        self, time_signature: str | None, key: str | None, pickup: Fraction | None = None
    ) -> MetreRunner:
        """The runner for songs in this metre (after this upbeat) and key."""
        return replace(self, time_signature=time_signature, key=key, pickup=pickup)

    def zero_state(self, batch: int = 1) -> tuple:
        return ()

    def __call__(self, x: np.ndarray, state: tuple = ()) -> tuple[np.ndarray, tuple]:
        indices = np.rint(np.asarray(x)[..., 0]).astype(np.int64)
        start = len(self.vocabulary)
        windows, refs = [], []
        for row in indices:
            notes = (*(self.notes[i] for i in row[row != start]), _NEXT)
            melody = Melody(
                notes, key=self.key, time_signature=self.time_signature, pickup=self.pickup
            )
            rows, _ = song_rows(melody, self.metre.key)
            windows.append(last_windows(rows, self.metre.window)[-1])
            refs.append(references(melody, self.metre.key)[-1])
        step_lp, length_lp = self.heads(joint_tokens(np.stack(windows)))
        return code_log_probs(step_lp, length_lp, np.array(refs), self.parts), state

    @cached_property
    def parts(self) -> CodeParts:
        return CodeParts.of(self.vocabulary)

    @cached_property
    def notes(self) -> tuple[Note, ...]:
        """Each code's note, by index."""
        return tuple(parse_code(c) for c in self.vocabulary.codes)

    def heads(self, tokens: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """The log-distributions of the step (and the length) after each window of
        joint tokens ``(batch, window, inputs)``, averaged over the members."""
        steps, lengths = [], []
        for member in range(1, self.metre.members + 1):
            prefix = member_prefix(member)
            (table,) = self.weights[f"{prefix}embedding"]
            h = table[tokens].reshape(len(tokens), tokens.shape[1], -1)
            for k in range(1, self.metre.layers + 1):
                h = lstm_sequence(h, *self.weights[f"{prefix}rnn_{k}"])
            last = h[:, -1]
            kernel, bias = self.weights[f"{prefix}step"]
            steps.append(np.exp(log_softmax(last @ kernel + bias)))
            if self.metre.lengths:
                kernel, bias = self.weights[f"{prefix}length"]
                lengths.append(np.exp(log_softmax(last @ kernel + bias)))
        tiny = np.finfo(np.float64).tiny
        step_lp = np.log(np.mean(steps, axis=0, dtype=np.float64) + tiny)
        if not lengths:
            return step_lp, None
        return step_lp, np.log(np.mean(lengths, axis=0, dtype=np.float64) + tiny)


def in_metre(runner: Any) -> bool:
    """Whether ``runner`` reads (or a part of it reads) the metre and key of what it
    predicts (set them with its ``in_setting``)."""
    return hasattr(runner, "in_setting")


def for_song(runner: Any, melody: Melody) -> Any:
    """``runner`` set to ``melody``'s metre, upbeat and key when it reads them (a
    :class:`MetreRunner`, a mixture with one); any other runner as it is."""
    if in_metre(runner):
        return runner.in_setting(melody.time_signature, melody.key, melody.pickup)
    return runner
