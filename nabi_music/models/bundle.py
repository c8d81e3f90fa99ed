"""A trained model as one file: a zip holding the Keras model, the vocabulary,
the config, the seed and the training history.

Layout of a ``.nabi`` bundle::

    model.keras        the Keras model: its weights read with h5py for the NumPy runner,
                       the model built by Keras (safe_mode=True) only when asked for
    vocabulary.json    {"codes": [...]}, index order
    config.json        {"model": ModelConfig, "seed": int, "history": {...},
                        "trained_on": [...], "versions": {...},
                        "meta": {"key", "time_signature", "tempo", "songs"}}

Nothing in a bundle is unpickled; it loads on any machine with nabi_music.

A bundle is as untrusted as a score: :func:`load_bundle` checks the size of every
member before it reads it, every field of ``config.json`` and ``vocabulary.json``
for its type and range (the limits below), and the Keras model's layers and the
number of weights they would allocate, before Keras builds anything; then that the
model fits its config. A bad bundle is one :class:`InputError` naming the field.
Paths a bundle names are never opened by loading it.
"""

from __future__ import annotations

import io
import json
import math
import re
import tempfile
import zipfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

from nabi_music import backend
from nabi_music.data.encoding import Vocabulary, feature_table
from nabi_music.errors import InputError, NabiError, shorten
from nabi_music.fileio import atomic_write
from nabi_music.models.history import History
from nabi_music.models.keras_file import read_weights
from nabi_music.models.metre_runner import MetreRunner
from nabi_music.models.mixture import (
    MAX_PARTS,
    NETWORK_KINDS,
    PART_KINDS,
    PART_NAME,
    MixtureBundle,
    MixtureConfig,
)
from nabi_music.models.ngram import MAX_ORDER
from nabi_music.models.presets import MetreConfig, ModelConfig
from nabi_music.models.runner import Runner, layer_weights
from nabi_music.music.notes import Melody, parse_code
from nabi_music.version import __version__

BUNDLE_FORMAT = 1
MEMBERS = ("model.keras", "vocabulary.json", "config.json")
METRE_KIND = "metre"
"""``config.json``'s ``kind`` of a metre-aware network (its ``model`` a MetreConfig)."""
MIXTURE_FILE = "mixture.json"
"""A mixture's bundle holds this instead of ``config.json`` and ``model.keras``."""
NETWORKS_FOLDER = "networks/"
"""Where a mixture's bundle holds its networks, each a bundle of its own."""

# --- what a bundle may hold (and what training may ask: ``nabi`` checks its options
# against the same limits) -----------------------------------------------------------

MAX_UNITS = 4096
"""Units of a recurrent or dense layer, and the size of an embedding."""
MAX_LAYERS = 8
"""Stacked recurrent layers."""
MAX_MEMBERS = 16
"""Networks of an ensemble."""
MAX_WINDOW = 256
"""Notes per window (the tutorial's 4, the corpus presets' 32): the training windows of
a 100,000-note melody take 200 MB at 256."""
MAX_HISTORY = 4096
"""Notes of the song so far a metre-aware network, or a mixture, reads."""
MAX_EPOCHS = 100_000
"""Epochs of training (the tutorial's 2000)."""
MAX_BATCH = 65_536
"""Windows per batch."""
MAX_VOCABULARY = 10_000
"""Codes a model knows (a corpus of 350 chorales has 192)."""
MAX_PARAMETERS = 50_000_000
"""Weights of the Keras model (200 MB of float32)."""
MAX_SEED = 2**32 - 1
"""The largest seed (seeds are from 0)."""
MAX_SONGS = 100_000
"""Songs a bundle records (training and test songs, corpus paths, sources)."""
MAX_TEXT = 4096
"""Characters of one text field (a title, a key, a path, a line of codes is longer)."""
MAX_CONFIG_BYTES = 50_000_000
"""``config.json`` (it records the training songs' codes)."""
MAX_VOCABULARY_BYTES = 1_000_000
"""``vocabulary.json``."""
MAX_KERAS_BYTES = 4 * MAX_PARAMETERS + 50_000_000
"""``model.keras``: the weights and the layers' config."""
MAX_KERAS_CONFIG_BYTES = 5_000_000
"""The layers' config inside ``model.keras``."""
PICKUP = re.compile(r"[1-9]\d{0,5}(/[1-9]\d{0,5})?")
"""A recorded upbeat's length in quarters."""
PRESET_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.+-]{0,59}")
"""A preset's name: also a folder name (``nabi predict`` writes under it)."""
KERAS_LAYERS = frozenset(
    {"InputLayer", "Dense", "LSTM", "GRU", "Embedding", "Dropout", "Flatten", "Reshape"}
)
"""The Keras layers a nabi_music model is made of (:mod:`nabi_music.models.builders`)."""
KERAS_MODELS = frozenset({"Functional", "Sequential", "Model"})


