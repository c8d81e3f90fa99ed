"""Compare a predicted melody with the real one, note by note (the tutorial's verdict)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Comparison:
    """Predicted codes (primer included) against the expected ones."""

    predicted: tuple[str, ...]
    expected: tuple[str, ...]
    primer: int

    @property
    def wrong(self) -> dict[int, str]:
        """Index in ``predicted`` -> the expected code, for each wrong prediction."""
        return {
            i: e
            for i, (p, e) in enumerate(zip(self.predicted, self.expected, strict=True))
            if i >= self.primer and p != e
        }

    @property
    def scored(self) -> int:
        return len(self.predicted) - self.primer

    @property
    def accuracy(self) -> float:
        return 1.0 - len(self.wrong) / self.scored if self.scored else 1.0

    def describe(self) -> str:
        """The tutorial's line: ``4 of 50 wrong — 92%``."""
        return f"{len(self.wrong)} of {self.scored} wrong — {self.accuracy:.0%}"


def compare(predicted: Sequence[str], expected: Sequence[str], primer: int) -> Comparison:
    if len(predicted) != len(expected):
        raise ValueError(f"{len(predicted)} predicted codes against {len(expected)} expected")
    return Comparison(tuple(predicted), tuple(expected), primer)
