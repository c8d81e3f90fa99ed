"""The weights of a Keras 3 ``.keras`` file, read with h5py, without Keras or TensorFlow.

A ``.keras`` file is a zip holding ``config.json`` (the layers) and ``model.weights.h5``.
Keras 3 stores a layer's variables under ``layers/<path>/vars/<i>`` (a recurrent
layer's under ``layers/<path>/cell/vars/<i>``), where ``<path>`` is the layer's class
in snake case, numbered in the order of the model's layers (``lstm``, ``lstm_1`` ...),
not the layer's own name. :func:`read_weights` maps them back to the layers' names,
each layer's arrays in the order ``layer.get_weights()`` gives them: what
:class:`~nabi_music.models.runner.Runner` takes, so that a bundle predicts and
generates without starting TensorFlow. A test checks the weights against Keras' for
every preset.
"""

from __future__ import annotations

import io
import re
import zipfile

import h5py
import numpy as np

from nabi_music.errors import InputError

WEIGHTS_FILE = "model.weights.h5"


def snake_case(name: str) -> str:
    """A class name as Keras names its saved state: ``InputLayer`` -> ``input_layer``."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def saved_paths(layers: list[tuple[str, str]]) -> dict[str, str]:
    """``{layer name: its group in the weights file}`` for ``(class, name)`` pairs in the
    model's order."""
    used: dict[str, int] = {}
    paths = {}
    for kind, name in layers:
        base = snake_case(kind)
        count = used.get(base, -1) + 1
        used[base] = count
        paths[name] = f"layers/{base}" if count == 0 else f"layers/{base}_{count}"
    return paths


def read_weights(
    data: bytes, layers: list[tuple[str, str]], max_values: int, where: str
) -> dict[str, tuple[np.ndarray, ...]] | None:
    """Each layer's weights (float32), by layer name, from the bytes of a ``.keras``
    file whose layers are ``(class, name)`` in the model's order; None when the file
    does not hold them as Keras 3 writes them (the caller then asks Keras). More than
    ``max_values`` numbers in all, counted before any is read, is an :class:`InputError`."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            if WEIGHTS_FILE not in zf.namelist():
                return None
            h5_bytes = zf.read(WEIGHTS_FILE)
        weights = {}
        with h5py.File(io.BytesIO(h5_bytes), "r") as f:
            groups = {name: _variables(f, path) for name, path in saved_paths(layers).items()}
            total = sum(d.size for datasets in groups.values() for d in datasets)
            if total > max_values:
                raise InputError(
                    f"{where}: the weights file holds {total:,} numbers, over the limit of "
                    f"{max_values:,}"
                )
            for name, datasets in groups.items():
                if datasets:
                    weights[name] = tuple(np.asarray(d, dtype=np.float32) for d in datasets)
        return weights
    except (OSError, KeyError, ValueError, TypeError, zipfile.BadZipFile):
        return None


def _variables(f: h5py.File, path: str) -> list[h5py.Dataset]:
    """The datasets of one layer's ``vars`` (or its cell's), in their index order; none
    is read yet."""
    for group_path in (f"{path}/vars", f"{path}/cell/vars"):
        group = f.get(group_path)
        if isinstance(group, h5py.Group) and len(group):
            datasets = [group[k] for k in sorted(group.keys(), key=int)]
            if not all(isinstance(d, h5py.Dataset) and d.ndim <= 2 for d in datasets):
                raise ValueError(f"{group_path}: not arrays of weights")
            return datasets
    return []
