"""Writers: a Melody out to MIDI, LilyPond and MusicXML files, one module per format.

:func:`write` picks the writer from the file extension. pretty_midi and music21 are
imported only when a MIDI or MusicXML file is written.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nabi_music.errors import InputError
from nabi_music.music.notes import Melody
from nabi_music.writers.lilypond import lilypond_source, write_lilypond
from nabi_music.writers.midi import write_midi
from nabi_music.writers.musicxml import write_musicxml

WRITERS: dict[str, Callable[..., Path]] = {
    ".mid": write_midi,
    ".midi": write_midi,
    ".ly": write_lilypond,
    ".musicxml": write_musicxml,
    ".xml": write_musicxml,
}


def write(melody: Melody, path: str | os.PathLike[str], **options: Any) -> Path:
    """Write ``melody`` to ``path`` in the format its extension names.

    ``options`` go to the writer (for ``.ly``: ``wrong``, ``title``, ``primer`` ...).
    """
    suffix = Path(path).suffix.lower()
    writer = WRITERS.get(suffix)
    if writer is None:
        raise InputError(
            f"cannot write {os.fspath(path)!r}: unknown extension {suffix or '(none)'!r}, "
            f"expected one of {', '.join(sorted(WRITERS))}"
        )
    return writer(melody, path, **options)


__all__ = ["WRITERS", "lilypond_source", "write", "write_lilypond", "write_midi", "write_musicxml"]
