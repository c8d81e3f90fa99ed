"""What ``nabi`` does to the terminal: everything it prints is text (control characters
from files escaped), messages are one short line, and SIGTERM ends the command with
the one line ``nabi: terminated``.

Titles, part names, lyrics and codes come from files, and a file can hold
``ESC ] 0 ; ... BEL`` (sets the terminal's title) or ``ESC [ 2 J`` (clears the
screen). :func:`safe_output` wraps standard output and standard error for the
duration of a command, so that whatever is printed, by whichever ``print``, shows
such characters as escapes (:func:`nabi_music.errors.printable`); progress bars
write to the real stream (:func:`raw_stderr`), and only figures and preset names.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any, TextIO

from nabi_music.errors import UNSAFE, printable

MAX_TOKEN = 160
"""Characters of one word (a path, a value) shown in a message; longer ones are cut."""
MAX_LINE = 2000
"""Characters of one message line."""

_LONG_WORD = re.compile(rf"\S{{{MAX_TOKEN + 1},}}")


class SafeStream:
    """A text stream that writes ``text`` with control characters escaped (line
    breaks kept) to the stream it wraps; everything else is the wrapped stream's."""

    def __init__(self, stream: TextIO) -> None:
        self.raw = stream

    def write(self, text: str) -> int:
        self.raw.write(printable(text, keep_newlines=True))
        return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.raw, name)


@contextmanager
def safe_output() -> Iterator[None]:
    """Standard output and error as :class:`SafeStream` inside the ``with`` block."""
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = SafeStream(saved[0]), SafeStream(saved[1])
    try:
        yield
    finally:
        for stream in (sys.stdout, sys.stderr):
            with suppress(OSError, ValueError):
                stream.flush()
        sys.stdout, sys.stderr = saved


def quiet_stdout() -> None:
    """Send the rest of standard output nowhere (its reader is gone: a closed pipe), so
    that Python's last flush at exit does not fail again."""
    with suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.__stdout__.fileno())
        os.close(devnull)


def raw_stderr() -> TextIO:
    """The real standard error (for progress bars, which draw with ``\\r``)."""
    stream = sys.stderr
    return stream.raw if isinstance(stream, SafeStream) else stream


def one_line(message: str) -> str:
    """``message`` as one printable line: control characters and line breaks escaped,
    each word longer than :data:`MAX_TOKEN` characters cut, the whole at most
    :data:`MAX_LINE`."""
    line = _LONG_WORD.sub(lambda m: m.group()[: MAX_TOKEN - 1] + "…", printable(message))
    return line if len(line) <= MAX_LINE else line[: MAX_LINE - 1] + "…"


def json_text(data: Any, indent: int | None = 1) -> str:
    """``data`` as JSON text (letters of every script as they are) in which every
    character a terminal acts on is a ``\\uXXXX`` escape: valid JSON that reads back
    the same, and shows as text."""
    lines = json.dumps(data, ensure_ascii=False, indent=indent).split("\n")  # indent's own
    return "\n".join(UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", line) for line in lines)


def err(message: str) -> None:
    """Print ``nabi: message`` on standard error, as one short printable line."""
    print(f"nabi: {one_line(message)}", file=sys.stderr, flush=True)


# --- SIGTERM ---------------------------------------------------------------------


class Terminated(BaseException):
    """The process was asked to stop (SIGTERM), as ``timeout``, CI runners and process
    managers ask: raised so that every ``finally`` runs (LilyPond's process group is
    stopped, temporary files go) before ``nabi`` exits."""


TERMINATED = 128 + signal.SIGTERM
"""The exit code after SIGTERM (143), as a shell reports a process it stopped."""


class Stop:
    """SIGTERM during one command: the first raises :class:`Terminated` in the main
    thread (and is remembered in :attr:`asked`, which worker threads poll); once the
    command is ending (:attr:`ending`) further signals are only remembered.

    A signal can land anywhere: in a library's ``except`` or ``finally``, while a
    generator or an object is finalised (Python then only reports the exception
    as "ignored"), or after the command returned. :meth:`unraisable` catches the
    "ignored" case and asks again, so that the command still stops; the caller
    checks :attr:`asked` at the end, whatever happened on the way.
    """

    def __init__(self) -> None:
        self.asked = threading.Event()
        self.ending = False

    def handler(self, signum: int, frame: object) -> None:
        self.asked.set()
        if not self.ending:
            raise Terminated

    def check(self) -> None:
        """Raise :class:`Terminated` when SIGTERM was received (for worker threads)."""
        if self.asked.is_set():
            raise Terminated

    @contextmanager
    def installed(self) -> Iterator[None]:
        """The handler and the hook in force inside the ``with`` block (main thread only)."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = signal.signal(signal.SIGTERM, self.handler)
        hook = sys.unraisablehook

        def unraisable(info: Any) -> None:
            if isinstance(info.exc_value, Terminated):
                if not self.ending:  # ask again in a moment, to land where it stops nabi
                    again = threading.Timer(0.05, os.kill, (os.getpid(), signal.SIGTERM))
                    again.daemon = True
                    again.start()
                return
            hook(info)

        sys.unraisablehook = unraisable
        try:
            yield
        finally:
            while True:  # a signal landing here is remembered in ``asked``; go on undoing
                try:
                    self.ending = True
                    sys.unraisablehook = hook
                    signal.signal(signal.SIGTERM, previous)
                    break
                except Terminated:
                    continue


def shown_path(path: str | os.PathLike[str]) -> str:
    """A path as a user reads it in a list of files: relative to the current folder when
    it lies under it, else as it is."""
    text = os.fspath(path)
    try:
        relative = os.path.relpath(os.path.abspath(text))
    except ValueError:  # another drive
        return text
    return text if relative.startswith("..") else relative
