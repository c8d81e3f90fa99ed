"""What a score file holds, in figures: melodies read and skipped, notes, codes, range.

``nabi inspect --summary PATH`` prints :func:`format_summary` of :func:`summarize`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from nabi_music.music.notes import Melody, Note, Pitch, format_code
from nabi_music.readers._common import Skipped


@dataclass(frozen=True)
class ReadSummary:
    """Figures of one read: counts, the skipped tunes with reasons, the pitch range."""

    melodies: int
    skipped: tuple[Skipped, ...]
    notes: int
    rests: int
    distinct_codes: int
    lowest: Pitch | None
    highest: Pitch | None
    with_warnings: int
    most_common: tuple[tuple[str, int], ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "melodies": self.melodies,
            "skipped": [{"title": s.title, "reason": s.reason} for s in self.skipped],
            "notes": self.notes,
            "rests": self.rests,
            "distinct_codes": self.distinct_codes,
            "lowest": None if self.lowest is None else self.lowest.name,
            "highest": None if self.highest is None else self.highest.name,
            "melodies_with_warnings": self.with_warnings,
            "most_common_codes": [list(pair) for pair in self.most_common],
        }


def summarize(melodies: Sequence[Melody], skipped: Sequence[Skipped] = ()) -> ReadSummary:
    """The figures of melodies read (and tunes skipped) from one source."""
    codes: Counter[str] = Counter()
    pitched = []
    rests = 0
    for m in melodies:
        for n in m.notes:
            codes[format_code(n)] += 1
            if n.pitch is None:
                rests += 1
            else:
                pitched.append(n.pitch)
    return ReadSummary(
        melodies=len(melodies),
        skipped=tuple(skipped),
        notes=sum(len(m.notes) for m in melodies),
        rests=rests,
        distinct_codes=len(codes),
        lowest=min(pitched, key=lambda p: (p.midi, p)) if pitched else None,
        highest=max(pitched, key=lambda p: (p.midi, p)) if pitched else None,
        with_warnings=sum(1 for m in melodies if m.warnings),
        most_common=tuple(codes.most_common(8)),
    )


def _pitch_text(p: Pitch | None) -> str:
    if p is None:
        return "-"
    return f"{p.name} ({format_code_pitch(p)})"


def format_code_pitch(p: Pitch) -> str:
    """The pitch part of a note code (``fis'``)."""
    return format_code(Note(p, Fraction(1)))[:-1]


def format_summary(source: str, summary: ReadSummary) -> list[str]:
    """The summary as lines of text."""
    lines = [
        f"source:          {source}",
        f"melodies read:   {summary.melodies}",
        f"skipped:         {len(summary.skipped)}",
    ]
    reasons = Counter(s.reason for s in summary.skipped)
    for reason, count in reasons.most_common():
        titles = [s.title for s in summary.skipped if s.reason == reason]
        shown = ", ".join(titles[:5]) + (", ..." if len(titles) > 5 else "")
        lines.append(f"  {count} x {reason}: {shown}")
    lines += [
        f"notes:           {summary.notes} ({summary.rests} of them rests)",
        f"distinct codes:  {summary.distinct_codes}",
        f"pitch range:     {_pitch_text(summary.lowest)} to {_pitch_text(summary.highest)}",
        f"with warnings:   {summary.with_warnings} melodies (chords, voices, parts dropped ...)",
        "most common:     " + " ".join(f"{c}×{n}" for c, n in summary.most_common),
    ]
    return lines
