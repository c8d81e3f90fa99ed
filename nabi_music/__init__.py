"""nabi_music: read melodies, train sequence models on them, and write back
music you can read and hear.

The public API (:mod:`nabi_music.api`)::

    melody = nabi_music.read("scores/nabiya.ly")[0]
    bundle = nabi_music.training(melody, "stateful-lstm", epochs=200)
    prediction = nabi_music.prediction(bundle, melody)
    nabi_music.write(prediction.as_melody("full_song"), "full_song.ly")

Importing the package imports neither TensorFlow nor music21 (nor the rest of the
package): the API's functions load on first use.
"""

from typing import Any

from nabi_music.version import __version__

__all__ = [
    "__version__",
    "compose",
    "load_bundle",
    "predict",
    "read",
    "save_bundle",
    "train",
    "write",
]


def __dir__() -> list[str]:
    return sorted(__all__)


def __getattr__(name: str) -> Any:
    """The API's functions, imported on first use (PEP 562)."""
    if name in __all__:
        from nabi_music import api

        return getattr(api, name)
    raise AttributeError(f"module 'nabi_music' has no attribute {name!r}")
