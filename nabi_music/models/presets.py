"""Model presets: the tutorial's four models as small frozen configs.

A preset names an architecture, the input encoding and the tutorial's
training defaults (epochs, batch size, whether batches are shuffled). No
TensorFlow here: configs travel in bundles as JSON.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from nabi_music.data.context import INPUTS
from nabi_music.data.encoding import ENCODINGS
from nabi_music.errors import InputError

ARCHITECTURES = ("mlp", "lstm", "gru")
HEADS = ("joint", "two")


@dataclass(frozen=True)
class ModelConfig:
    """What to build and how to train it.

    ``stateful``: the LSTM state left by one window is the initial state of the
    next window of the same melody (reset at each melody start and at each
    epoch), batches hold one window, in order, and the state is carried through
    full-song prediction: the tutorial's ``stateful=True`` model.

    Corpus presets add: ``layers`` stacked recurrent layers (``lstm`` or
    ``gru``), an ``embedding`` of that size for the ``embedding`` encoding
    (vocabulary indices; index ``len(vocabulary)`` is the start symbol that
    pads windows at a song's start), ``dropout`` after the embedding and after
    each recurrent layer, ``heads``: ``joint`` (one softmax over the vocabulary)
    or ``two`` (one softmax over the pitches, one over the durations), and
    ``patience``: epochs without a better validation loss before training stops
    (0: never stop early), and ``members``: networks of this shape trained side by
    side from different initial weights, whose predicted distributions are
    averaged (an ensemble: the figures depend less on the seed and the CPU's
    rounding). They train with Keras ``fit`` (:mod:`nabi_music.training.fit`).
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
    layers: int = 1
    embedding: int = 0
    dropout: float = 0.0
    heads: str = "joint"
    patience: int = 0
    members: int = 1

    def __post_init__(self) -> None:
        if self.architecture not in ARCHITECTURES:
            raise InputError(f"unknown architecture {self.architecture!r}")
        if self.encoding not in ENCODINGS:
            raise InputError(f"unknown encoding {self.encoding!r}")
        if self.heads not in HEADS:
            raise InputError(f"unknown heads {self.heads!r}; expected one of {', '.join(HEADS)}")
        if (self.encoding == "embedding") != (self.embedding > 0):
            raise InputError("the embedding encoding needs an embedding size, and only it")
        if not 0.0 <= self.dropout < 1.0:
            raise InputError(f"dropout must lie in [0, 1), got {self.dropout}")
        if self.corpus and (self.stateful or self.architecture == "mlp"):
            raise InputError("corpus models (embedding, layers, two heads) are stateless RNNs")
        if self.layers < 1 or self.patience < 0:
            raise InputError("layers must be at least 1 and patience at least 0")
        if self.stateful and (self.architecture != "lstm" or self.batch_size != 1):
            raise InputError("a stateful model is an LSTM trained one window at a time")
        if self.members > 1 and not self.corpus:
            raise InputError("members (an ensemble) are for the corpus presets")
        for name in ("units", "window", "epochs", "batch_size", "members"):
            if getattr(self, name) < 1:
                raise InputError(f"{name} must be at least 1, got {getattr(self, name)}")

    @property
    def n_features(self) -> int:
        return 2 if self.encoding == "pitch-duration" else 1

    @property
    def corpus(self) -> bool:
        """A corpus model: built by ``models.build_corpus_model``, trained with Keras fit."""
        return (
            self.encoding == "embedding"
            or self.architecture == "gru"
            or self.layers > 1
            or self.heads != "joint"
            or self.dropout > 0
        )

    @property
    def start_padded(self) -> bool:
        """Windows start at each song's first note, padded with the start symbol."""
        return self.encoding == "embedding"

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


def member_prefix(member: int) -> str:
    """The prefix of an ensemble member's layer names: none for the first, ``m2_`` ..."""
    return "" if member == 1 else f"m{member}_"


PRESETS: dict[str, ModelConfig | MetreConfig] = {
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


@dataclass(frozen=True)
class MetreConfig:
    """A metre-aware network (:mod:`nabi_music.data.context`): each note's step from the
    pitch before, its length, contour and degree, and where the next note falls in the
    bar (position, beat strength, metre), each embedded ``embedding`` wide, through
    ``layers`` LSTM layers of ``units``, to a head over the next step and, with
    ``lengths``, one over its length. ``key``: degrees above the key's tonic (key
    information), else above the song's first pitch. Trained like the corpus presets
    (windows from each song's start, the validation loss settles and stops it),
    ``members`` networks side by side, their distributions averaged."""

    preset: str = "corpus-metre"
    units: int = 256
    layers: int = 1
    window: int = 32
    embedding: int = 24
    dropout: float = 0.3
    key: bool = False
    lengths: bool = True
    epochs: int = 150
    batch_size: int = 32
    learning_rate: float = 0.005
    patience: int = 4
    members: int = 2
    history: int = 1024
    """The notes of a song the runner reads to rebuild its rows (where each note falls
    in the bar counts from the song's start): longer songs are read from their last
    ``history`` notes, as if they started there."""

    def __post_init__(self) -> None:
        names = ("units", "layers", "window", "embedding", "epochs", "batch_size", "members")
        for name in (*names, "history"):
            if getattr(self, name) < 1:
                raise InputError(f"{name} must be at least 1, got {getattr(self, name)}")
        if not 0.0 <= self.dropout < 1.0:
            raise InputError(f"dropout must lie in [0, 1), got {self.dropout}")
        if self.history < self.window:
            raise InputError(f"history ({self.history}) must hold a window ({self.window})")

    # what the code that predicts and composes asks of a config
    n_features = len(INPUTS)
    stateful = False
    start_padded = True
    encoding = "embedding"
    corpus = True

    def with_options(self, **options: Any) -> MetreConfig:
        """A copy with the options that are not None replaced."""
        return replace(self, **{k: v for k, v in options.items() if v is not None})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MetreConfig:
        unknown = set(data) - {f.name for f in fields(cls)}
        if unknown:
            raise InputError(f"unknown metre config keys: {', '.join(sorted(unknown))}")
        return cls(**data)


_CORPUS = {
    "encoding": "embedding",
    "embedding": 32,
    "units": 128,
    "layers": 2,
    "dropout": 0.3,
    "window": 32,
    "epochs": 150,
    "batch_size": 64,
    "shuffle": True,
    "learning_rate": 0.005,
    "patience": 5,
    "members": 3,
}
CORPUS_PRESETS: dict[str, ModelConfig | MetreConfig] = {
    "corpus-lstm": ModelConfig("corpus-lstm", architecture="lstm", **_CORPUS),
    "corpus-gru": ModelConfig("corpus-gru", architecture="gru", **_CORPUS),
    "corpus-lstm-2heads": ModelConfig(
        "corpus-lstm-2heads", architecture="lstm", heads="two", **_CORPUS
    ),
    "corpus-metre": MetreConfig(),
}
"""Presets for many songs: embedding input, two stacked layers with dropout,
windows of 32 notes from each song's start; the learning rate halves after
``patience`` epochs without a better validation loss, and training stops at the
plateau after the third fall (:class:`nabi_music.training.fit.Schedule`), at most ``epochs``.
Three networks of that shape (``members``) train side by side from different seeds and
their predicted distributions are averaged: one network's held-out figures moved by 0.25
bits/note with the seed and the CPU's rounding, three's by under 0.10. ``corpus-metre``
is the metre-aware network (:class:`MetreConfig`), two networks side by side."""
PRESETS.update(CORPUS_PRESETS)


def preset(name: str) -> ModelConfig | MetreConfig:
    try:
        return PRESETS[name]
    except KeyError:
        raise InputError(f"unknown preset {name!r}; expected one of {', '.join(PRESETS)}") from None
