"""A trained model as one file: a zip holding the Keras model, the vocabulary,
the config, the seed and the training history.

Layout of a ``.nabi`` bundle::

    model.keras        the Keras model (loaded with safe_mode=True)
    vocabulary.json    {"codes": [...]}, index order
    config.json        {"model": ModelConfig, "seed": int, "history": {...},
                        "trained_on": [...], "versions": {...},
                        "meta": {"key", "time_signature", "tempo", "songs"}}

Nothing in a bundle is unpickled; it loads on any machine with nabi_music.
"""

from __future__ import annotations

import json
import tempfile
import zipfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nabi_music import backend
from nabi_music.data.encoding import Vocabulary, feature_table
from nabi_music.errors import InputError
from nabi_music.fileio import atomic_write
from nabi_music.models.history import History
from nabi_music.models.presets import ModelConfig
from nabi_music.models.runner import Runner
from nabi_music.music.notes import Melody
from nabi_music.version import __version__

BUNDLE_FORMAT = 1
MEMBERS = ("model.keras", "vocabulary.json", "config.json")


@dataclass(frozen=True)
class Bundle:
    """A trained model with everything needed to use it without retraining."""

    model: Any  # keras.Model
    vocabulary: Vocabulary
    config: ModelConfig
    seed: int
    history: History
    trained_on: tuple[str, ...] = ()
    versions: dict[str, str] = field(default_factory=dict, compare=False)
    meta: dict[str, Any] = field(default_factory=dict, compare=False)
    """What the training melodies were like (:func:`training_meta`); empty in old bundles."""

    @property
    def table(self) -> Any:
        return feature_table(self.vocabulary, self.config.encoding)

    def runner(self) -> Runner:
        return Runner.from_keras(self.model, self.config, self.vocabulary)


def training_meta(melodies: Sequence[Melody]) -> dict[str, Any]:
    """What a bundle records about its training melodies, for composing without a primer
    and for comparing generated melodies with them (``nabi generate``).

    ``key``, ``time_signature``, ``tempo``: the most common among the melodies
    (None when none says); ``songs``: each melody's key, time signature and
    codes (one string), in training order.
    """

    def common(values: list[Any]) -> Any:
        known = [v for v in values if v is not None]
        return Counter(known).most_common(1)[0][0] if known else None

    return {
        "key": common([m.key for m in melodies]),
        "time_signature": common([m.time_signature for m in melodies]),
        "tempo": common([m.tempo for m in melodies]),
        "songs": [
            {"key": m.key, "time_signature": m.time_signature, "codes": " ".join(m.codes)}
            for m in melodies
        ],
    }


def library_versions() -> dict[str, str]:
    keras = backend.keras()
    tf = backend.tensorflow()

    return {
        "nabi_music": __version__,
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
    }


def save_bundle(bundle: Bundle, path: str | Path) -> Path:
    """Write ``bundle`` to ``path`` (atomically)."""
    path = Path(path)
    meta = {
        "format": BUNDLE_FORMAT,
        "model": bundle.config.to_dict(),
        "seed": bundle.seed,
        "history": bundle.history.to_dict(),
        "trained_on": list(bundle.trained_on),
        "versions": bundle.versions or library_versions(),
    }
    if bundle.meta:
        meta["meta"] = bundle.meta
    with tempfile.TemporaryDirectory() as tmp:
        keras_file = Path(tmp) / "model.keras"
        bundle.model.save(keras_file)
        with atomic_write(path) as tmp_path, zipfile.ZipFile(tmp_path, "w") as zf:
            zf.write(keras_file, "model.keras")
            zf.writestr("vocabulary.json", bundle.vocabulary.to_json())
            zf.writestr("config.json", json.dumps(meta, ensure_ascii=False, indent=1))
    return path


def load_bundle(path: str | Path) -> Bundle:
    """Read a bundle written by :func:`save_bundle`; a missing or broken file is an InputError."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such bundle file")
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            missing = [m for m in MEMBERS if m not in names]
            if missing:
                raise InputError(f"{path}: not a nabi_music bundle (missing {', '.join(missing)})")
            meta = json.loads(zf.read("config.json"))
            vocabulary = Vocabulary.from_json(zf.read("vocabulary.json").decode("utf-8"))
            model_bytes = zf.read("model.keras")
    except (zipfile.BadZipFile, OSError, ValueError, UnicodeDecodeError) as err:
        raise InputError(f"{path}: not a readable nabi_music bundle ({err})") from err
    if not isinstance(meta, dict) or meta.get("format") != BUNDLE_FORMAT:
        raise InputError(f"{path}: unknown bundle format {meta.get('format')!r}")
    try:
        config = ModelConfig.from_dict(meta["model"])
        seed = int(meta["seed"])
        history = History.from_dict(meta.get("history", {}))
    except (KeyError, TypeError, ValueError) as err:
        raise InputError(f"{path}: broken bundle config ({err})") from err
    model = _load_keras(model_bytes, path)
    return Bundle(
        model=model,
        vocabulary=vocabulary,
        config=config,
        seed=seed,
        history=history,
        trained_on=tuple(meta.get("trained_on", ())),
        versions=dict(meta.get("versions", {})),
        meta=dict(meta.get("meta") or {}),
    )


def _load_keras(data: bytes, origin: Path) -> Any:
    keras = backend.keras()

    with tempfile.TemporaryDirectory() as tmp:
        keras_file = Path(tmp) / "model.keras"
        keras_file.write_bytes(data)
        try:
            return keras.saving.load_model(keras_file, compile=False, safe_mode=True)
        except Exception as err:  # Keras raises many types for a damaged file
            first_line = (
                str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            )
            raise InputError(
                f"{origin}: the Keras model in the bundle cannot be loaded ({first_line})"
            ) from err
