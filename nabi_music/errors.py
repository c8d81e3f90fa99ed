"""The error tree of nabi_music: every failure a user can meet is one of these.

Each error carries a one-line message that says what went wrong, where, and
what was expected. ``exit_code`` is what the ``nabi`` command exits with:
2 for bad usage or input, 1 for other failures.
"""

from __future__ import annotations


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
