"""Helpers the readers share: reading text, describing third-party errors, checks."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from nabi_music.errors import InputError
from nabi_music.music.notes import Melody
from nabi_music.readers import limits

MAX_ERROR_DETAIL = 160


_PLAIN_WORDS: tuple[tuple[type[BaseException], str], ...] = (
    (EOFError, "the data ends early"),
    (UnicodeDecodeError, "bytes that are not UTF-8 text"),
    (OverflowError, "a number too large"),
    (RecursionError, "nested too deeply"),
    (MemoryError, "too large to hold in memory"),
    (ZeroDivisionError, "a zero where a divisor was expected"),
)


def describe(err: BaseException) -> str:
    """A third-party error as a few plain words: the first line of its message (without
    Python's exception names, which mean nothing to a musician), or what it means."""
    for kind, words in _PLAIN_WORDS:
        if isinstance(err, kind):
            return words
    lines = str(err).strip().splitlines()
    text = lines[0].strip() if lines else ""
    if len(text) > MAX_ERROR_DETAIL:
        text = text[: MAX_ERROR_DETAIL - 3] + "..."
    return text or "unreadable data"


def read_text(path: Path, source: str) -> str:
    """The file as UTF-8 text, or an :class:`InputError` saying why not; a file larger
    than the ``file_mb`` limit is refused before it is read."""
    limit = limits.current().file_bytes
    try:
        size = path.stat().st_size
        if size <= limit:
            with path.open("rb") as f:
                data = f.read(limit + 1)  # the file may have grown since
            size = max(size, len(data))
    except OSError as err:
        raise InputError(f"{source}: cannot read the file ({describe(err)})") from err
    if size > limit:
        raise limits.too_many("bytes in the file", size, limit, "file_mb", source)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise InputError(
            f"{source}: not UTF-8 text (byte {err.start + 1} is {data[err.start]:#04x}); "
            "expected a text file in UTF-8"
        ) from err
    if "\x00" in text:
        raise InputError(f"{source}: binary data (a NUL byte); expected a text file in UTF-8")
    return text


def has_pitched_note(melody: Melody) -> bool:
    return any(not note.is_rest for note in melody.notes)


@dataclass(frozen=True)
class Skipped:
    """A tune of a file that was not read, and why (``title`` names it in the file)."""

    title: str
    reason: str


def keep_if_pitched(
    melody: Melody, title: str, melodies: list[Melody], skipped: list[Skipped]
) -> None:
    """A tune with a pitched note joins ``melodies``; one of rests only is skipped."""
    if has_pitched_note(melody):
        melodies.append(melody)
    else:
        skipped.append(Skipped(melody.title or title, "no notes, only rests"))


@dataclass(frozen=True)
class ReadOptions:
    """How to read a score.

    ``part``: which part (staff) to read: a 1-based number or a part name; ``None`` reads
    the first part that holds notes. ``repeats``: play repeats out as a listener hears
    them (``True``) or keep the written order (``False``).
    """

    part: int | str | None = None
    repeats: bool = True


#: What every reader returns: the melodies read, and the tunes skipped with their reasons.
Report = tuple[list[Melody], list[Skipped]]


def format_measures(numbers: Iterable[int | None]) -> str:
    """``measures 1-3, 7`` for a set of measure numbers (``""`` when none is known)."""
    nums = sorted({n for n in numbers if n is not None})
    if not nums:
        return ""
    runs: list[list[int]] = []
    for n in nums:
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    shown = [f"{r[0]}" if len(r) == 1 else f"{r[0]}-{r[-1]}" for r in runs[:8]]
    more = ", ..." if len(runs) > 8 else ""
    word = "measure" if len(nums) == 1 else "measures"
    return f"{word} {', '.join(shown)}{more}"


def in_measures(numbers: Iterable[int | None]) -> str:
    """`` in measures 1-3`` or ``""``: to append to a warning."""
    text = format_measures(numbers)
    return f" in {text}" if text else ""