@dataclass(frozen=True)
class Bundle:
    """A trained model with everything needed to use it without retraining."""

    model: Any  # keras.Model
    vocabulary: Vocabulary
    config: ModelConfig | MetreConfig
    seed: int
    history: History
    trained_on: tuple[str, ...] = ()
    versions: dict[str, str] = field(default_factory=dict, compare=False)
    meta: dict[str, Any] = field(default_factory=dict, compare=False)
    """What the training melodies were like (:func:`training_meta`); empty in old bundles."""
    weights: dict[str, tuple[np.ndarray, ...]] | None = field(
        default=None, compare=False, repr=False
    )
    """Each layer's weights as read from the file (:mod:`~nabi_music.models.keras_file`),
    so that the runner needs no Keras; None for a bundle trained in this process."""

    @property
    def table(self) -> Any:
        return feature_table(self.vocabulary, self.config.encoding)

    def __repr__(self) -> str:
        """One line: the preset, the vocabulary, the epochs and the kept epoch's figures."""
        h = self.history
        facts = [f"{len(self.vocabulary)} codes", f"seed {self.seed}"]
        if self.config.members > 1:
            facts.append(f"{self.config.members} networks")
        if h.epochs:
            kept = h.kept_epoch or h.epochs
            facts.append(f"{h.epochs} epochs, kept {kept}: loss {h.loss[kept - 1]:.4g}")
            if h.one_step_accuracy:
                facts.append(f"one-step {h.one_step_accuracy[kept - 1]:.0%}")
        return f"<Bundle {self.config.preset}: {', '.join(facts)}>"

    def runner(self) -> Runner | MetreRunner:
        if isinstance(self.config, MetreConfig):
            weights = self.weights if self.weights is not None else layer_weights(self.model)
            return MetreRunner(self.config, weights, self.vocabulary)
        if self.weights is not None:
            return Runner.from_weights(self.weights, self.config, self.vocabulary)
        return Runner.from_keras(self.model, self.config, self.vocabulary)


class KerasOnDemand:
    """The Keras model of a loaded bundle, built by Keras (TensorFlow started) the first
    time something asks for it. Predicting, generating and evaluating run the NumPy
    runner on the weights read with h5py, so they never start TensorFlow."""

    def __init__(self, data: bytes, origin: Path) -> None:
        self._data = data
        self._origin = origin
        self._model: Any = None

    def load(self) -> Any:
        if self._model is None:
            backend.quiet_tensorflow()
            self._model = _load_keras(self._data, self._origin)
        return self._model

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.load(), name)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.load()(*args, **kwargs)


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
        "songs": song_records(melodies),
    }


def song_records(melodies: Sequence[Melody]) -> list[dict[str, Any]]:
    """Songs as a bundle records them: each its title, file, key, time signature, upbeat
    (quarters, as ``1/2``) and codes (one string)."""
    return [
        {
            "title": m.title,
            "source": m.source or None,
            "key": m.key,
            "time_signature": m.time_signature,
            "pickup": str(m.pickup) if m.pickup else None,
            "codes": " ".join(m.codes),
        }
        for m in melodies
    ]


def library_versions() -> dict[str, str]:
    keras = backend.keras()
    tf = backend.tensorflow()

    return {
        "nabi_music": __version__,
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
    }


