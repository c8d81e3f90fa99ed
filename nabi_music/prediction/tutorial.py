"""One-step and full-song prediction, as in the tutorial, and the prediction of a melody
with a trained bundle, compared note by note with the real one.

One-step (teacher-forced): every window of real notes predicts the note after
it. Full-song: the melody's first window is the primer and every prediction is
fed back, so errors accumulate. A stateful model carries its state from window
to window in both modes, from a zero state at the start.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from nabi_music import display
from nabi_music.data.encoding import Vocabulary
from nabi_music.errors import InputError, NabiWarning
from nabi_music.evaluation.comparison import Comparison, compare
from nabi_music.models.bundle import Bundle
from nabi_music.models.runner import Runner
from nabi_music.music.notes import Melody, parse_code


def predict_one_step(runner: Runner, table: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """The prediction after each window of the real sequence: ``len(indices) - window`` indices."""
    window = runner.config.window
    views = np.lib.stride_tricks.sliding_window_view(np.asarray(indices), window)[:-1]
    features = table[views]
    if not runner.config.stateful:
        logits, _ = runner(features)
        return logits.argmax(axis=-1).astype(np.int32)
    state = runner.zero_state()
    out = np.empty(len(views), dtype=np.int32)
    for i in range(len(views)):
        logits, state = runner(features[i : i + 1], state)
        out[i] = logits[0].argmax()
    return out


def predict_full_song(
    runner: Runner, table: np.ndarray, primer: np.ndarray, steps: int
) -> np.ndarray:
    """``steps`` indices generated from ``primer`` (one window), each fed back."""
    window = runner.config.window
    sequence = np.empty(window + steps, dtype=np.int32)
    sequence[:window] = primer[:window]
    state = runner.zero_state()
    for j in range(steps):
        logits, state = runner(table[sequence[j : j + window]][None], state)
        sequence[window + j] = logits[0].argmax()
    return sequence[window:]


def _name(melody: Melody, k: int) -> str:
    return f"{melody.source or 'melody'} ({melody.title or f'melody {k + 1}'})"


@dataclass(frozen=True)
class Prediction:
    """One-step and full-song predictions of one melody, each with its verdicts."""

    melody: Melody
    one_step: Comparison
    full_song: Comparison

    def as_melody(self, mode: str) -> Melody:
        """The predicted melody (primer included) with the real melody's metadata
        (title, header, key, metre, upbeat, tempo, program, source)."""
        comparison = self.one_step if mode == "one_step" else self.full_song
        return self.melody.with_notes([parse_code(c) for c in comparison.predicted])

    def __repr__(self) -> str:
        title = self.melody.title or "melody"
        return (
            f"<Prediction of {title!r}: one-step {self.one_step.describe()}; "
            f"full-song {self.full_song.describe()}>"
        )

    def _repr_html_(self) -> str | None:
        """In Jupyter: the one-step and full-song scores, wrong notes red, and players."""
        return display.html(self)


def predict(bundle: Bundle, melody: Melody) -> Prediction:
    """Predict ``melody`` with ``bundle``: one-step and full-song, from its first window."""
    window = bundle.config.window
    codes = melody.codes
    if len(codes) < window + 1:
        raise InputError(
            f"{_name(melody, 0)} has {len(codes)} notes; "
            f"a window of {window} needs at least {window + 1}"
        )
    indices = bundle.vocabulary.encode(codes, where=_name(melody, 0))
    table = bundle.table
    runner = bundle.runner()
    one = predict_one_step(runner, table, indices)
    full = predict_full_song(runner, table, indices[:window], len(codes) - window)
    primer = codes[:window]
    decode = bundle.vocabulary.decode
    return Prediction(
        melody=melody,
        one_step=compare(primer + decode(one), codes, window),
        full_song=compare(primer + decode(full), codes, window),
    )


MAP_UNKNOWN = ("error", "nearest")


def map_unknown_codes(melody: Melody, vocabulary: Vocabulary) -> tuple[Melody, dict[str, str]]:
    """``melody`` with every code the vocabulary lacks replaced by the nearest known code:
    nearest pitch first (a rest only by a rest, while the vocabulary has one), then nearest
    duration (by ratio), then the same tie. Returns the new melody and the mapping, and
    warns (:class:`NabiWarning`) listing the mappings."""
    missing = vocabulary.unknown(melody.codes)
    if not missing:
        return melody, {}
    known = [(code, parse_code(code)) for code in vocabulary.codes]
    if not known:
        raise InputError("the model knows no codes to map unknown codes to")

    def distance(a: object, b: object) -> tuple[float, float, int]:
        pa, pb = a.pitch, b.pitch  # type: ignore[attr-defined]
        if (pa is None) != (pb is None):
            pitch = 1000.0
        else:
            pitch = 0.0 if pa is None else abs(pa.midi - pb.midi)
        ratio = abs(math.log2(b.duration / a.duration))  # type: ignore[attr-defined]
        return pitch, ratio, int(a.tie != b.tie)  # type: ignore[attr-defined]

    mapping = {}
    for code in dict.fromkeys(missing):
        note = parse_code(code)
        mapping[code] = min(known, key=lambda kn: (*distance(note, kn[1]), kn[0]))[0]
    listed = ", ".join(f"{a} -> {b}" for a, b in mapping.items())
    where = melody.source or melody.title or "the melody"
    warnings.warn(
        f"{where}: mapped {len(mapping)} code(s) the model never saw to the nearest it knows: "
        f"{listed}",
        NabiWarning,
        stacklevel=2,
    )
    codes = [mapping.get(c, c) for c in melody.codes]
    return melody.with_notes([parse_code(c) for c in codes]), mapping


def last_epoch_scorer(melody: Melody) -> Callable[[Bundle], dict[str, float]]:
    """What :func:`nabi_music.training.tutorial.train_preset` records of the last
    epoch's weights besides their one-step accuracy: their full-song accuracy on
    ``melody``."""

    def score(bundle: Bundle) -> dict[str, float]:
        return {"full_song_accuracy": predict(bundle, melody).full_song.accuracy}

    return score
