"""Members' predictions of a fold's validation and test songs, kept on disk so that a
rerun computes only what changed; a stale entry is never reused.

An entry's key is everything its predictions depend on, as JSON:

- the **code version** (:func:`code_version`): nabi_music's version, the versions of
  the libraries that compute (NumPy, NLTK, TensorFlow, Keras), and the source of
  every module that reads, prepares, trains or predicts
  (:data:`PREDICTING_MODULES`): an edit to any of them is a new version;
- the **corpus contents** (:func:`corpus_digest`): the codes of every song, as the
  models see them (after key normalisation or the pitch-only reduction);
- **every setting**: the task, the member (its kind, order, network config), the
  number of folds, the seed, key normalisation, the fold and its split, the epochs.

The file is named by a digest of the key and holds the key itself; an entry is read
only when its stored key equals the key asked for, whole, so that neither a digest
collision nor an edited file can hand back another run's predictions.
"""

from __future__ import annotations

import hashlib
import json
import time
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import metadata, util
from pathlib import Path
from typing import Any

import numpy as np

from nabi_music.fileio import atomic_write
from nabi_music.music.notes import Melody
from nabi_music.version import __version__

CACHE_FORMAT = 1
PREDICTING_MODULES = (
    "nabi_music.music.notes",
    "nabi_music.music.keys",
    "nabi_music.music.metre",
    "nabi_music.data.corpus",
    "nabi_music.data.context",
    "nabi_music.data.encoding",
    "nabi_music.data.transpose",
    "nabi_music.data.windows",
    "nabi_music.models.builders",
    "nabi_music.models.presets",
    "nabi_music.models.runner",
    "nabi_music.models.metre_runner",
    "nabi_music.models.ngram",
    "nabi_music.models.bundle",
    "nabi_music.training.fit",
    "nabi_music.training.metre_fit",
    "nabi_music.evaluation.scores",
    "nabi_music.evaluation.crossval",
    "nabi_music.evaluation.members",
    "nabi_music.evaluation.cache",
)
"""The modules whose source makes the code version: those that prepare songs, build,
train and run the models and compute the predictions kept here."""
LIBRARIES = ("numpy", "nltk", "tensorflow", "keras")

Predictions = tuple[list[np.ndarray], list[np.ndarray], dict[str, Any]]
"""Validation songs' and test songs' log-probabilities (one array per song), and what
computing them took (``seconds``, ``epochs`` ...)."""


def _library_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def code_version(modules: Sequence[str] = PREDICTING_MODULES) -> str:
    """A digest of nabi_music's version, the computing libraries' versions and the
    source of ``modules`` (read from their files; nothing is imported)."""
    digest = hashlib.sha256(__version__.encode())
    for name in LIBRARIES:
        digest.update(f"{name}={_library_version(name)}".encode())
    for name in modules:
        spec = util.find_spec(name)
        if spec is None or spec.origin is None:
            raise ValueError(f"no module {name}")
        digest.update(name.encode() + b"\0" + Path(spec.origin).read_bytes())
    return digest.hexdigest()


def corpus_digest(songs: Sequence[Melody]) -> str:
    """A digest of every song's codes, in order."""
    text = json.dumps([list(song.codes) for song in songs])
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class PredictionCache:
    """Predictions kept in ``folder`` (None: nothing kept), under keys that hold the code
    version; ``hits`` and ``misses`` count what was reused and what was computed."""

    folder: Path | None
    code: str = field(default_factory=code_version)
    hits: int = 0
    misses: int = 0

    def path(self, key: dict[str, Any]) -> Path:
        assert self.folder is not None
        digest = hashlib.sha256(self._text(key).encode()).hexdigest()[:24]
        label = "-".join(str(key.get(k)) for k in ("task", "member", "fold"))
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in label)[:80]
        return self.folder / f"{safe}-{digest}.npz"

    def _text(self, key: dict[str, Any]) -> str:
        return json.dumps({"cache_format": CACHE_FORMAT, "code": self.code, **key}, sort_keys=True)

    def load(self, key: dict[str, Any]) -> Predictions | None:
        """The entry stored under exactly ``key``, or None."""
        if self.folder is None:
            return None
        path = self.path(key)
        try:
            with np.load(path, allow_pickle=False) as data:
                if str(data["key"]) != self._text(key):
                    return None
                n_val, n_test = (int(x) for x in data["counts"])
                arrays = [data[f"s{i}"] for i in range(n_val + n_test)]
                info = json.loads(str(data["info"]))
        except (OSError, KeyError, ValueError, zipfile.BadZipFile, EOFError):
            return None  # missing, damaged or foreign: computed again
        return arrays[:n_val], arrays[n_val:], info

    def save(self, key: dict[str, Any], predictions: Predictions) -> None:
        if self.folder is None:
            return
        validation, test, info = predictions
        self.folder.mkdir(parents=True, exist_ok=True)
        arrays = {f"s{i}": np.asarray(a) for i, a in enumerate([*validation, *test])}
        with atomic_write(self.path(key)) as tmp:  # a killed run leaves no half file
            np.savez(
                tmp,
                key=self._text(key),
                counts=np.array([len(validation), len(test)]),
                info=json.dumps(info),
                **arrays,
            )

    def fetch(self, key: dict[str, Any], compute: Callable[[], Predictions]) -> Predictions:
        """The predictions under ``key``: reused when stored, else computed (timed, the
        seconds kept in the info) and stored. The info says ``cached`` either way."""
        found = self.load(key)
        if found is not None:
            self.hits += 1
            return found[0], found[1], {**found[2], "cached": True}
        self.misses += 1
        start = time.perf_counter()
        validation, test, info = compute()
        info = {**info, "seconds": info.get("seconds", time.perf_counter() - start)}
        self.save(key, (validation, test, info))
        return validation, test, {**info, "cached": False}
