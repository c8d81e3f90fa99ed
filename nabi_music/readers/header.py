"""The header fields a score names besides its title (``Melody.header``), made safe.

Every reader gives the fields it finds as ``(name, value)`` pairs, named as LilyPond
names them (``subtitle``, ``composer``, ``poet``, ``arranger``, ``opus``, ``copyright``
...) or, for a field LilyPond has no name for, by a lower-case name of its own
(``origin``, ``source``, ``transcription``); :func:`header_fields` makes them safe
before they reach a :class:`~nabi_music.music.notes.Melody`. Header values come from
hostile files too: each is plain text with its control characters and bidirectional
overrides removed and its white space collapsed, cut to :data:`MAX_VALUE_CHARS`; a name
is a short lower-case word (:data:`NAME`); a melody keeps at most
:data:`MAX_FIELDS` fields. The writers escape the values as their format needs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from nabi_music.errors import UNSAFE

MAX_VALUE_CHARS = 500
"""The longest header value kept, in characters (a longer one is cut, ``…`` marks it)."""
MAX_FIELDS = 64
"""The most header fields one melody keeps (the first ones, in the file's order)."""
NAME = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
"""A header field's name: a lower-case word, hyphens between its parts (``subtitle``,
``movement-number``), at most :data:`MAX_NAME_CHARS` characters."""
MAX_NAME_CHARS = 32
EXCLUDED = frozenset({"title", "tagline"})
"""Fields that are not header fields of a melody: the title is ``Melody.title``; a
tagline is the engraver's, not the music's."""
Header = tuple[tuple[str, str], ...]

_SPACE = re.compile(r"\s+")


def clean_text(value: object, limit: int = MAX_VALUE_CHARS) -> str:
    """``value`` as one line of plain text: line breaks and other white space as one
    space, control characters and bidirectional marks removed, cut to ``limit``
    characters."""
    text = _SPACE.sub(" ", str(value))
    text = UNSAFE.sub("", text).strip()
    text = _SPACE.sub(" ", text)
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def field_name(name: object) -> str | None:
    """A field's name as a header name (lower case), or None when it is not one."""
    text = str(name).strip().lower()
    if len(text) > MAX_NAME_CHARS or NAME.fullmatch(text) is None:
        return None
    return text


def header_fields(pairs: Iterable[tuple[object, object]]) -> tuple[Header, int]:
    """Safe header fields from ``(name, value)`` pairs, in order, and how many more the
    :data:`MAX_FIELDS` limit dropped.

    A name that is no header name (:data:`NAME`), the title and the tagline, and an empty
    value are left out; of a name given twice, the first value is kept."""
    out: dict[str, str] = {}
    dropped = 0
    for raw_name, raw_value in pairs:
        name = field_name(raw_name)
        if name is None or name in EXCLUDED or name in out:
            continue
        value = clean_text(raw_value)
        if not value:
            continue
        if len(out) >= MAX_FIELDS:
            dropped += 1
            continue
        out[name] = value
    return tuple(out.items()), dropped


def dropped_message(dropped: int) -> str:
    """The warning for header fields over :data:`MAX_FIELDS`."""
    return (
        f"kept the first {MAX_FIELDS} header fields and dropped {dropped} more "
        f"(at most {MAX_FIELDS} are kept)"
    )


def merge(*headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Fields of several headers, outermost first: a later header's value wins, in the
    place the field first took."""
    out: dict[str, str] = {}
    for header in headers:
        for name, value in header:
            out[name] = value
    return list(out.items())
