"""One-step and full-song prediction, as in the tutorial.

One-step (teacher-forced): every window of real notes predicts the note after
it. Full-song: the melody's first window is the primer and every prediction is
fed back, so errors accumulate. A stateful model carries its state from window
to window in both modes, from a zero state at the start.
"""

from __future__ import annotations

import numpy as np

from nabi_music.models.runner import Runner


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
