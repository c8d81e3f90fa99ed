"""Music-aware constraints applied while sampling, without retraining.

At every step of generation a boolean mask over the model's vocabulary says
which codes may come next; the sampler renormalises the model's distribution
over the codes the mask allows. The constraints are:

- a **scale** (``D major``, ``a minor``, ``E dorian``, ``G major-pentatonic`` ...):
  every generated pitch has a pitch class of the scale (rests always pass);
- a **pitch range** (``c,..c''``, ``C3..C6`` or MIDI numbers ``48..84``);
- **whole bars**: no note crosses a bar line (unless ties are allowed: the note
  is then written as tied notes split at the bar line) and the melody ends on a
  bar line, so every bar adds up to the time signature;
- an **ending on the tonic**: the last note is a pitched, untied note whose
  pitch class is the tonic and whose duration completes the melody;
- **no syncopation** (with whole bars): no pitched note that starts off the beat
  sounds on over the next beat (the beat of the metre: a quarter in 2/4, a dotted
  quarter in 6/8).

The whole-bars and tonic constraints look ahead: a :class:`Plan` computes, by
dynamic programming over (notes left, position in the bar) or (time left),
which states can still be finished, and masks every code that would lead to a
dead end. So generation never gets stuck, and constraints that cannot all hold
are reported before anything is generated, naming the ones that conflict.

Every code of a vocabulary is a valid note code, so every generated note can
be written by every writer; notes split at bar lines are split into plain or
dotted values (:func:`nabi_music.music.notes.split_duration`).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from fractions import Fraction

import numpy as np

from nabi_music.data.encoding import Vocabulary
from nabi_music.errors import InputError
from nabi_music.music.keys import Scale
from nabi_music.music.notes import Note, parse_code
from nabi_music.music.ranges import PitchRange

# --- the constraints and their plan ----------------------------------------------


@dataclass(frozen=True)
class Constraints:
    """What generated notes must respect (everything off by default).

    ``bar``: the bar length in quarters, needed by ``whole_bars``; ``ties``:
    a note may cross a bar line (it is then written as tied notes);
    ``tonic``: the scale whose tonic ends the melody, needed by ``end_on_tonic``.
    """

    scale: Scale | None = None
    pitch_range: PitchRange | None = None
    whole_bars: bool = False
    bar: Fraction | None = None
    ties: bool = False
    end_on_tonic: bool = False
    tonic: Scale | None = None
    metre: str | None = None
    """The time signature's text, for messages (``3/4``)."""
    no_syncopation: bool = False
    beat: Fraction | None = None
    """The beat in quarters, needed by ``no_syncopation``."""

    def __post_init__(self) -> None:
        if self.no_syncopation and (not self.whole_bars or self.beat is None or self.beat <= 0):
            raise InputError(
                "no syncopation needs whole bars of a time signature: give one with "
                "--time-signature"
            )
        if self.whole_bars and (self.bar is None or self.bar <= 0):
            raise InputError("whole bars need a time signature: give one with --time-signature")
        if self.end_on_tonic and self.tonic is None:
            raise InputError("an ending on the tonic needs a key: give one with --key")

    @property
    def active(self) -> bool:
        return bool(
            self.scale
            or self.pitch_range
            or self.whole_bars
            or self.end_on_tonic
            or self.no_syncopation
        )

    def describe(self) -> list[str]:
        """One phrase per active constraint, for messages and reports."""
        out = []
        if self.scale is not None:
            out.append(f"key {self.scale}")
        if self.pitch_range is not None:
            out.append(f"range {self.pitch_range}")
        if self.whole_bars:
            bars = f"whole bars of {self.metre or _quarters(self.bar)}"
            out.append(bars + (" (ties across bar lines allowed)" if self.ties else ""))
        if self.end_on_tonic:
            assert self.tonic is not None
            out.append(f"ending on the tonic {self.tonic.tonic_name}")
        if self.no_syncopation:
            out.append(f"no syncopation (beats of {_quarters(self.beat)})")
        return out

    def without(self, names: Sequence[str]) -> Constraints:
        """A copy with the named constraints (``key range bars tonic``) switched off."""
        c = self
        if "key" in names:
            c = _replace(c, scale=None)
        if "range" in names:
            c = _replace(c, pitch_range=None)
        if "bars" in names:
            c = _replace(c, whole_bars=False)
        if "tonic" in names:
            c = _replace(c, end_on_tonic=False)
        if "syncopation" in names:
            c = _replace(c, no_syncopation=False)
        return c


