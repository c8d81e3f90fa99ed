"""A progress bar over training epochs for the ``nabi`` command (never used by library code)."""

from __future__ import annotations

from typing import Any

from nabi_music.cli.terminal import raw_stderr


class EpochBar:
    """A tqdm bar over epochs, opened at the first update.

    There is no bar when standard error is not a terminal (logs stay clean). It draws
    on the real standard error (it moves back with ``\\r``): its label is a preset's
    name and its figures are numbers, never text from a file.
    """

    def __init__(self, label: str) -> None:
        self.label = label
        self._bar: Any = None

    def update(self, done: int, total: int, **figures: str) -> None:
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

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
