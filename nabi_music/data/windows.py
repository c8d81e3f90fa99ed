"""Sliding windows of ``window`` notes, each predicting the note after it.

One function serves every model. Over several melodies no window spans two
of them, and each window knows whether it opens its melody (stateful models
reset their state there).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from nabi_music.errors import InputError


@dataclass(frozen=True)
class Windows:
    """``inputs[i]`` (vocabulary indices) is followed by ``targets[i]`` in melody ``song[i]``."""

    inputs: np.ndarray  # (n, window) int32
    targets: np.ndarray  # (n,) int32
    song: np.ndarray  # (n,) int32
    first: np.ndarray  # (n,) bool: the window opens its melody

    def __len__(self) -> int:
        return len(self.targets)

    @property
    def window(self) -> int:
        return self.inputs.shape[1]


def make_windows(
    sequences: Sequence[np.ndarray], window: int, names: Sequence[str] | None = None
) -> Windows:
    """Windows over each index sequence; a sequence shorter than ``window + 1`` is an error."""
    if window < 1:
        raise InputError(f"window must be at least 1, got {window}")
    if not sequences:
        raise InputError("no melody to make windows from")
    parts_in, parts_out, parts_song, parts_first = [], [], [], []
    for k, seq in enumerate(sequences):
        seq = np.asarray(seq, dtype=np.int32)
        if len(seq) < window + 1:
            name = names[k] if names else f"melody {k + 1}"
            raise InputError(
                f"{name} has {len(seq)} notes; a window of {window} needs at least {window + 1}"
            )
        views = np.lib.stride_tricks.sliding_window_view(seq, window + 1)
        parts_in.append(views[:, :window])
        parts_out.append(views[:, window])
        parts_song.append(np.full(len(views), k, dtype=np.int32))
        first = np.zeros(len(views), dtype=bool)
        first[0] = True
        parts_first.append(first)
    return Windows(
        inputs=np.ascontiguousarray(np.concatenate(parts_in), dtype=np.int32),
        targets=np.concatenate(parts_out).astype(np.int32),
        song=np.concatenate(parts_song),
        first=np.concatenate(parts_first),
    )
