"""Reader for ``.txt`` files of note codes separated by white space (``g8 e8 e4 |``)."""

from __future__ import annotations

from pathlib import Path

from nabi_music.music.notes import Melody, parse_codes
from nabi_music.readers._common import ReadOptions, Report, Skipped, has_pitched_note, read_text


def read_codes(path: Path, source: str, options: ReadOptions | None = None) -> Report:
    """One melody from a file of note codes; bar lines ``|`` and ``%``/``#`` comments allowed.

    An invalid code raises :class:`~nabi_music.errors.ParseError` with the file, line and
    column. ``options`` do not apply (one part, no repeats). The title is the file's stem;
    the file says nothing about key, metre or tempo.
    """
    text = read_text(path, source)
    notes = parse_codes(text, source=source)
    melody = Melody(notes=tuple(notes), title=path.stem, source=source)
    if not has_pitched_note(melody):
        return [], [Skipped(path.stem, "no note codes, only rests, comments or bar lines")]
    return [melody], []