def _replace(c: Constraints, **changes: object) -> Constraints:
    return replace(c, **changes)  # type: ignore[arg-type]


def _quarters(length: Fraction | None) -> str:
    if length is None:
        return "?"
    return f"{length} quarter{'s' if length != 1 else ''}"


@dataclass(frozen=True)
class Length:
    """How long to generate: ``notes`` new notes, or until time ``end`` (quarters from
    the start of the melody, primer included): exactly one of them."""

    notes: int | None = None
    end: Fraction | None = None

    def __post_init__(self) -> None:
        if (self.notes is None) == (self.end is None):
            raise InputError("give the length as a number of notes or of bars, not both")
        if self.notes is not None and self.notes < 1:
            raise InputError(f"the length must be at least 1 note, got {self.notes}")


class Plan:
    """The masks of one generation: which codes may come next, from any state.

    Build it once per (vocabulary, constraints, length, primer duration); each
    melody walks it with a :class:`Cursor`. Raises :class:`InputError` at once
    when the constraints cannot all be met, naming the ones that conflict.
    """

    def __init__(
        self,
        vocabulary: Vocabulary,
        constraints: Constraints,
        length: Length,
        start: Fraction = Fraction(0),
        *,
        explain: bool = True,
    ) -> None:
        self.vocabulary = vocabulary
        self.constraints = constraints
        self.length = length
        self.start = Fraction(start)
        notes = [parse_code(c) for c in vocabulary.codes]
        self.notes = notes
        self.durations = [n.duration for n in notes]
        static, final = _pitch_masks(notes, constraints)
        self.static, self.final = static, final
        bar = constraints.bar if constraints.whole_bars else None
        self._bar = bar
        values = [*self.durations, self.start]
        if bar is not None:
            values.append(bar)
        if constraints.no_syncopation and constraints.beat is not None:
            values.append(constraints.beat)
        if length.end is not None:
            values.append(length.end)
        grid = _grid(values)
        self.grid = grid
        self.units = np.array([int(d / grid) for d in self.durations], dtype=np.int64)
        self.bar_units = int(bar / grid) if bar is not None else 0
        self.beat_units = (
            int(constraints.beat / grid)
            if constraints.no_syncopation and constraints.beat is not None and bar is not None
            else 0
        )
        self.pitched = np.array([n.pitch is not None for n in notes], dtype=bool)
        self.start_units = int(self.start / grid)
        self.end_units = None if length.end is None else int(length.end / grid)
        if self.end_units is not None and self.end_units <= self.start_units:
            raise InputError(
                f"nothing to generate: the primer already lasts {self.start} quarters, "
                f"up to the requested end at {length.end}"
            )
        self._feasible = self._solve()
        if not self._start_feasible():
            raise InputError(self._conflict_message() if explain else "infeasible")

    # -- the dynamic programme ------------------------------------------------

    def _legal(self, positions: np.ndarray) -> np.ndarray:
        """``legal[c, i]``: code c may start at bar position ``positions[i]``."""
        if self.bar_units == 0 or self.constraints.ties:
            legal = np.ones((len(self.units), len(positions)), dtype=bool)
        else:
            legal = positions[None, :] + self.units[:, None] <= self.bar_units
        if self.beat_units:
            legal &= ~_syncopated(self.units, self.pitched, positions, self.beat_units)
        return legal

    def _solve(self) -> np.ndarray:
        if self.length.notes is not None:
            return self._solve_notes(self.length.notes)
        return self._solve_time()

    def _solve_notes(self, n: int) -> np.ndarray:
        """``feasible[k, p]``: k notes can still be generated from bar position p."""
        size = max(self.bar_units, 1)
        positions = np.arange(size)
        legal = self._legal(positions)
        nxt = (positions[None, :] + self.units[:, None]) % size
        feasible = np.zeros((n + 1, size), dtype=bool)
        if self.bar_units:
            feasible[0, 0] = True
        else:
            feasible[0, :] = True
        for k in range(1, n + 1):
            allowed = (self.final if k == 1 else self.static)[:, None] & legal
            feasible[k] = np.any(allowed & feasible[k - 1][nxt], axis=0)
        self._legal_table, self._next = legal, nxt
        return feasible

    def _solve_time(self) -> np.ndarray:
        """``feasible[t]``: the t time units left can be filled exactly."""
        assert self.end_units is not None
        total = self.end_units - self.start_units
        feasible = np.zeros(total + 1, dtype=bool)
        feasible[0] = True
        for t in range(1, total + 1):
            feasible[t] = bool(self._time_mask(t, feasible).any())
        return feasible

    def _time_mask(self, t: int, feasible: np.ndarray) -> np.ndarray:
        assert self.end_units is not None
        position = (self.end_units - t) % self.bar_units if self.bar_units else 0
        legal = self._legal(np.array([position]))[:, 0]
        units = self.units
        inner = (units < t) & self.static & legal
        inner[inner] &= feasible[t - units[inner]]
        last = (units == t) & self.final & legal
        return inner | last

    def _start_feasible(self) -> bool:
        pitched = np.array([n.pitch is not None for n in self.notes], dtype=bool)
        if (self.constraints.scale or self.constraints.pitch_range) and not (
            self.static & pitched
        ).any():
            return False  # nothing but rests: no melody
        if self.length.notes is not None:
            size = max(self.bar_units, 1)
            return bool(self._feasible[self.length.notes, self.start_units % size])
        return bool(self._feasible[-1])

    def mask(self, done: int, elapsed_units: int) -> np.ndarray:
        """The codes allowed after ``done`` generated notes, ``elapsed_units`` of time
        (grid units from the melody start, primer included)."""
        if self.length.notes is not None:
            k = self.length.notes - done
            size = max(self.bar_units, 1)
            p = elapsed_units % size
            allowed = (self.final if k == 1 else self.static) & self._legal_table[:, p]
            return allowed & self._feasible[k - 1][self._next[:, p]]
        assert self.end_units is not None
        return self._time_mask(self.end_units - elapsed_units, self._feasible)

    def cursor(self) -> Cursor:
        return Cursor(self)

    # -- explaining a conflict ------------------------------------------------------

    def _conflict_message(self) -> str:
        names = [
            n
            for n, on in (
                ("key", self.constraints.scale is not None),
                ("range", self.constraints.pitch_range is not None),
                ("bars", self.constraints.whole_bars),
                ("tonic", self.constraints.end_on_tonic),
                ("syncopation", self.constraints.no_syncopation),
            )
            if on
        ]
        culprit: Constraints | None = None
        for size in range(1, len(names) + 1):
            for subset in itertools.combinations(names, size):
                trial = self.constraints.without([n for n in names if n not in subset])
                try:
                    Plan(self.vocabulary, trial, self.length, self.start, explain=False)
                except InputError:
                    culprit = trial
                    break
            if culprit is not None:
                break
        culprit = culprit or self.constraints
        what = " and ".join(culprit.describe()) or "no constraint"
        many = len(culprit.describe()) > 1
        return f"cannot generate: {what} {_why(self, culprit, many)}"


