"""The per-epoch figures of one training run (loss, accuracy, seconds, the kept epoch),
as a bundle keeps them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class History:
    """Per-epoch figures of one training run.

    ``kept_epoch``: the epoch (from 1) whose weights the model kept (0 when
    unknown, as in bundles of older versions); ``keep``: how it was chosen
    (``best`` or ``last``); ``last``: the last epoch's figures (``epoch``,
    ``loss``, ``accuracy`` and, for the tutorial's presets,
    ``one_step_accuracy`` and ``full_song_accuracy``), beside the kept ones.
    """

    loss: tuple[float, ...]
    accuracy: tuple[float, ...]
    one_step_accuracy: tuple[float, ...] = ()
    seconds: float = 0.0
    stopped_early: bool = False
    kept_epoch: int = 0
    keep: str = "last"
    last: dict[str, float] = field(default_factory=dict, compare=False)

    @property
    def epochs(self) -> int:
        return len(self.loss)

    def to_dict(self) -> dict[str, Any]:
        return {
            "loss": list(self.loss),
            "accuracy": list(self.accuracy),
            "one_step_accuracy": list(self.one_step_accuracy),
            "seconds": self.seconds,
            "stopped_early": self.stopped_early,
            "kept_epoch": self.kept_epoch,
            "keep": self.keep,
            "last": dict(self.last),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> History:
        return cls(
            loss=tuple(data.get("loss", ())),
            accuracy=tuple(data.get("accuracy", ())),
            one_step_accuracy=tuple(data.get("one_step_accuracy", ())),
            seconds=float(data.get("seconds", 0.0)),
            stopped_early=bool(data.get("stopped_early", False)),
            kept_epoch=int(data.get("kept_epoch", 0)),
            keep=str(data.get("keep", "last")),
            last={str(k): float(v) for k, v in dict(data.get("last", {})).items()},
        )
