"""The public API, one function per step: :func:`read` a score, :func:`train` a preset,
:func:`predict` a melody, :func:`compose` new ones, :func:`write` any of them, and
:func:`save_bundle` / :func:`load_bundle` a trained model. ``import nabi_music`` hands
these on lazily (see :mod:`nabi_music`)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from nabi_music import backend
from nabi_music.data.encoding import choose_vocabulary
from nabi_music.models.bundle import Bundle
from nabi_music.models.bundle import load_bundle as _load_bundle
from nabi_music.models.bundle import save_bundle as _save_bundle
from nabi_music.models.presets import preset
from nabi_music.music.notes import Melody
from nabi_music.prediction import compose as _compose
from nabi_music.prediction.sampling import Sampling
from nabi_music.prediction.tutorial import Prediction, last_epoch_scorer
from nabi_music.prediction.tutorial import predict as _predict
from nabi_music.readers import read as _read
from nabi_music.training.tutorial import train_preset
from nabi_music.writers import write as _write


def read(
    path: str | os.PathLike[str], *, part: int | str | None = None, repeats: bool = True
) -> list[Melody]:
    """Every melody of a score file (``.ly .musicxml .xml .mxl .mid .midi .abc .txt``) or
    of ``corpus:PATH`` (music21's corpus), one per tune.

    ``part``: which part to read (number from 1, or name); ``repeats=False`` keeps
    repeats in the written order.
    """
    return _read(path, part=part, repeats=repeats)


def write(melody: Melody, path: str | os.PathLike[str], **options: Any) -> Path:
    """Write ``melody`` in the format the extension of ``path`` names (``.mid``, ``.ly``,
    ``.musicxml``); ``options`` go to the writer (``.ly``: ``wrong``, ``title`` ...)."""
    return _write(melody, path, **options)


def train(
    melodies: Melody | Sequence[Melody],
    preset_name: str = "stateful-lstm",
    *,
    epochs: int | None = None,
    window: int | None = None,
    seed: int = 1,
    vocabulary: str = "data",
    until_perfect: bool = False,
    keep: str = "best",
) -> Bundle:
    """Train one of the tutorial's presets (``mlp``, ``lstm``, ``stateful-lstm``,
    ``stateful-lstm-2f``) on the melodies; the trained model as a :class:`Bundle`.

    ``epochs`` and ``window`` override the preset's; ``vocabulary`` is ``data`` (the
    codes of the melodies) or ``tutorial`` (the tutorial's fixed 14); ``keep`` is
    ``best`` (the weights of the epoch that predicts the first melody best, one step at
    a time) or ``last``.
    """
    songs = [melodies] if isinstance(melodies, Melody) else list(melodies)
    backend.quiet_tensorflow()
    config = preset(preset_name).with_options(epochs=epochs, window=window)
    return train_preset(
        songs,
        config,
        vocabulary=choose_vocabulary(vocabulary, songs),
        seed=seed,
        until_perfect=until_perfect,
        keep=keep,
        score_last=last_epoch_scorer(songs[0]),
    )


def predict(bundle: Bundle, melody: Melody) -> Prediction:
    """The tutorial's two predictions of ``melody`` with a trained bundle: one step at a
    time (``.one_step``) and the full song from its first window (``.full_song``), each
    compared note by note with the melody (``.accuracy``, ``.wrong``)."""
    return _predict(bundle, melody)


def compose(
    bundle: Bundle,
    *,
    primer: str | None = None,
    temperature: float = 1.0,
    top_k: int | None = None,
    **request: Any,
) -> _compose.Composition:
    """New melodies from a trained bundle, sampled note by note (as ``nabi generate``).

    ``primer``: a score path or note codes to start from; ``temperature`` and ``top_k``
    shape the sampling; ``request`` holds the fields of
    :class:`nabi_music.prediction.compose.Request`: ``count``, ``length`` or ``bars``,
    ``seed``, and the constraints ``key`` (``"D major"``, ``"auto"``), ``pitch_range``
    (``"c..c''"``), ``whole_bars``, ``ties``, ``end_on_tonic``, ``time_signature``,
    ``no_syncopation``, and a song in phrases: ``form`` (``"AABA"``), ``phrase_bars``,
    ``vary``. The melodies are ``.melodies[k].melody`` (their phrases ``.phrases``).
    """
    request = _compose.Request(sampling=Sampling(temperature, top_k), **request)
    window = bundle.config.window
    minimum = 1 if _compose.start_padded(bundle.config) else window
    start = _compose.load_primer(primer, window, minimum) if primer else None
    return _compose.compose(bundle, request, start)


def load_bundle(path: str | os.PathLike[str]) -> Bundle:
    """A trained model saved by :func:`save_bundle` (or ``nabi train``/``nabi song``)."""
    backend.quiet_tensorflow()
    return _load_bundle(path)


def save_bundle(bundle: Bundle, path: str | os.PathLike[str]) -> Path:
    """Save a trained model as one ``.nabi`` file (model, vocabulary, configs, seed)."""
    return _save_bundle(bundle, path)