def save_bundle(bundle: Bundle | MixtureBundle, path: str | Path) -> Path:
    """Write ``bundle`` to ``path`` (atomically)."""
    path = Path(path)
    if isinstance(bundle, MixtureBundle):
        return _save_mixture(bundle, path)
    meta = {
        "format": BUNDLE_FORMAT,
        **({"kind": METRE_KIND} if isinstance(bundle.config, MetreConfig) else {}),
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


def load_bundle(path: str | Path) -> Bundle | MixtureBundle:
    """Read a bundle written by :func:`save_bundle`, every part checked first (see the
    module's docstring); a missing, broken or forged file is an :class:`InputError`.
    A mixture's bundle is a :class:`~nabi_music.models.mixture.MixtureBundle`."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such bundle file")
    return _load(path, str(path), path)


def _load(source: Path | io.BytesIO, where: str, origin: Path, nested: bool = False) -> Any:
    """The bundle in ``source`` (a file, or the bytes of a mixture's network), named
    ``where`` in messages; a mixture's networks are never mixtures (``nested``)."""
    try:
        with zipfile.ZipFile(source) as zf:
            names = set(zf.namelist())
            if MIXTURE_FILE in names and not nested:
                return _load_mixture(zf, where, origin)
            missing = [m for m in MEMBERS if m not in names]
            if missing:
                raise InputError(f"{where}: not a nabi_music bundle (missing {', '.join(missing)})")
            config_text = _member(zf, "config.json", MAX_CONFIG_BYTES, where)
            vocabulary_text = _member(zf, "vocabulary.json", MAX_VOCABULARY_BYTES, where)
            meta = _json(config_text, f"{where}: config.json")
            vocabulary = _vocabulary(_json(vocabulary_text, f"{where}: vocabulary.json"), where)
            parts = _config(meta, vocabulary, where)
            model_bytes = _member(zf, "model.keras", MAX_KERAS_BYTES, where)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as err:
        raise InputError(f"{where}: not a readable nabi_music bundle ({err})") from err
    keras_config = _check_keras(model_bytes, where)
    top = keras_config.get("config", {}).get("layers", [])
    weights = None
    if not any(entry.get("class_name") in KERAS_MODELS for entry in top):  # none nested
        layers = [(kind, str(c.get("name"))) for kind, c, _ in _keras_layers(keras_config, where)]
        place = f"{where}: the Keras model in the bundle cannot be loaded: model.keras"
        weights = read_weights(model_bytes, layers, MAX_PARAMETERS, place)
    if weights is None:  # not as Keras 3 writes them: Keras reads them
        backend.quiet_tensorflow()
        model: Any = _load_keras(model_bytes, origin)
    else:
        model = KerasOnDemand(model_bytes, origin)
    bundle = Bundle(model=model, vocabulary=vocabulary, weights=weights, **parts)
    _check_fit(bundle, _input_shape(keras_config), where)
    return bundle


# --- mixtures ----------------------------------------------------------------------


def _save_mixture(bundle: MixtureBundle, path: Path) -> Path:
    """A mixture's bundle: ``mixture.json`` (its config, seed and meta, whose ``songs``
    are what its n-grams count), ``vocabulary.json``, and each network part as a bundle
    of its own, ``networks/NAME.nabi``."""
    data = {
        "format": BUNDLE_FORMAT,
        "kind": "mixture",
        "mixture": bundle.config.to_dict(),
        "seed": bundle.seed,
        "trained_on": list(bundle.trained_on),
        "versions": bundle.versions or {"nabi_music": __version__},
        "meta": bundle.meta,
    }
    with tempfile.TemporaryDirectory() as tmp:
        files = {}
        for name, network in bundle.networks.items():
            files[name] = save_bundle(network, Path(tmp) / f"{name}.nabi")
        with atomic_write(path) as tmp_path, zipfile.ZipFile(tmp_path, "w") as zf:
            zf.writestr(MIXTURE_FILE, json.dumps(data, ensure_ascii=False, indent=1))
            zf.writestr("vocabulary.json", bundle.vocabulary.to_json())
            for name, file in files.items():
                zf.write(file, f"{NETWORKS_FOLDER}{name}.nabi")
    return path


def _load_mixture(zf: zipfile.ZipFile, where: str, origin: Path) -> MixtureBundle:
    """A mixture's bundle, each field checked, and each network as any bundle is."""
    if "vocabulary.json" not in zf.namelist():
        raise InputError(f"{where}: not a nabi_music bundle (missing vocabulary.json)")
    place = f"{where}: {MIXTURE_FILE}"
    data = _json(_member(zf, MIXTURE_FILE, MAX_CONFIG_BYTES, where), place)
    vocabulary_text = _member(zf, "vocabulary.json", MAX_VOCABULARY_BYTES, where)
    vocabulary = _vocabulary(_json(vocabulary_text, f"{where}: vocabulary.json"), where)
    f = _Fields(data, place)
    if f.data.get("format") != BUNDLE_FORMAT or f.data.get("kind") != "mixture":
        got = [f.data.get("format"), f.data.get("kind")]
        f.fail("format, kind", f"{BUNDLE_FORMAT}, mixture", got)
    config = _mixture_config(f.sub("mixture", required=True), place)
    versions = _versions(f)
    meta = _meta(f.data.get("meta"), vocabulary, place)
    if any(p.kind not in NETWORK_KINDS for p in config.parts) and not meta.get("songs"):
        f.fail("meta.songs", "the training songs its n-grams count", None)
    networks = {}
    budget = MAX_KERAS_BYTES
    for part in config.parts:
        if part.kind not in NETWORK_KINDS:
            continue
        name = f"{NETWORKS_FOLDER}{part.name}.nabi"
        if name not in zf.namelist():
            raise InputError(f"{where}: not a nabi_music bundle (missing {name})")
        data_bytes = _member(zf, name, budget, where)
        budget -= len(data_bytes)
        network = _load(io.BytesIO(data_bytes), f"{where}: {name}", origin, nested=True)
        network_config = network.config
        if network.vocabulary != vocabulary:
            raise InputError(f"{where}: {name}: its vocabulary is not the mixture's")
        metre = isinstance(network_config, MetreConfig)
        if metre != (part.kind == METRE_KIND):
            raise InputError(f"{where}: {name}: not the {part.kind} the mixture names")
        reads = network_config.history if metre else network_config.window
        if not network_config.start_padded or reads > config.window:
            raise InputError(
                f"{where}: {name}: expected a corpus model reading at most {config.window} "
                f"notes from the song's start, got {network_config.preset}"
            )
        networks[part.name] = network
    return MixtureBundle(
        vocabulary=vocabulary,
        config=config,
        networks=networks,
        seed=f.integer("seed", 0, 2**63),
        meta=meta,
        trained_on=tuple(f.texts("trained_on")),
        versions=versions,
    )


def _mixture_config(f: _Fields | None, place: str) -> MixtureConfig:
    """The mixture's parts (each name, kind, order and weight) and window, each checked."""
    assert f is not None
    parts = f.items("parts", MAX_PARTS)
    for k, part in enumerate(parts):
        p = _Fields(part, place, f"mixture.parts[{k}]")
        name = p.text("name", 40, required=True)
        if not PART_NAME.fullmatch(name):
            p.fail(f"{p.name}.name", "lower-case letters, digits, - _ . +", name)
        if p.data.get("kind") not in PART_KINDS:
            p.fail(f"{p.name}.kind", f"one of {', '.join(PART_KINDS)}", p.data.get("kind"))
        p.integer("order", 0, MAX_ORDER)
        p.number("weight", 0.0, 1.0)
    f.integer("window", 1, MAX_HISTORY)
    if f.data.get("spread_order") is not None:
        f.integer("spread_order", 1, MAX_ORDER)
    f.text("smoothing", 40)
    try:
        return MixtureConfig.from_dict(f.data)
    except (InputError, KeyError, TypeError, ValueError) as err:
        raise InputError(f"{place}: mixture: {shorten(err, 120)}") from None


# --- the checks --------------------------------------------------------------------


def _member(zf: zipfile.ZipFile, name: str, limit: int, where: str) -> bytes:
    """A member's bytes, refused before reading when it says it is larger than ``limit``
    (zipfile never returns more than the size a member declares)."""
    size = zf.getinfo(name).file_size
    if size > limit:
        raise InputError(f"{where}: {name} is {size:,} bytes unpacked, over the limit of {limit:,}")
    try:
        return zf.read(name)
    except (RuntimeError, ValueError) as err:  # encrypted; an unknown method (NotImplementedError)
        raise InputError(f"{where}: {name} cannot be read ({shorten(err, 80)})") from err


def _json(data: bytes, where: str) -> Any:
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as err:
        raise InputError(f"{where}: not JSON ({shorten(err, 80)})") from err


class _Fields:
    """Type and range checks of one JSON object, each failure one line naming the field."""

    def __init__(self, data: Any, where: str, name: str = "") -> None:
        self.where = where
        self.name = name
        if not isinstance(data, dict):
            self.fail(name or "the file", "an object", data)
        self.data: dict[str, Any] = data

    def fail(self, name: str, expected: str, got: Any) -> None:
        raise InputError(f"{self.where}: {name}: expected {expected}, got {shorten(repr(got))}")

    def _path(self, key: str) -> str:
        return f"{self.name}.{key}" if self.name else key

    def sub(self, key: str, required: bool = False) -> _Fields | None:
        value = self.data.get(key)
        if value is None and not required:
            return None
        return _Fields(value, self.where, self._path(key))

    def integer(self, key: str, low: int, high: int, default: Any = None) -> Any:
        value = self.data.get(key, default)
        return self.check_integer(self._path(key), value, low, high, default is None)

    def check_integer(self, name: str, value: Any, low: int, high: int, required: bool) -> Any:
        if value is None and not required:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.fail(name, f"a whole number from {low:,} to {high:,}", value)
        return value

    def number(
        self, key: str, low: float, high: float, optional: bool = False, finite: bool = True
    ) -> Any:
        value = self.data.get(key)
        if value is None and optional:
            return None
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if ok and math.isnan(value) and not finite:
            return value
        if not ok or not low <= value <= high or (finite and not math.isfinite(value)):
            self.fail(self._path(key), f"a number from {low:g} to {high:g}", value)
        return value

    def text(self, key: str, limit: int = MAX_TEXT, required: bool = False) -> Any:
        value = self.data.get(key)
        if value is None and not required:
            return None
        if not isinstance(value, str) or len(value) > limit:
            self.fail(self._path(key), f"a text of at most {limit:,} characters", value)
        return value

    def flag(self, key: str, default: bool = False) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            self.fail(self._path(key), "true or false", value)
        return value

    def items(self, key: str, limit: int = MAX_SONGS) -> list[Any]:
        value = self.data.get(key, [])
        if not isinstance(value, list) or len(value) > limit:
            self.fail(self._path(key), f"a list of at most {limit:,} items", value)
        return value

    def texts(self, key: str, limit: int = MAX_SONGS) -> list[str]:
        values = self.items(key, limit)
        for k, v in enumerate(values):
            if not isinstance(v, str) or len(v) > MAX_TEXT:
                self.fail(
                    f"{self._path(key)}[{k}]", f"a text of at most {MAX_TEXT:,} characters", v
                )
        return values


_MODEL_RANGES = {
    "units": (1, MAX_UNITS),
    "window": (1, MAX_WINDOW),
    "epochs": (1, MAX_EPOCHS),
    "batch_size": (1, MAX_BATCH),
    "layers": (1, MAX_LAYERS),
    "embedding": (0, MAX_UNITS),
    "patience": (0, MAX_EPOCHS),
    "members": (1, MAX_MEMBERS),
    "history": (1, MAX_HISTORY),
}
"""The whole-number fields of :class:`ModelConfig`; a field not named here is at most
:data:`MAX_UNITS`."""


def _model_config(data: Any, where: str, cls: type = ModelConfig) -> Any:
    """:class:`ModelConfig` (or ``cls``, a :class:`MetreConfig`) from ``config.json``'s
    ``model``: each field of its type and in its range (the dataclass' own checks then say
    what does not go together)."""
    f = _Fields(data, where, "model")
    known = {x.name: x for x in fields(cls)}
    unknown = sorted(set(f.data) - set(known))
    if unknown:
        f.fail("model", f"only the fields {', '.join(known)}", unknown[0])
    for name, spec in known.items():
        if name not in f.data:
            continue
        kind = str(spec.type)
        if kind == "bool":
            f.flag(name)
        elif kind == "int":
            f.integer(name, *_MODEL_RANGES.get(name, (0, MAX_UNITS)))
        elif kind == "float":
            f.number(name, 0.0, 1.0 if name == "dropout" else 10.0)
        else:
            f.text(name, 60, required=True)
    preset = f.text("preset", 60, required=True)
    if not PRESET_NAME.fullmatch(preset):
        f.fail("model.preset", "a preset name (letters, digits, - _ . +)", preset)
    try:
        return cls(**f.data)
    except TypeError as err:  # a field left out
        raise InputError(f"{where}: model: {shorten(err, 80)}") from None
    except InputError as err:
        raise InputError(f"{where}: model: {err}") from None


def _vocabulary(data: Any, where: str) -> Vocabulary:
    """The vocabulary: at most :data:`MAX_VOCABULARY` codes, each a valid note code, once."""
    f = _Fields(data, f"{where}: vocabulary.json")
    codes = f.items("codes", MAX_VOCABULARY)
    if not codes:
        f.fail("codes", "at least one note code", codes)
    for k, code in enumerate(codes):
        if not isinstance(code, str) or len(code) > 40:
            f.fail(f"codes[{k}]", "a note code", code)
        try:
            parse_code(code)
        except NabiError:
            f.fail(f"codes[{k}]", "a note code such as g8 or fis'4.", code)
    try:
        return Vocabulary(tuple(codes))
    except InputError as err:
        raise InputError(f"{where}: vocabulary.json: {err}") from None


def _history(f: _Fields | None) -> History:
    if f is None:
        return History(loss=(), accuracy=())
    series = {}
    for key in ("loss", "accuracy", "one_step_accuracy"):
        values = f.items(key, MAX_EPOCHS)
        for k, v in enumerate(values):
            if isinstance(v, bool) or not isinstance(v, int | float):
                f.fail(f"{f.name}.{key}[{k}]", "a number", v)  # NaN and inf: a diverged run
        series[key] = tuple(float(v) for v in values)
    last = f.sub("last")
    if last is not None and len(last.data) > 50:
        f.fail("history.last", "at most 50 figures", len(last.data))
    figures = {}
    for key in last.data if last is not None else ():
        figures[str(key)[:60]] = float(last.number(key, -math.inf, math.inf, finite=False))
    keep = f.text("keep", 10) or "last"
    if keep not in ("best", "last"):
        f.fail("history.keep", "best or last", keep)
    return History(
        **series,
        seconds=float(f.number("seconds", 0.0, 1e9, optional=True) or 0.0),
        stopped_early=f.flag("stopped_early"),
        kept_epoch=f.integer("kept_epoch", 0, len(series["loss"]), 0),
        keep=keep,
        last=figures,
    )


def _songs(f: _Fields, key: str, vocabulary: Vocabulary) -> list[dict[str, Any]]:
    """Recorded songs: each its codes (every one in the vocabulary), key and metre."""
    songs = f.items(key)
    lookup = set(vocabulary.codes)
    for k, song in enumerate(songs):
        s = _Fields(song, f.where, f"{f.name}.{key}[{k}]")
        s.text("title")
        s.text("source")
        s.text("key", 100)
        s.text("time_signature", 100)
        pickup = s.text("pickup", 20)
        if pickup is not None and not PICKUP.fullmatch(pickup):
            s.fail(f"{s.name}.pickup", "an upbeat in quarters, as 1/2", pickup)
        codes = s.data.get("codes")
        if not isinstance(codes, str):
            s.fail(f"{s.name}.codes", "note codes separated by spaces", codes)
        unknown = next((c for c in codes.split() if c not in lookup), None)
        if unknown is not None:
            s.fail(f"{s.name}.codes", "codes of the bundle's vocabulary", unknown)
    return songs


def _meta(data: Any, vocabulary: Vocabulary, where: str) -> dict[str, Any]:
    """``meta``: what the training songs were like, and for a corpus model how it was
    trained. Fields nabi_music does not use are left as they are."""
    if data is None:
        return {}
    f = _Fields(data, where, "meta")
    f.text("key", 100)
    f.text("time_signature", 100)
    f.number("tempo", 1e-3, 1e4, optional=True)
    _songs(f, "songs", vocabulary)
    _songs(f, "test_songs", vocabulary)
    f.texts("corpus", 1000)
    read = f.sub("read_options")
    if read is not None:
        extra = sorted(set(read.data) - {"part", "repeats"})
        if extra:
            read.fail("meta.read_options", "only part and repeats", extra[0])
        part = read.data.get("part")
        if isinstance(part, bool) or (part is not None and not isinstance(part, str | int)):
            read.fail("meta.read_options.part", "a part number or name", part)
        if isinstance(part, str):
            read.text("part", 100)
        read.flag("repeats", True)
    options = f.sub("corpus_options")
    if options is not None:
        transpose = options.data.get("transpose")
        if transpose is not None:
            if not isinstance(transpose, list) or len(transpose) != 2:
                options.fail("meta.corpus_options.transpose", "[LOW, HIGH]", transpose)
            for v in transpose:
                options.check_integer("meta.corpus_options.transpose", v, -24, 24, True)
        options.flag("normalize_key")
        options.flag("pitch_only")
        options.integer("ngram_order", 1, 1000, 3)
        options.text("smoothing", 40)
    split = f.sub("split")
    if split is not None:
        for key in ("train", "validation", "test"):
            for v in split.items(key, 10 * MAX_SONGS):
                split.check_integer(f"meta.split.{key}", v, 0, 10 * MAX_SONGS, True)
    return f.data


def _versions(f: _Fields) -> dict[str, Any]:
    """The optional ``versions`` field: at most 20 libraries, each a short text."""
    versions = f.sub("versions")
    if versions is None:
        return {}
    if len(versions.data) > 20:
        versions.fail("versions", "at most 20 libraries", len(versions.data))
    for key in versions.data:
        versions.text(key, 100)
    return {str(k): v for k, v in versions.data.items()}


def _config(meta: Any, vocabulary: Vocabulary, where: str) -> dict[str, Any]:
    """The fields of :class:`Bundle` other than the model and vocabulary, from
    ``config.json``, each checked."""
    where_config = f"{where}: config.json"
    f = _Fields(meta, where_config)
    if f.data.get("format") != BUNDLE_FORMAT:
        raise InputError(
            f"{where}: unknown bundle format {shorten(repr(f.data.get('format')))}; "
            f"expected {BUNDLE_FORMAT}"
        )
    if "model" not in f.data:
        f.fail("model", "the model's config", None)
    versions = _versions(f)
    kind = f.data.get("kind")
    if kind not in (None, METRE_KIND):
        f.fail("kind", f"{METRE_KIND} or none", kind)
    config = _model_config(
        f.data["model"], where_config, MetreConfig if kind == METRE_KIND else ModelConfig
    )
    if config.window > MAX_WINDOW:
        f.fail("model.window", f"at most {MAX_WINDOW}", config.window)
    return {
        "config": config,
        "seed": f.integer("seed", 0, 2**63),
        "history": _history(f.sub("history")),
        "trained_on": tuple(f.texts("trained_on")),
        "versions": versions,
        "meta": _meta(f.data.get("meta"), vocabulary, where_config),
    }


def _check_keras(data: bytes, where: str) -> dict[str, Any]:
    """The Keras model's files and layers, before Keras builds anything: known layers
    only, and at most :data:`MAX_PARAMETERS` weights (counted from each layer's config
    and the shape of its input); the model's config."""
    place = f"{where}: the Keras model in the bundle cannot be loaded: model.keras"
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            if "config.json" not in zf.namelist():
                raise InputError(f"{place}: not a Keras model (no config.json)")
            config = _json(_member(zf, "config.json", MAX_KERAS_CONFIG_BYTES, place), place)
            for info in zf.infolist():
                if info.file_size > MAX_KERAS_BYTES:
                    raise InputError(f"{place}: {shorten(info.filename)} is too large")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as err:
        raise InputError(f"{place}: not a Keras model ({shorten(err, 80)})") from err
    total = _keras_parameters(config, place)
    if total > MAX_PARAMETERS:
        raise InputError(
            f"{place}: the layers hold {total:,} weights, over the limit of {MAX_PARAMETERS:,}"
        )
    return config


def _input_shape(config: dict[str, Any]) -> tuple[int, ...] | None:
    """The shape of one input (no batch) its ``InputLayer`` declares, if it declares one."""
    for kind, c, _ in _keras_layers(config, ""):
        if kind == "InputLayer":
            shape = c.get("batch_shape", c.get("batch_input_shape"))
            return tuple(shape[1:]) if isinstance(shape, list) else None
    return None


def _dims(shape: Any, place: str, name: str) -> list[int]:
    """A shape's sizes (``None`` for the batch), each a whole number up to 10^6."""
    if isinstance(shape, list) and shape and isinstance(shape[0], list):
        shape = shape[0]  # a layer called on several inputs: the first is the data
    if not isinstance(shape, list) or len(shape) > 8:
        raise InputError(f"{place}: layer {shorten(name)}: a shape, got {shorten(repr(shape))}")
    dims = []
    for d in shape[1:]:
        if isinstance(d, bool) or not isinstance(d, int) or not 0 < d <= 1_000_000:
            raise InputError(f"{place}: layer {shorten(name)}: a size {shorten(repr(d))}")
        dims.append(d)
    return dims


def _keras_layers(model: Any, place: str, depth: int = 0) -> list[tuple[str, dict, Any]]:
    """Every layer of a Keras model's config (nested models opened): (class, config, the
    whole entry), each a layer nabi_music makes."""
    if not isinstance(model, dict) or model.get("class_name") not in KERAS_MODELS or depth > 4:
        raise InputError(f"{place}: not a nabi_music model")
    config = model.get("config")
    layers = config.get("layers") if isinstance(config, dict) else None
    if not isinstance(layers, list) or len(layers) > 200:
        raise InputError(f"{place}: not a nabi_music model (no list of layers)")
    out = []
    for entry in layers:
        kind = entry.get("class_name") if isinstance(entry, dict) else None
        if kind in KERAS_MODELS:
            out += _keras_layers(entry, place, depth + 1)
            continue
        if kind not in KERAS_LAYERS:
            raise InputError(
                f"{place}: a layer nabi_music does not make: {shorten(repr(kind))}; "
                f"expected {', '.join(sorted(KERAS_LAYERS))}"
            )
        c = entry.get("config")
        if not isinstance(c, dict):
            raise InputError(f"{place}: layer {shorten(repr(kind))} has no config")
        out.append((kind, c, entry))
    return out


def _keras_parameters(model: Any, place: str) -> int:
    """At least the number of weights a Keras model's config makes Keras allocate. A
    layer's input is taken as wide as the widest size anywhere in the model (a layer's
    own record of its input shape could lie)."""
    layers = _keras_layers(model, place)
    widest = 1
    for kind, c, _ in layers:
        name = str(c.get("name", kind))
        for key in ("units", "input_dim", "output_dim"):
            if key in c:
                value = c[key]
                if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= 10**6:
                    raise InputError(
                        f"{place}: layer {shorten(name)}: {key} {shorten(repr(value))}"
                    )
                widest = max(widest, value)
        if kind == "InputLayer":
            dims = _dims(c.get("batch_shape", c.get("batch_input_shape")), place, name)
            widest = max(widest, math.prod(dims))
    total = 0
    for kind, c, entry in layers:
        if kind in ("Dense", "LSTM", "GRU"):
            build = entry.get("build_config")
            shape = build.get("input_shape") if isinstance(build, dict) else None
            dims = _dims(shape, place, str(c.get("name", kind))) if shape is not None else []
            n_in = max(dims[-1] if dims else 1, widest)
            units = c.get("units")
            if not isinstance(units, int):
                raise InputError(f"{place}: layer {shorten(str(c.get('name')))}: no units")
            gates = {"Dense": 1, "LSTM": 4, "GRU": 3}[kind]
            total += gates * units * (n_in + (units if kind != "Dense" else 0) + 2)
        elif kind == "Embedding":
            total += int(c.get("input_dim", 0)) * int(c.get("output_dim", 0))
    return total


def _check_fit(bundle: Bundle, declared: tuple[int, ...] | None, where: str) -> None:
    """The model takes windows of the config's shape (``declared`` by its input layer,
    else asked of Keras) and scores every code of the vocabulary (the NumPy runner, on
    one window of zeros)."""
    config = bundle.config
    try:
        shape = declared if declared is not None else tuple(bundle.model.inputs[0].shape[1:])
        runner = bundle.runner()
        window = np.zeros((1, config.window, config.n_features), dtype=np.float32)
        logits, _ = runner(window, runner.zero_state())
        fits = shape == (config.window, config.n_features) and logits.shape == (
            1,
            len(bundle.vocabulary),
        )
    except Exception:  # any shape or name the runner cannot use
        fits = False
    if not fits:
        raise InputError(
            f"{where}: the Keras model does not fit the bundle's config ({config.preset}, "
            f"window {config.window}, {len(bundle.vocabulary)} codes)"
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
                f"{origin}: the Keras model in the bundle cannot be loaded "
                f"({shorten(first_line, 100)})"
            ) from err
