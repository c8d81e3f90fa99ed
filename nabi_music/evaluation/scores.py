"""Score a model's predictions of held-out songs: cross-entropy in bits per note, top-k
accuracy, of the full code and of the sounding pitch."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from nabi_music.models.runner import Runner


@dataclass(frozen=True)
class Scores:
    """Figures of one model on held-out songs.

    ``bits``: the mean cross-entropy in bits per note of the full code (pitch
    and duration); ``pitch_bits``: the same for the sounding pitch alone (MIDI
    number, or rest), the code distribution summed over durations, spellings
    and ties; ``top1``/``top3``: how often the real code is the most likely /
    among the three most likely (``pitch_top1``/``pitch_top3`` for the pitch).
    The means are over all scored notes; ``song_bits`` and
    ``song_pitch_bits`` hold each song's own mean, for the songs ``song_index``
    names (by their place among the songs given; a song with no note to score has none).
    """

    songs: int
    notes: int
    bits: float
    pitch_bits: float
    top1: float
    top3: float
    pitch_top1: float
    pitch_top3: float
    song_bits: tuple[float, ...] = ()
    song_pitch_bits: tuple[float, ...] = ()
    song_index: tuple[int, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "songs": self.songs,
            "notes": self.notes,
            "bits": self.bits,
            "pitch_bits": self.pitch_bits,
            "top1": self.top1,
            "top3": self.top3,
            "pitch_top1": self.pitch_top1,
            "pitch_top3": self.pitch_top3,
            "song_bits": list(self.song_bits),
            "song_pitch_bits": list(self.song_pitch_bits),
            "song_index": list(self.song_index),
        }


def _in_top(probs: np.ndarray, targets: np.ndarray, k: int) -> np.ndarray:
    """Whether each target is among the ``k`` most probable (ties counted against it)."""
    target_p = probs[np.arange(len(targets)), targets]
    rank = (probs >= target_p[:, None]).sum(axis=1) - 1  # codes at least as likely, but it
    return rank < k


def score_predictions(
    log_probs: Sequence[np.ndarray], targets: Sequence[np.ndarray], pitch_of: np.ndarray
) -> Scores:
    """The figures of per-song predictions: ``log_probs[s]`` ``(notes, codes)``, each row
    renormalised over the codes, against ``targets[s]``; ``pitch_of[c]`` is code ``c``'s
    pitch (:func:`nabi_music.data.encoding.pitch_classes`)."""
    if len(log_probs) != len(targets):
        raise ValueError("one array of predictions per song is needed")
    groups, pitch_index = np.unique(pitch_of, return_inverse=True)
    to_pitch = np.zeros((len(pitch_of), len(groups)))
    to_pitch[np.arange(len(pitch_of)), pitch_index] = 1.0
    bits_all, pitch_all, top = [], [], {k: [] for k in ("c1", "c3", "p1", "p3")}
    song_bits, song_pitch, song_index = [], [], []
    for k, (lp, y) in enumerate(zip(log_probs, targets, strict=True)):
        y = np.asarray(y, dtype=np.int64)
        if not len(y):
            continue
        song_index.append(k)
        lp = np.asarray(lp, dtype=np.float64)
        lp = lp - lp.max(axis=1, keepdims=True)
        probs = np.exp(lp)
        probs /= probs.sum(axis=1, keepdims=True)
        rows = np.arange(len(y))
        bits = -np.log2(probs[rows, y])
        pitch_probs = probs @ to_pitch
        py = pitch_index[y]
        pbits = -np.log2(pitch_probs[rows, py])
        bits_all.append(bits)
        pitch_all.append(pbits)
        song_bits.append(float(bits.mean()))
        song_pitch.append(float(pbits.mean()))
        top["c1"].append(_in_top(probs, y, 1))
        top["c3"].append(_in_top(probs, y, 3))
        top["p1"].append(_in_top(pitch_probs, py, 1))
        top["p3"].append(_in_top(pitch_probs, py, 3))
    if not bits_all:
        raise ValueError("no note to score")

    def mean(parts: list[np.ndarray]) -> float:
        return float(np.concatenate(parts).mean())

    return Scores(
        songs=len(song_bits),
        notes=int(sum(len(b) for b in bits_all)),
        bits=mean(bits_all),
        pitch_bits=mean(pitch_all),
        top1=mean(top["c1"]),
        top3=mean(top["c3"]),
        pitch_top1=mean(top["p1"]),
        pitch_top3=mean(top["p3"]),
        song_bits=tuple(song_bits),
        song_pitch_bits=tuple(song_pitch),
        song_index=tuple(song_index),
    )


def network_log_probs(
    runner: Runner, table: np.ndarray, sequence: np.ndarray, batch: int = 512
) -> tuple[np.ndarray, int]:
    """A network's log-probabilities of each note of a song, and the first note scored.

    Presets with the start symbol (the corpus presets) predict every note from the
    song's start, the window left-padded with the start symbol (index
    ``len(table)``); the tutorial's presets predict every note after the first window.
    """
    config = runner.config
    window = config.window
    seq = np.asarray(sequence, dtype=np.int64)
    if config.start_padded:
        full = np.concatenate([table, [[len(table)]]]).astype(np.float32)
        padded = np.concatenate([np.full(window, len(table)), seq])
        start = 0
    else:
        full, padded, start = table, seq, window
    if len(padded) <= window:
        return np.zeros((0, len(table))), start
    views = np.lib.stride_tricks.sliding_window_view(padded, window)[:-1]
    if config.stateful:
        state = runner.zero_state()
        rows = []
        for view in views:
            logits, state = runner(full[view][None], state)
            rows.append(logits[0])
        logits = np.array(rows)
    else:
        logits = np.concatenate(
            [runner(full[views[i : i + batch]])[0] for i in range(0, len(views), batch)]
        )
    logits = logits.astype(np.float64)
    logits -= logits.max(axis=1, keepdims=True)
    return logits - np.log(np.exp(logits).sum(axis=1, keepdims=True)), start


FIGURES = (
    ("bits", "bits/note", False),
    ("pitch_bits", "pitch bits", False),
    ("top1", "top-1", True),
    ("top3", "top-3", True),
    ("pitch_top1", "pitch top-1", True),
    ("pitch_top3", "pitch top-3", True),
)
"""Each figure of :class:`Scores` a table shows: its field, its name, and whether more is better."""


def behind(model: Scores, baseline: Scores) -> list[str]:
    """The figures on which ``model`` does worse than ``baseline`` on the same songs, as
    ``top-1 (27.9% against 29.0%)``; none when it is as good or better on every one."""
    out = []
    for name, label, more_is_better in FIGURES:
        a, b = getattr(model, name), getattr(baseline, name)
        if (a < b) if more_is_better else (a > b):
            shown = (f"{a:.1%}", f"{b:.1%}") if more_is_better else (f"{a:.3f}", f"{b:.3f}")
            out.append(f"{label} ({shown[0]} against {shown[1]})")
    return out
