"""Songs in a form: phrases of whole bars, repeated by letter, each ending on a cadence.

A form such as ``AABA`` with phrases of ``N`` bars makes a melody of
``len(form) * N`` bars, the primer (if any) opening the first phrase:

- every phrase starts on a downbeat and fills its ``N`` bars exactly (no note
  crosses a phrase's end, nor, without ``ties``, a bar line);
- every phrase ends on a **cadence**: its last pitched note is untied, lasts at
  least one beat of the metre (:func:`nabi_music.music.metre.beat_length`) and
  starts on a strong beat of the phrase's last bar
  (:func:`nabi_music.music.metre.strong_positions`); only rests may follow it;
- the last phrase ends on the **tonic**; so does every phrase of its letter, since
  they repeat it;
- the first phrase of a letter is sampled; a later phrase of the same letter
  **repeats** it: note for note, or with ``vary`` = P each note independently
  re-sampled with probability P among the model's codes of the same duration (a
  pitched note stays a pitched note, a rest and tied notes stay as they are, the
  cadence note stays a cadence note), so the rhythm and the bars are the phrase's.

The look-ahead of :class:`nabi_music.prediction.constraints.PhrasePlan` guarantees
every new phrase, and a repeat meets the same requirements by construction: the
generation never gets stuck, and a form the model's codes cannot make is refused
before anything is generated.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from nabi_music.data.encoding import Vocabulary
from nabi_music.errors import InputError
from nabi_music.music.metre import beat_length, format_quarters, strong_positions
from nabi_music.prediction.constraints import Cadence, Constraints, Length, PhrasePlan, Plan

DEFAULT_PHRASE_BARS = 4
MAX_PHRASES = 64
"""The most phrases a form may have."""
MAX_PHRASE_BARS = 64
"""The most bars a phrase may have."""


@dataclass(frozen=True)
class Form:
    """A song's form: one letter (A-Z) per phrase, ``phrase_bars`` bars each; a repeated
    letter repeats its first phrase, each note re-sampled with probability ``vary``."""

    letters: str
    phrase_bars: int = DEFAULT_PHRASE_BARS
    vary: float = 0.0

    def __post_init__(self) -> None:
        if not isinstance(self.letters, str) or not re.fullmatch(r"[A-Z]+", self.letters):
            raise InputError(
                f"--form {self.letters!r} is not a form: expected phrase letters A-Z, "
                "such as AABA or ABAC"
            )
        if len(self.letters) > MAX_PHRASES:
            raise InputError(
                f"--form has {len(self.letters)} phrases: expected at most {MAX_PHRASES}"
            )
        if not (isinstance(self.phrase_bars, int) and 1 <= self.phrase_bars <= MAX_PHRASE_BARS):
            raise InputError(
                f"--phrase-bars {self.phrase_bars}: expected a whole number of bars from 1 "
                f"to {MAX_PHRASE_BARS}"
            )
        if not (isinstance(self.vary, int | float) and 0 <= self.vary <= 1):
            raise InputError(
                f"--vary {self.vary}: expected a probability from 0 to 1 (0: exact repeats)"
            )

    @property
    def bars(self) -> int:
        return len(self.letters) * self.phrase_bars

    def sources(self) -> list[int | None]:
        """For each phrase, the phrase (from 0) it repeats; None for a letter's first."""
        first: dict[str, int] = {}
        out: list[int | None] = []
        for k, letter in enumerate(self.letters):
            out.append(first.get(letter))
            first.setdefault(letter, k)
        return out

    def describe(self) -> str:
        repeats = (
            f"repeats re-sampled note by note with probability {self.vary:g}"
            if self.vary
            else "exact repeats"
        )
        return (
            f"form {self.letters} of {self.phrase_bars}-bar phrases, each ending on a note "
            f"of a beat or more on a strong beat, {repeats}"
        )

    def to_dict(self) -> dict[str, Any]:
        return {"form": self.letters, "phrase_bars": self.phrase_bars, "vary": self.vary}


def parse_form(text: str) -> str:
    """The letters of ``--form`` (upper-cased; spaces and dashes between phrases ignored)."""
    letters = re.sub(r"[\s\-]", "", text).upper()
    Form(letters)  # validates
    return letters


