"""Progress over training epochs for the ``nabi`` command (never used by library code)."""

from __future__ import annotations

import os
import shutil
import time
from typing import Any, TextIO

from nabi_music.cli.terminal import raw_stderr

PLAIN_EVERY = 5.0
"""Seconds between two plain progress lines (the first and last epochs always print)."""
MIN_BAR_WIDTH = 40
"""A terminal narrower than this gets plain lines instead of a bar."""


class EpochBar:
    """Progress over epochs on standard error: a tqdm bar on a terminal; plain lines
    (epoch, figures, time spent and left) when standard error goes to a file, a pipe or
    a terminal too narrow for a bar, at most one every :data:`PLAIN_EVERY` seconds, so
    that logs show the work going on; nothing when ``quiet``.

    The bar draws on the real standard error (it moves back with ``\\r``): its label is a
    preset's name and its figures are numbers, never text from a file.
    """

    def __init__(self, label: str, quiet: bool = False) -> None:
        self.label = label
        self.quiet = quiet
        self._bar: Any = None
        self._plain: bool | None = None
        self._start = time.monotonic()
        self._last = 0.0

    def update(self, done: int, total: int, **figures: str) -> None:
        if self.quiet:
            return
        if self._plain is None:
            self._plain = not _wide_terminal(raw_stderr())
        if self._plain:
            self._line(done, total, figures)
            return
        if self._bar is None:
            from tqdm import tqdm

            self._bar = tqdm(
                total=total,
                desc=f"{self.label:>16}",
                unit="epoch",
                file=raw_stderr(),
                leave=True,
                disable=None,
            )
        self._bar.update(done - self._bar.n)
        self._bar.set_postfix(figures, refresh=False)

    def _line(self, done: int, total: int, figures: dict[str, str]) -> None:
        now = time.monotonic()
        if done not in (1, total) and now - self._last < PLAIN_EVERY:
            return
        self._last = now
        spent = now - self._start
        left = spent / done * (total - done) if done else 0.0
        shown = "".join(f", {name} {value}" for name, value in figures.items())
        print(
            f"{self.label}: epoch {done}/{total}{shown}, {_clock(spent)} spent, "
            f"at most {_clock(left)} left",
            file=raw_stderr(),
            flush=True,
        )

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def _wide_terminal(stream: TextIO) -> bool:
    """``stream`` is a terminal wide enough for a bar."""
    try:
        if not stream.isatty():
            return False
    except (AttributeError, ValueError):
        return False
    wide = shutil.get_terminal_size((0, 0)).columns >= MIN_BAR_WIDTH
    return wide and os.environ.get("TERM") != "dumb"


def _clock(seconds: float) -> str:
    """``75.2`` -> ``1:15``; an hour or more as ``1:02:03``."""
    s = round(seconds)
    h, m = divmod(s // 60, 60)
    return f"{h}:{m:02d}:{s % 60:02d}" if h else f"{m}:{s % 60:02d}"
