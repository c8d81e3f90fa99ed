"""The per-epoch figures of one training run (loss, accuracy, seconds), as a bundle keeps them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class History:
    """Per-epoch figures of one training run."""

    loss: tuple[float, ...]
    accuracy: tuple[float, ...]
    one_step_accuracy: tuple[float, ...] = ()
    seconds: float = 0.0
    stopped_early: bool = False

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
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> History:
        return cls(
            loss=tuple(data.get("loss", ())),
            accuracy=tuple(data.get("accuracy", ())),
            one_step_accuracy=tuple(data.get("one_step_accuracy", ())),
            seconds=float(data.get("seconds", 0.0)),
            stopped_early=bool(data.get("stopped_early", False)),
        )