def _why(plan: Plan, c: Constraints, many: bool) -> str:
    static, final = _pitch_masks(plan.notes, c)
    known = " ".join(plan.vocabulary.codes[:24]) + (" ..." if len(plan.vocabulary) > 24 else "")
    pitched = np.array([n.pitch is not None for n in plan.notes], dtype=bool)
    if not (static & pitched).any():
        verb = "leave" if many else "leaves"
        return f"{verb} none of the model's notes possible (it knows {known})"
    if c.end_on_tonic and not final.any():
        verb = "leave" if many else "leaves"
        return f"{verb} no final note possible: the model knows no untied note on the tonic there"
    durations = sorted({plan.durations[i] for i in np.flatnonzero(static)}, reverse=True)
    finals = sorted({plan.durations[i] for i in np.flatnonzero(final)}, reverse=True)
    length = (
        f"{plan.length.notes} note{'s' if plan.length.notes != 1 else ''}"
        if plan.length.notes is not None
        else f"{plan.length.end - plan.start} quarters"
    )
    hold = "cannot all hold" if many else "cannot hold"
    text = (
        f"{hold} for {length} from quarter {plan.start} of the melody: "
        f"the durations left are {', '.join(str(d) for d in durations)} quarters"
    )
    if c.end_on_tonic:
        text += f" (a final tonic note can last {', '.join(str(d) for d in finals)})"
    if plan.length.notes is not None and c.whole_bars:
        text += "; try another --length, or --bars"
    return text


