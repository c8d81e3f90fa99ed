"""nabi_music: read melodies, train sequence models on them, and write back
music you can read and hear.

Importing the package imports neither TensorFlow nor music21; the modules that
need them import them when they are used.
"""

__version__ = "0.1.0"
