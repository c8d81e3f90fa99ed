"""Read melodies from score files: ``read(path) -> list[Melody]``.

One registry maps a file extension to its reader; ``corpus:PATH`` reads a file of
the music21 corpus. Every reader returns the melodies it read (one per tune) and
the tunes it skipped with their reasons, and raises only nabi_music errors.
Conversions that lose something (a chord reduced to its top note, a second part
dropped) are warned about with :class:`NabiWarning`, saying where (measure
numbers), and recorded in ``Melody.warnings``. music21 and python-ly are imported
on first use. Every format is read in time and memory linear in the file: MIDI by a
reader of its own (music21's MIDI import is quadratic), ABC by music21's tokenizer and
a conversion of its own (:mod:`~nabi_music.readers.abc`), MusicXML by music21 with its
bars inserted in linear time (:mod:`~nabi_music.readers.musicxml`). A file over the
``file_mb`` limit is refused before any reader opens it; each reader checks the
numbers a file holds against :mod:`~nabi_music.readers.limits` before expanding them.

Options (:class:`ReadOptions`): ``part`` chooses the part (staff) to read, by
1-based number or name (default: the first part with notes, its top voice);
``repeats=False`` keeps the written order instead of playing repeats out.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from pathlib import Path

from nabi_music.errors import InputError, NabiError, NabiWarning
from nabi_music.music.notes import Melody
from nabi_music.readers import limits
from nabi_music.readers._common import ReadOptions, Report, Skipped, describe
from nabi_music.readers.abc import read_abc
from nabi_music.readers.codes import read_codes
from nabi_music.readers.corpus import read_corpus
from nabi_music.readers.lilypond import read_lilypond
from nabi_music.readers.midi import read_midi
from nabi_music.readers.musicxml import read_musicxml

__all__ = ["CORPUS_PREFIX", "READERS", "ReadOptions", "Skipped", "read", "read_report"]

Reader = Callable[[Path, str, ReadOptions], Report]

#: File extension (lower case) -> reader taking ``(path, source, options)``.
READERS: dict[str, Reader] = {
    ".ly": read_lilypond,
    ".musicxml": read_musicxml,
    ".xml": read_musicxml,
    ".mxl": read_musicxml,
    ".mid": read_midi,
    ".midi": read_midi,
    ".abc": read_abc,
    ".txt": read_codes,
}

CORPUS_PREFIX = "corpus:"


def _expected() -> str:
    return f"expected one of {' '.join(READERS)} or {CORPUS_PREFIX}PATH"


def read_report(
    path: str | os.PathLike[str], *, part: int | str | None = None, repeats: bool = True
) -> Report:
    """Read every tune of a score file (or ``corpus:PATH``) and report the ones skipped.

    Returns ``(melodies, skipped)``: the melodies read, one per tune, and a
    :class:`Skipped` (title, reason) for each tune that holds no notes or could not
    be converted. ``melodies`` may be empty. Warnings are not issued here: they are in
    each ``Melody.warnings``. Raises :class:`InputError` when the file as a whole cannot
    be read (missing, unknown kind, empty, not a valid score, no such part).
    """
    source = os.fspath(path)
    if not isinstance(source, str):
        raise TypeError(f"read() expects a str or os.PathLike path, got {type(path).__name__}")
    options = ReadOptions(part=part, repeats=repeats)
    if source.startswith(CORPUS_PREFIX):
        return read_corpus(source[len(CORPUS_PREFIX) :], source, options)
    return _read_file(Path(source), source, options)


def read(
    path: str | os.PathLike[str], *, part: int | str | None = None, repeats: bool = True
) -> list[Melody]:
    """Read every melody of a score file, or of ``corpus:PATH`` from the music21 corpus.

    Parameters
    ----------
    path
        A ``.ly .musicxml .xml .mxl .mid .midi .abc .txt`` file, or ``corpus:PATH``
        such as ``corpus:bach/bwv66.6``.
    part
        The part to read: a 1-based number or a part name (default: the first part
        that holds notes). Each melody is that part's top voice.
    repeats
        Play repeats out in the order a listener hears them (default), or keep the
        written order (``False``).

    Returns
    -------
    list[Melody]
        One melody per tune; never empty. Tunes skipped (no notes, cannot be converted)
        and every loss (chords, grace notes, dropped voices and parts) are warned about
        with :class:`NabiWarning`.

    Raises
    ------
    InputError
        The file is missing, unreadable, of an unknown kind, empty, not a valid score,
        or holds no notes. :class:`ParseError` (a subclass) for an invalid note code or
        LilyPond syntax error, with line and column.
    """
    source = os.fspath(path)
    melodies, skipped = read_report(path, part=part, repeats=repeats)
    if not melodies:
        reasons = "; ".join(dict.fromkeys(s.reason for s in skipped))
        extra = f" ({reasons})" if reasons else ""
        raise InputError(
            f"{source}: no notes found{extra}; expected a score with at least one note"
        )
    for melody in melodies:
        for message in melody.warnings:
            warnings.warn(message, NabiWarning, stacklevel=2)
    for s in skipped:
        warnings.warn(f"{source}: skipped {s.title}: {s.reason}", NabiWarning, stacklevel=2)
    return melodies


def _read_file(file: Path, source: str, options: ReadOptions) -> Report:
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
        size = file.stat().st_size
        if size == 0:
            raise InputError(f"{source}: empty file; expected a score")
        limit = limits.current().file_bytes
        if size > limit:  # before any reader opens it
            raise limits.too_many("bytes in the file", size, limit, "file_mb", source)
        with file.open("rb"):
            pass  # a permission error here reads better than one from inside music21
    except OSError as err:
        raise InputError(f"{source}: cannot read the file ({describe(err)})") from err
    try:
        return reader(file, source, options)
    except NabiError:
        raise
    except Exception as err:  # a third-party failure the reader did not foresee: one line
        raise InputError(f"{source}: cannot read the file ({describe(err)})") from err
