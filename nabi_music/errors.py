"""The error tree of nabi_music: every failure a user can meet is one of these.

Each error carries a one-line message that says what went wrong, where, and
what was expected. ``exit_code`` is what the ``nabi`` command exits with:
2 for bad usage or input, 1 for other failures.
"""

from __future__ import annotations

import re


class NabiError(Exception):
    """Base of every error nabi_music raises on purpose."""

    exit_code = 1


class InputError(NabiError):
    """The user's input (a file, a path, an option value) cannot be used."""

    exit_code = 2


class ParseError(InputError):
    """Text that does not follow a grammar: names the source, line and column."""

    def __init__(
        self,
        message: str,
        source: str | None = None,
        line: int | None = None,
        col: int | None = None,
    ) -> None:
        self.source = source
        self.line = line
        self.col = col
        where = ""
        if source is not None:
            where = str(source)
            if line is not None:
                where += f":{line}"
                if col is not None:
                    where += f":{col}"
            where += ": "
        super().__init__(where + message)


class ModelError(NabiError):
    """A model or bundle cannot be built, trained, saved or loaded."""


class RenderError(NabiError):
    """An external program (LilyPond, a synthesiser) failed to render a file."""


class NabiWarning(UserWarning):
    """Something was read or done differently from what the input said (a
    chord reduced to its top note, a second part dropped ...)."""


# --- text from files, shown on a terminal -------------------------------------------

UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
"""What a terminal acts on instead of showing: C0 and C1 controls (``ESC``, ``CSI``,
``BEL`` ...), DEL, bidirectional marks and overrides (they reorder what follows), and
lone surrogates (they cannot be encoded)."""
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    ch = match.group()
    return _NAMED.get(ch) or (f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")


def printable(text: object, keep_newlines: bool = False) -> str:
    """``text`` with every character a terminal would act on written as an escape
    (``ESC`` as ``\\x1b``, U+202E as ``\\u202e``, a line break as ``\\n``); letters
    of every script (``나비야``) are kept.

    ``keep_newlines``: line breaks stay (for whole pages of output, not one line).
    """
    text = str(text)
    if keep_newlines:
        return "\n".join(UNSAFE.sub(_escape, line) for line in text.split("\n"))
    return UNSAFE.sub(_escape, text)


def shorten(text: object, limit: int = 40) -> str:
    """``text`` made printable and cut to about ``limit`` characters (``…`` marks the cut):
    for tokens from a file or the command line echoed in a message."""
    shown = printable(text)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"
