"""Read melodies from score files: ``read(path) -> list[Melody]``.

One registry maps a file extension to its reader; ``corpus:PATH`` reads a file of
the music21 corpus. Every reader returns a list (one melody per tune) and raises
only nabi_music errors. Conversions that lose something (a chord reduced to its
top note, a second part dropped) are warned about with :class:`NabiWarning` and
recorded in ``Melody.warnings``. music21 and python-ly are imported on first use.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from pathlib import Path

from nabi_music.errors import InputError, NabiWarning
from nabi_music.notes import Melody
from nabi_music.readers._common import describe
from nabi_music.readers.codes import read_codes
from nabi_music.readers.lilypond import read_lilypond
from nabi_music.readers.music21_bridge import FILE_FORMATS, read_corpus, read_music21_file

__all__ = ["CORPUS_PREFIX", "READERS", "read"]

Reader = Callable[[Path, str], list[Melody]]

#: File extension (lower case) -> reader taking ``(path, source)``.
READERS: dict[str, Reader] = {
    ".ly": read_lilypond,
    **dict.fromkeys(FILE_FORMATS, read_music21_file),
    ".txt": read_codes,
}

CORPUS_PREFIX = "corpus:"


def _expected() -> str:
    return f"expected one of {' '.join(READERS)} or {CORPUS_PREFIX}PATH"


def read(path: str | os.PathLike[str]) -> list[Melody]:
    """Read every melody of a score file, or of ``corpus:PATH`` from the music21 corpus.

    Parameters
    ----------
    path
        A ``.ly .musicxml .xml .mxl .mid .midi .abc .txt`` file, or ``corpus:PATH``
        such as ``corpus:bach/bwv66.6``.

    Returns
    -------
    list[Melody]
        One melody per tune, each the top line of the tune's first part; never empty.

    Raises
    ------
    InputError
        The file is missing, unreadable, of an unknown kind, empty, not a valid score,
        or holds no notes. :class:`ParseError` (a subclass) for an invalid note code.
    """
    source = os.fspath(path)
    if not isinstance(source, str):
        raise TypeError(f"read() expects a str or os.PathLike path, got {type(path).__name__}")
    if source.startswith(CORPUS_PREFIX):
        melodies = read_corpus(source[len(CORPUS_PREFIX) :], source)
    else:
        melodies = _read_file(Path(source), source)
    for melody in melodies:
        for message in melody.warnings:
            warnings.warn(message, NabiWarning, stacklevel=2)
    return melodies


def _read_file(file: Path, source: str) -> list[Melody]:
    try:
        if not file.exists():
            raise InputError(f"{source}: no such file; expected a path to a score file")
        if file.is_dir():
            raise InputError(f"{source}: is a directory; expected a score file")
        if not file.is_file():
            raise InputError(f"{source}: not a regular file; expected a score file")
        suffix = file.suffix.lower()
        reader = READERS.get(suffix)
        if reader is None:
            found = f"'{file.suffix}'" if file.suffix else "none"
            raise InputError(f"{source}: unknown file extension {found}; {_expected()}")
        if file.stat().st_size == 0:
            raise InputError(f"{source}: empty file; expected a score")
        with file.open("rb"):
            pass  # a permission error here reads better than one from inside music21
    except OSError as err:
        raise InputError(f"{source}: cannot read the file ({describe(err)})") from err
    return reader(file, source)
