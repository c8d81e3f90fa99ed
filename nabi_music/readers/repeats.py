"""Repeats played out, bar by bar, in time linear in what is heard.

A score's bars carry repeat signs: a forward repeat at the start of a bar, a backward
repeat at its end (with the number of passes it asks for), and volta endings (the
passes a bar is played on). :func:`play_order` gives the bars in the order a listener
hears them, after checking how many bars and notes that makes against the limits (so
a repeat of a billion passes is refused before anything is expanded).

The rules, as players read them (and music21's ``expandRepeats`` on ordinary scores):

- a section runs from the last forward repeat (or the end of the section before, or the
  first bar) to a backward repeat; if that bar is in an ending, the endings right after
  it belong to the section too;
- the section is played as many times as the backward repeat asks (2 by default), or
  as its highest ending number if that is more;
- on pass ``p`` the bars of an ending that does not name ``p`` are skipped; a pass that
  is not the last goes back at the first backward repeat it plays; a pass that plays
  none ends the section.

MusicXML and ABC readers build the :class:`Bar` list from their own syntax.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from nabi_music.readers import limits

DEFAULT_PASSES = 2


@dataclass(frozen=True)
class Bar:
    """The repeat signs of one bar.

    ``start``: a forward repeat at its start; ``end``: the passes its backward repeat asks
    for (0: no backward repeat); ``endings``: the passes this bar is played on, as a volta
    ending (empty: not in an ending); ``notes``: how many notes and rests it holds;
    ``number``: its measure number, to name it in messages.
    """

    start: bool = False
    end: int = 0
    endings: frozenset[int] = field(default_factory=frozenset)
    notes: int = 0
    number: int | None = None


@dataclass(frozen=True)
class _Section:
    first: int
    last: int  # the last bar of the section, its endings included
    passes: int


def has_repeats(bars: Sequence[Bar]) -> bool:
    """True if any bar carries a repeat sign or an ending."""
    return any(b.start or b.end or b.endings for b in bars)


def _sections(bars: Sequence[Bar]) -> list[_Section]:
    sections = []
    first = 0
    j = 0
    while j < len(bars):
        if bars[j].start:
            first = j
        if bars[j].end:
            last = j
            if bars[j].endings:
                while last + 1 < len(bars) and bars[last + 1].endings and not bars[last + 1].start:
                    last += 1
            numbers = [p for b in bars[first : last + 1] for p in b.endings]
            passes = max(bars[j].end, max(numbers, default=0))
            sections.append(_Section(first, last, passes))
            first = j = last + 1
            continue
        j += 1
    return sections


def _pass(bars: Sequence[Bar], section: _Section, p: int) -> tuple[list[int], bool]:
    """The bars of pass ``p`` of a section, and whether it goes back for another pass."""
    played = []
    final = p == section.passes
    for i in range(section.first, section.last + 1):
        bar = bars[i]
        if bar.endings and p not in bar.endings:
            continue
        played.append(i)
        if bar.end and not final:
            return played, True
    return played, False


def _count(bars: Sequence[Bar], section: _Section) -> tuple[int, int]:
    """(bars, notes) the section plays, without playing it out: passes that no ending
    names are all alike, so a run of them is counted once and multiplied."""
    named = sorted({p for b in bars[section.first : section.last + 1] for p in b.endings})
    total_bars = total_notes = 0
    p = 1
    while p <= section.passes:
        later = [q for q in named if q > p]
        alike = 1
        if p not in named and p != section.passes:  # p .. (next named or last) - 1 are alike
            alike = min([*later, section.passes]) - p
        played, again = _pass(bars, section, p)
        if not again:
            alike = 1
        total_bars += len(played) * alike
        total_notes += sum(bars[i].notes for i in played) * alike
        if not again:
            break
        p += alike
    return total_bars, total_notes


def play_order(bars: Sequence[Bar], where: str) -> list[int]:
    """The indices of ``bars`` in the order they are heard, repeats played out.

    Raises :class:`~nabi_music.errors.InputError` (``where`` names the file) when the bars
    or the notes heard would be over the limits; nothing is expanded before that check.
    """
    limit = limits.current()
    sections = _sections(bars)
    total_bars, total_notes = len(bars), sum(b.notes for b in bars)
    for section in sections:
        inside = bars[section.first : section.last + 1]
        played_bars, played_notes = _count(bars, section)
        total_bars += played_bars - len(inside)
        total_notes += played_notes - sum(b.notes for b in inside)
    if total_bars > limit.bars:
        raise limits.too_many(
            "bars once the repeats are played out", total_bars, limit.bars, "bars", where
        )
    if total_notes > limit.notes:
        raise limits.too_many(
            "notes once the repeats are played out", total_notes, limit.notes, "notes", where
        )
    order: list[int] = []
    i = 0
    for section in sections:
        order.extend(range(i, section.first))
        for p in range(1, section.passes + 1):
            played, again = _pass(bars, section, p)
            order.extend(played)
            if not again:
                break
        i = section.last + 1
    order.extend(range(i, len(bars)))
    return order