@dataclass(frozen=True)
class Phrase:
    """Where one phrase of a generated melody lies, and what it is."""

    index: int
    """From 1."""
    letter: str
    first_bar: int
    last_bar: int
    start: Fraction
    """Quarters from the melody's start."""
    end: Fraction
    kind: str
    """``new``, ``repeat`` (note for note) or ``variant`` (some notes re-sampled)."""
    of: int | None = None
    """The phrase (from 1) a repeat or variant repeats."""
    resampled: int = 0
    """How many of its notes were re-sampled (a re-sampled note may come out the same)."""
    changed: int = 0
    """How many of its notes differ from the phrase it repeats."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "letter": self.letter,
            "bars": [self.first_bar, self.last_bar],
            "start": format_quarters(self.start),
            "end": format_quarters(self.end),
            "kind": self.kind,
            "of": self.of,
            "resampled": self.resampled,
            "changed": self.changed,
        }

    def describe(self) -> str:
        text = f"{self.letter} bars {self.first_bar}-{self.last_bar}"
        if self.kind == "repeat":
            text += f" (repeats phrase {self.of})"
        elif self.kind == "variant":
            noun = "note" if self.changed == 1 else "notes"
            text += f" (varies phrase {self.of}: {self.changed} {noun} changed)"
        return text


class FormPlan:
    """The plan of one form under ``constraints`` (whole bars, a metre and, for the final
    cadence, a key), for melodies whose primer lasts ``start`` quarters. Raises
    :class:`InputError` at once when the form cannot be made."""

    def __init__(
        self,
        vocabulary: Vocabulary,
        constraints: Constraints,
        form: Form,
        start: Fraction = Fraction(0),
    ) -> None:
        if constraints.bar is None or not constraints.metre:
            raise InputError(
                "a form needs a time signature, and neither the primer nor the bundle says "
                "one: give it with --time-signature, as in --time-signature 3/4"
            )
        if constraints.tonic is None:
            raise InputError(
                "a form's last phrase ends on the tonic, which needs a key: give one with --key"
            )
        self.vocabulary = vocabulary
        self.constraints = constraints
        self.form = form
        self.start = Fraction(start)
        bar = constraints.bar
        phrase = form.phrase_bars * bar
        self.phrase_length = phrase
        if self.start >= phrase:
            raise InputError(
                f"the primer lasts {format_quarters(self.start)} quarters, and the first "
                f"phrase only {format_quarters(phrase)} (--phrase-bars {form.phrase_bars} of "
                f"{constraints.metre}): give a shorter primer or longer phrases"
            )
        # the constraints of the whole melody first (key, range, bars): a conflict among
        # them is named; the tonic ending is the last phrase's cadence, planned below
        Plan(vocabulary, constraints.without(["tonic"]), Length(end=form.bars * bar), self.start)
        metre = constraints.metre
        last = form.letters[-1]
        self.tonic = [letter == last for letter in form.letters]
        self._plans: dict[bool, PhrasePlan] = {}
        for closing_on_tonic in sorted(set(self.tonic)):
            cadence = Cadence(beat_length(metre), strong_positions(metre), closing_on_tonic)
            self._plans[closing_on_tonic] = PhrasePlan(
                vocabulary, constraints, form.phrase_bars, cadence
            )
        any_plan = next(iter(self._plans.values()))
        start_units = any_plan.units_of(self.start)
        if start_units is None:
            raise InputError(f"the primer's length {self.start} is off the model's note grid")
        self.start_units = start_units
        for k, source in enumerate(form.sources()):
            if source is None and not self.plan(k).feasible(start_units if k == 0 else 0):
                raise InputError(self._why(k))

    def plan(self, k: int) -> PhrasePlan:
        """The plan of phrase ``k`` (from 0)."""
        return self._plans[self.tonic[k]]

    def _why(self, k: int) -> str:
        plan = self.plan(k)
        metre = self.constraints.metre
        beat = format_quarters(plan.cadence.beat)
        what = f"cannot generate the form {self.form.letters}: phrase {k + 1}"
        tonic = " on the tonic" if plan.cadence.tonic else ""
        closing = plan.closing_durations()
        if not closing:
            return (
                f"{what} must end on an untied note of at least a beat ({beat} quarters in "
                f"{metre}){tonic}, and the model knows none that the constraints allow"
            )
        longest = ", ".join(format_quarters(d) for d in closing)
        bars = self.form.phrase_bars
        return (
            f"{what} cannot fill {bars} bar{'s' if bars != 1 else ''} of {metre} and end on a "
            f"note{tonic} of at least a beat on a strong beat of its last bar, followed only "
            f"by rests (such a note can last {longest} quarters with the model's codes): "
            "try other --phrase-bars, --time-signature or --key"
        )

    def cursor(self, primer: Sequence[int], rng: np.random.Generator) -> FormCursor:
        return FormCursor(self, primer, rng)


class FormCursor:
    """One melody's walk through a :class:`FormPlan` (a generation guide: ``finished``,
    ``mask()``, ``advance(index)``). ``primer``: the vocabulary indices the melody starts
    with (they open the first phrase); ``rng`` draws which notes of a repeat are
    re-sampled (the melody's own Generator)."""

    def __init__(self, plan: FormPlan, primer: Sequence[int], rng: np.random.Generator) -> None:
        self.plan = plan
        self.rng = rng
        self.sources = plan.form.sources()
        self.k = 0
        self.codes: list[list[int]] = [[int(i) for i in primer]]
        self.resampled: list[int] = [0]
        self._begin(plan.start_units)

    def _begin(self, elapsed: int = 0) -> None:
        if self.k >= len(self.sources):
            return
        source = self.sources[self.k]
        phrase = self.plan.plan(self.k)
        if source is None:
            self.walk = phrase.cursor(elapsed)
            self.copy: list[int] = []
            return
        self.walk = None
        self.copy = self.codes[source]
        self.j = 0
        vary = self.plan.form.vary
        draws = self.rng.random(len(self.copy)) < vary if vary else np.zeros(len(self.copy), bool)
        notes = phrase.notes
        pitched = [notes[i].pitch is not None for i in self.copy]
        cadence = max((j for j, p in enumerate(pitched) if p), default=-1)
        self.variable = [
            bool(draws[j])
            and pitched[j]
            and not notes[i].tie
            and not (j and notes[self.copy[j - 1]].tie)
            for j, i in enumerate(self.copy)
        ]
        self.cadence = cadence

    @property
    def finished(self) -> bool:
        return self.k >= len(self.sources)

    def mask(self) -> np.ndarray:
        if self.walk is not None:
            return self.walk.mask()
        phrase = self.plan.plan(self.k)
        original = self.copy[self.j]
        out = np.zeros(len(phrase.notes), dtype=bool)
        if not self.variable[self.j]:
            out[original] = True
            return out
        note = phrase.notes[original]
        same = (phrase.units == phrase.units[original]) & phrase.static & ~phrase.rest
        same &= np.array([n.tie == note.tie for n in phrase.notes], dtype=bool)
        if self.j == self.cadence:
            same &= phrase.closing
        same[original] = True
        return same

    def advance(self, index: int) -> None:
        self.codes[-1].append(int(index))
        if self.walk is not None:
            self.walk.advance(index)
            done = self.walk.finished
        else:
            if self.variable[self.j]:
                self.resampled[-1] += 1
            self.j += 1
            done = self.j >= len(self.copy)
        if done:
            self.k += 1
            if self.k < len(self.sources):
                self.codes.append([])
                self.resampled.append(0)
            self._begin()

    def phrases(self) -> tuple[Phrase, ...]:
        """The phrases walked so far (after generation: all of them)."""
        form = self.plan.form
        out = []
        for k, codes in enumerate(self.codes):
            source = self.sources[k]
            changed = (
                0
                if source is None
                else sum(a != b for a, b in zip(codes, self.codes[source], strict=False))
            )
            kind = "new" if source is None else ("variant" if changed else "repeat")
            out.append(
                Phrase(
                    index=k + 1,
                    letter=form.letters[k],
                    first_bar=k * form.phrase_bars + 1,
                    last_bar=(k + 1) * form.phrase_bars,
                    start=k * self.plan.phrase_length,
                    end=(k + 1) * self.plan.phrase_length,
                    kind=kind,
                    of=None if source is None else source + 1,
                    resampled=self.resampled[k],
                    changed=changed,
                )
            )
        return tuple(out)