def _syncopated(
    units: np.ndarray, pitched: np.ndarray, positions: np.ndarray, beat: int
) -> np.ndarray:
    """``out[c, i]``: a pitched code c starting at bar position ``positions[i]`` (grid
    units) starts off the beat and sounds on over the next beat."""
    off = positions % beat != 0
    next_beat = (positions // beat + 1) * beat
    crosses = positions[None, :] + units[:, None] > next_beat[None, :]
    return pitched[:, None] & off[None, :] & crosses


def _pitch_masks(notes: Sequence[Note], c: Constraints) -> tuple[np.ndarray, np.ndarray]:
    """(codes allowed anywhere, codes allowed as the last note)."""
    static = np.ones(len(notes), dtype=bool)
    for i, note in enumerate(notes):
        if note.pitch is None:
            continue
        midi = note.pitch.midi
        if c.scale is not None and not c.scale.contains(midi):
            static[i] = False
        if c.pitch_range is not None and not c.pitch_range.contains(midi):
            static[i] = False
    final = static.copy()
    if c.end_on_tonic:
        assert c.tonic is not None
        tonic = c.tonic.tonic
        for i, note in enumerate(notes):
            if note.pitch is None or note.tie or note.pitch.midi % 12 != tonic:
                final[i] = False
    return static, final


def _grid(values: Sequence[Fraction]) -> Fraction:
    """The largest duration that divides every value (all durations are multiples of it)."""
    fractions = [Fraction(v) for v in values if v != 0]
    if not fractions:
        return Fraction(1)
    lcm_den = math.lcm(*(f.denominator for f in fractions))
    gcd_num = math.gcd(*(int(f * lcm_den) for f in fractions))
    return Fraction(gcd_num, lcm_den)


class Cursor:
    """One melody's walk through a :class:`Plan` (mutable, local to one generation)."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.done = 0
        self.elapsed = plan.start_units

    @property
    def finished(self) -> bool:
        if self.plan.length.notes is not None:
            return self.done >= self.plan.length.notes
        assert self.plan.end_units is not None
        return self.elapsed >= self.plan.end_units

    def mask(self) -> np.ndarray:
        return self.plan.mask(self.done, self.elapsed)

    def advance(self, index: int) -> None:
        self.done += 1
        self.elapsed += int(self.plan.units[index])


# --- phrases: a fixed length that ends on a cadence -------------------------------


@dataclass(frozen=True)
class Cadence:
    """How a phrase ends: its last pitched note is untied, lasts at least ``beat``
    quarters, starts on one of the ``strong`` positions (quarters from the downbeat) of
    the phrase's last bar, and only rests follow it; with ``tonic``, that note is the
    tonic of the constraints' key."""

    beat: Fraction
    strong: tuple[Fraction, ...] = (Fraction(0),)
    tonic: bool = False


class PhrasePlan:
    """The masks of one phrase of ``bars`` whole bars that ends on a :class:`Cadence`.

    A phrase starts on a downbeat and fills its bars exactly (no note crosses its end;
    with ``constraints.ties`` notes may cross the bar lines inside it). The look-ahead is
    a dynamic programme over (time left in the phrase, whether the cadence note has
    been played): from every state the plan keeps, the phrase can still be finished,
    so walking it with :class:`PhraseCursor` never gets stuck.
    """

    def __init__(
        self,
        vocabulary: Vocabulary,
        constraints: Constraints,
        bars: int,
        cadence: Cadence,
    ) -> None:
        if constraints.bar is None or constraints.bar <= 0:
            raise InputError("phrases need a time signature: give one with --time-signature")
        if bars < 1:
            raise InputError(f"a phrase must last at least 1 bar, got {bars}")
        self.vocabulary = vocabulary
        self.constraints = constraints
        self.cadence = cadence
        self.bars = bars
        notes = [parse_code(c) for c in vocabulary.codes]
        self.notes = notes
        plain = constraints.without(["tonic"])
        static, _ = _pitch_masks(notes, plain)
        bar = constraints.bar
        beat = constraints.beat if constraints.no_syncopation else None
        grid = _grid(
            [
                *(n.duration for n in notes),
                bar,
                cadence.beat,
                *cadence.strong,
                *([beat] if beat else []),
            ]
        )
        self.grid = grid
        units = np.array([int(n.duration / grid) for n in notes], dtype=np.int64)
        self.units = units
        self.bar_units = int(bar / grid)
        self.length = bars * self.bar_units
        pitched = np.array([n.pitch is not None for n in notes], dtype=bool)
        tied = np.array([n.tie for n in notes], dtype=bool)
        self.static = static
        self.rest = ~pitched
        closing = static & pitched & ~tied & (units >= int(cadence.beat / grid))
        if cadence.tonic:
            if constraints.tonic is None:
                raise InputError("an ending on the tonic needs a key: give one with --key")
            tonic = constraints.tonic.tonic
            closing &= np.array(
                [n.pitch is not None and n.pitch.midi % 12 == tonic for n in notes], dtype=bool
            )
        self.closing = closing
        strong = {int(s / grid) % self.bar_units for s in cadence.strong}
        n, size = len(notes), self.length
        self.normal = np.zeros((size + 1, n), dtype=bool)
        self.closes = np.zeros((size + 1, n), dtype=bool)
        self.rests = np.zeros((size + 1, n), dtype=bool)
        before = np.zeros(size + 1, dtype=bool)  # the cadence is still to come
        after = np.zeros(size + 1, dtype=bool)  # the cadence was played: rests only
        after[0] = True
        for t in range(1, size + 1):
            position = (size - t) % self.bar_units
            if constraints.ties:
                legal = np.ones(n, dtype=bool)
            else:
                legal = position + units <= self.bar_units
            if beat:
                legal &= ~_syncopated(units, pitched, np.array([position]), int(beat / grid))[:, 0]
            fits = units <= t
            left = np.where(fits, t - units, 0)
            self.rests[t] = self.rest & legal & fits & after[left]
            self.normal[t] = static & legal & (units < t) & before[left]
            in_last_bar = t <= self.bar_units and (self.bar_units - t) % self.bar_units in strong
            if in_last_bar:
                self.closes[t] = closing & legal & fits & after[left]
            after[t] = bool(self.rests[t].any())
            before[t] = bool(self.normal[t].any() or self.closes[t].any())
        self.before, self.after = before, after

    def feasible(self, elapsed: int = 0) -> bool:
        """True when the phrase can be finished after ``elapsed`` grid units of it."""
        t = self.length - elapsed
        return 0 < t <= self.length and bool(self.before[t])

    def units_of(self, duration: Fraction) -> int | None:
        """``duration`` in grid units, or None when it is off the grid."""
        value = Fraction(duration) / self.grid
        return int(value) if value.denominator == 1 else None

    def cursor(self, elapsed: int = 0) -> PhraseCursor:
        return PhraseCursor(self, elapsed)

    def closing_durations(self) -> list[Fraction]:
        """The durations a cadence note may have (for messages)."""
        return sorted({self.notes[i].duration for i in np.flatnonzero(self.closing)})


class PhraseCursor:
    """One phrase's walk through a :class:`PhrasePlan` (mutable, local to one phrase)."""

    def __init__(self, plan: PhrasePlan, elapsed: int = 0) -> None:
        self.plan = plan
        self.left = plan.length - elapsed
        self.before, self.after = True, False
        self.done = 0

    @property
    def finished(self) -> bool:
        return self.left <= 0

    def mask(self) -> np.ndarray:
        p, t = self.plan, self.left
        out = np.zeros(len(p.notes), dtype=bool)
        if self.before:
            out |= p.normal[t] | p.closes[t]
        if self.after:
            out |= p.rests[t]
        return out

    def advance(self, index: int) -> None:
        p, t = self.plan, self.left
        closes = self.before and bool(p.closes[t, index])
        before = self.before and bool(p.normal[t, index])
        after = closes or (self.after and bool(p.rests[t, index]))
        if not (before or after):
            raise InputError(f"the code {p.vocabulary.codes[index]} cannot come here")
        self.before, self.after = before, after
        self.left -= int(p.units[index])
        self.done += 1
