"""Model presets: the tutorial's four models as small frozen configs.

A preset names an architecture, the input encoding and the tutorial's
training defaults (epochs, batch size, whether batches are shuffled). No
TensorFlow here: configs travel in bundles as JSON.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from nabi_music.encoding import ENCODINGS
from nabi_music.errors import InputError

ARCHITECTURES = ("mlp", "lstm")


@dataclass(frozen=True)
class ModelConfig:
    """What to build and how to train it.

    ``stateful``: the LSTM state left by one window is the initial state of the
    next window of the same melody (reset at each melody start and at each
    epoch), batches hold one window, in order, and the state is carried through
    full-song prediction: the tutorial's ``stateful=True`` model.
    """

    preset: str
    architecture: str
    encoding: str
    stateful: bool = False
    units: int = 128
    window: int = 4
    epochs: int = 2000
    batch_size: int = 1
    shuffle: bool = True
    learning_rate: float = 0.001

    def __post_init__(self) -> None:
        if self.architecture not in ARCHITECTURES:
            raise InputError(f"unknown architecture {self.architecture!r}")
        if self.encoding not in ENCODINGS:
            raise InputError(f"unknown encoding {self.encoding!r}")
        if self.stateful and (self.architecture != "lstm" or self.batch_size != 1):
            raise InputError("a stateful model is an LSTM trained one window at a time")
        for name in ("units", "window", "epochs", "batch_size"):
            if getattr(self, name) < 1:
                raise InputError(f"{name} must be at least 1, got {getattr(self, name)}")

    @property
    def n_features(self) -> int:
        return 2 if self.encoding == "pitch-duration" else 1

    def with_options(self, **options: Any) -> ModelConfig:
        """A copy with the options that are not None replaced."""
        return replace(self, **{k: v for k, v in options.items() if v is not None})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelConfig:
        names = {f.name for f in fields(cls)}
        unknown = set(data) - names
        if unknown:
            raise InputError(f"unknown model config keys: {', '.join(sorted(unknown))}")
        return cls(**data)


PRESETS: dict[str, ModelConfig] = {
    "mlp": ModelConfig(
        "mlp", architecture="mlp", encoding="index", epochs=2000, batch_size=10, shuffle=True
    ),
    "lstm": ModelConfig(
        "lstm", architecture="lstm", encoding="index", epochs=2000, batch_size=14, shuffle=True
    ),
    "stateful-lstm": ModelConfig(
        "stateful-lstm",
        architecture="lstm",
        encoding="index",
        stateful=True,
        epochs=2000,
        batch_size=1,
        shuffle=False,
    ),
    "stateful-lstm-2f": ModelConfig(
        "stateful-lstm-2f",
        architecture="lstm",
        encoding="pitch-duration",
        stateful=True,
        epochs=2000,
        batch_size=1,
        shuffle=False,
    ),
}


def preset(name: str) -> ModelConfig:
    try:
        return PRESETS[name]
    except KeyError:
        raise InputError(f"unknown preset {name!r}; expected one of {', '.join(PRESETS)}") from None
