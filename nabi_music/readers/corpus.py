"""Reader of ``corpus:PATH``: a file of the music21 corpus, read by the reader of its
format.

music21 finds the file (``bach/bwv66.6`` is ``bach/bwv66.6.mxl``; of several matches,
the first, as music21's ``corpus.parse`` takes it); an ABC, MusicXML or MIDI file is then
read by nabi_music's reader of that format, as the same file on disk would be (its
title, header fields and upbeat included), and a file of another format (Humdrum,
RomanText ...) by music21's parser through :mod:`nabi_music.readers.music21_bridge`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from nabi_music import backend
from nabi_music.errors import InputError
from nabi_music.readers._common import ReadOptions, Report, describe
from nabi_music.readers.abc import read_abc
from nabi_music.readers.midi import read_midi
from nabi_music.readers.music21_bridge import read_with_music21
from nabi_music.readers.musicxml import read_musicxml

#: The corpus formats nabi_music reads itself, by extension.
FORMATS: dict[str, Callable[[Path, str, ReadOptions], Report]] = {
    ".abc": read_abc,
    ".mxl": read_musicxml,
    ".musicxml": read_musicxml,
    ".xml": read_musicxml,
    ".mid": read_midi,
    ".midi": read_midi,
}
_EXPECTED = "expected a corpus path such as corpus:bach/bwv66.6 or corpus:essenFolksong/kinder0.abc"


def read_corpus(name: str, source: str, options: ReadOptions | None = None) -> Report:
    """Every tune of a music21 corpus file, e.g. ``bach/bwv66.6``."""
    corpus = backend.music21("corpus")
    CorpusException = backend.music21("exceptions21").CorpusException

    options = options or ReadOptions()
    if not name.strip():
        raise InputError(
            f"{source}: no corpus path; expected corpus:PATH, e.g. corpus:bach/bwv66.6"
        )
    try:
        found = corpus.getWork(name)
    except CorpusException as err:
        raise InputError(f"{source}: no such work in the music21 corpus; {_EXPECTED}") from err
    except Exception as err:
        raise InputError(
            f"{source}: cannot read from the music21 corpus ({describe(err)}); {_EXPECTED}"
        ) from err
    if isinstance(found, list):
        if not found:
            raise InputError(f"{source}: no such work in the music21 corpus; {_EXPECTED}")
        found = found[0]
    path = Path(str(found))
    reader = FORMATS.get(path.suffix.lower(), read_with_music21)
    return reader(path, source, options)
