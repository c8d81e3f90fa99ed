"""The workflow behind ``nabi train`` on score files: train one tutorial preset on the
melodies and save it as a bundle."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from nabi_music import backend
from nabi_music.data.encoding import choose_vocabulary
from nabi_music.errors import InputError
from nabi_music.models.bundle import Bundle, save_bundle
from nabi_music.models.presets import CORPUS_PRESETS, preset
from nabi_music.music.notes import Melody
from nabi_music.prediction.tutorial import Prediction, last_epoch_scorer, predict
from nabi_music.training.loop import Progress
from nabi_music.training.tutorial import train_preset


def check_preset(preset_name: str) -> None:
    """A tutorial preset: the corpus presets train with ``--corpus``."""
    if preset_name in CORPUS_PRESETS:
        raise InputError(f"{preset_name} trains on a corpus: use --corpus PATH...")


def train_to_bundle(
    melodies: Sequence[Melody],
    preset_name: str,
    output: str | None,
    *,
    epochs: int | None = None,
    window: int | None = None,
    vocabulary: str = "data",
    seed: int = 1,
    until_perfect: bool = False,
    keep: str = "best",
    progress: Progress | None = None,
) -> tuple[Bundle, Path, Prediction]:
    """Train ``preset_name`` on ``melodies`` and save the bundle to ``output`` (default
    ``<preset>.nabi``); the bundle, where it went, and its prediction of the first
    melody (the figures of the model saved)."""
    backend.quiet_tensorflow()
    config = preset(preset_name).with_options(epochs=epochs, window=window)
    vocab = choose_vocabulary(vocabulary, melodies)
    out = Path(output or f"{preset_name}.nabi")
    if out.exists() and out.is_dir():
        raise InputError(f"{out}: is a folder; expected a bundle file name")
    if not out.parent.exists():
        raise InputError(f"{out.parent}: no such folder for the bundle")
    bundle = train_preset(
        melodies,
        config,
        vocabulary=vocab,
        seed=seed,
        until_perfect=until_perfect,
        keep=keep,
        progress=progress,
        score_last=last_epoch_scorer(melodies[0]),
    )
    save_bundle(bundle, out)
    return bundle, out, predict(bundle, melodies[0])
