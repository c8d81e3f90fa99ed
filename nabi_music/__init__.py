"""nabi_music: read melodies, train sequence models on them, and write back
music you can read and hear.

Importing the package imports neither TensorFlow nor music21; the modules that
need them import them when they are used.
"""

from nabi_music.version import __version__

__all__ = ["__version__"]
