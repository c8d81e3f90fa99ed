"""Reader for LilyPond ``.ly`` files: python-ly parses the text, this module interprets it.

The file is only parsed, never run: python-ly does not evaluate Scheme, the LilyPond
binary is not called, and ``\\include`` is not followed. python-ly's tree of the file
is walked as LilyPond would play it:

- one melody per ``\\score`` block (or top-level music expression);
- ``\\relative`` (with or without a start pitch), ``\\absolute``, ``\\fixed``,
  ``\\transpose``, octave checks, variables (``\\melody``), ``\\language``;
- durations: dots, ``\\tuplet``/``\\times`` (exact fractions), ``R1*4``;
- ties (``~``) are merged where one code holds them; rests keep their length; ``s``
  skips become rests; chords (and ``q``) keep their top note; grace notes
  (``\\grace``, ``\\acciaccatura``, ``\\appoggiatura``, ``\\afterGrace``) are dropped;
- ``\\repeat volta``/``segno`` are played out with their ``\\alternative`` endings as
  a listener hears them (the written order with ``repeats=False``); ``unfold``,
  ``percent`` and ``tremolo`` repeats are always played out;
- parts are the ``Staff`` contexts; voices are the branches of ``<< >>`` within one:
  the first part with notes (or the chosen one) and its first voice are kept;
- key, time signature, tempo: the first of each; ``\\partial`` numbers the pickup bar 0.

Every loss is a warning naming the measures. A file whose braces do not balance is a
:class:`ParseError` with the line and column.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from nabi_music.errors import InputError, NabiError, ParseError
from nabi_music.music.notes import Melody, Note, Pitch
from nabi_music.music.ties import merge_rests, merge_ties
from nabi_music.readers._common import (
    ReadOptions,
    Report,
    Skipped,
    describe,
    has_pitched_note,
    in_measures,
    read_text,
)

#: Contexts that are parts (one melody line each, chosen with ``part``).
STAFF_CONTEXTS = {"Staff", "TabStaff", "RhythmicStaff", "VaticanaStaff", "MensuralStaff"}
#: Contexts whose content is not melody.
IGNORED_CONTEXTS = {
    "Lyrics",
    "ChordNames",
    "FiguredBass",
    "Dynamics",
    "DrumStaff",
    "DrumVoice",
    "NoteNames",
    "FretBoards",
    "Devnull",
}
#: Most notes, rests and skips one score may expand to (``\\repeat unfold 1000000`` is
#: refused rather than filling the memory).
MAX_EVENTS = 500_000
_SEMITONES = (0, 2, 4, 5, 7, 9, 11)
#: Steps from a modal tonic to the major tonic of the same key signature.
_MODE_STEPS = {"ionian": 0, "dorian": -1, "phrygian": -2, "lydian": -3, "mixolydian": -4}
_MODE_STEPS["locrian"] = 1
_BRACKETS = {
    "SequentialStart": "{",
    "OpenBracket": "{",
    "OpenBracketMarkup": "{",
    "SimultaneousStart": "<<",
    "ChordStart": "<",
    "SequentialEnd": "}",
    "CloseBracket": "}",
    "CloseBracketMarkup": "}",
    "SimultaneousEnd": ">>",
    "ChordEnd": ">",
}
_CLOSES = {"}": "{", ">>": "<<", ">": "<"}


def read_lilypond(path: Path, source: str, options: ReadOptions | None = None) -> Report:
    """The melodies of a ``.ly`` file: one per ``\\score`` (or top-level music)."""
    text = read_text(path, source)
    return read_lilypond_text(text, source, path.stem, options or ReadOptions())


def read_lilypond_text(text: str, source: str, default_title: str, options: ReadOptions) -> Report:
    """The melodies of LilyPond text (see the module's docstring for the rules)."""
    import ly.document
    import ly.music.items as items

    check_brackets(text, source)
    try:
        doc = ly.document.Document(_rewrite_fixed(text))
        root = items.Document(doc)
        for inc in root.find(items.Include):
            inc._document = None  # never follow \include: only this file is read
        tunes = list(_tunes(root, items))
    except RecursionError as err:
        raise InputError(f"{source}: the music is nested too deeply to read") from err
    except NabiError:
        raise
    except Exception as err:
        raise InputError(
            f"{source}: python-ly cannot parse this LilyPond file ({describe(err)}); "
            "expected LilyPond music such as \\relative c' { c4 d e f }"
        ) from err
    top_title = _header_title(root, items)
    melodies: list[Melody] = []
    skipped: list[Skipped] = []
    many = len(tunes) > 1
    for index, (music, header_title) in enumerate(tunes, start=1):
        title = header_title or top_title or default_title
        if many and not header_title:
            title = f"{title} #{index}"
        where = f"{source} ({title})" if many else source
        try:
            walker = _Walker(where, options, items)
            walker.walk(music)
            melody = walker.melody(title, source)
        except RecursionError as err:
            raise InputError(f"{where}: the music is nested too deeply to read") from err
        if has_pitched_note(melody):
            melodies.append(melody)
        else:
            skipped.append(Skipped(title, "no notes, only rests"))
    if not tunes:
        skipped.append(Skipped(default_title, "no music expression or \\score block"))
    return melodies, skipped


def check_brackets(text: str, source: str) -> None:
    """Raise :class:`ParseError` at the first ``{ } << >> < >`` that does not pair up."""
    import ly.document

    doc = ly.document.Document(text)
    stack: list[tuple[str, int, int]] = []
    line = 0
    for line, block in enumerate(doc, start=1):
        for token in doc.tokens(block):
            kind = type(token).__name__
            mark = _BRACKETS.get(kind)
            if kind == "Unparsed" and token in _CLOSES:
                mark = str(token)  # a closer python-ly could not place: nothing is open
            if mark is None:
                continue
            col = token.pos + 1
            if mark in _CLOSES:
                if not stack or stack[-1][0] != _CLOSES[mark]:
                    opened = (
                        f" (the open {stack[-1][0]!r} is at line {stack[-1][1]})" if stack else ""
                    )
                    raise ParseError(
                        f"LilyPond syntax error: unexpected {mark!r}{opened}; "
                        "expected every { << < to be closed by } >> > in order",
                        source,
                        line,
                        col,
                    )
                stack.pop()
            else:
                stack.append((mark, line, col))
    if stack:
        mark, at_line, at_col = stack[-1]
        closer = {v: k for k, v in _CLOSES.items()}[mark]
        raise ParseError(
            f"LilyPond syntax error: {mark!r} is never closed; expected {closer!r} "
            "before the end of the file",
            source,
            at_line,
            at_col,
        )


def _rewrite_fixed(text: str) -> str:
    """``\\fixed c'`` as ``\\transpose c c' \\absolute``: python-ly does not know
    ``\\fixed``, which reads its music as absolute pitches moved by the octave of its pitch."""
    import ly.document

    doc = ly.document.Document(text)
    starts = [
        doc.position(block) + tok.pos
        for block in doc
        for tok in doc.tokens(block)
        if type(tok).__name__ == "Command" and tok == "\\fixed"
    ]
    pattern = re.compile(r"\\fixed(\s+)[a-z]+([',]*)")
    for start in reversed(starts):
        m = pattern.match(text, start)
        if m is not None:
            text = text[:start] + f"\\transpose c{m[1]}c{m[2]} \\absolute" + text[m.end() :]
    return text


def _tunes(root: Any, items: Any) -> list[tuple[Any, str | None]]:
    """(music, title from the score's header) for every \\score and top-level music."""
    found: list[tuple[Any, str | None]] = []

    def visit(container: Any) -> None:
        for node in container:
            if isinstance(node, items.Score):
                music = next((c for c in node if _is_music(c, items)), None)
                if music is not None:
                    found.append((music, _header_title(node, items)))
            elif type(node).__name__ in ("Book", "BookPart"):
                visit(node)
            elif (isinstance(node, items.UserCommand) and _is_music(node.value(), items)) or (
                _is_music(node, items) and not isinstance(node, items.UserCommand)
            ):
                found.append((node, None))

    visit(root)
    return found


def _is_music(node: Any, items: Any) -> bool:
    return isinstance(node, items.Music | items.Durable) and not isinstance(
        node, items.LyricMode | items.ChordMode | items.FigureMode | items.DrumMode
    )


def _header_title(container: Any, items: Any) -> str | None:
    for header in container:
        if not isinstance(header, items.Header):
            continue
        for assignment in header:
            if isinstance(assignment, items.Assignment) and assignment.name() == "title":
                value = assignment.value()
                text = value.plaintext() if value is not None else ""
                if not text and value is not None:
                    text = " ".join(s.plaintext() for s in value.find(items.String))
                if text.strip():
                    return text.strip()
    return None


# --- the walk ------------------------------------------------------------------------


@dataclass
class _Event:
    start: Fraction  # when it sounds, in quarters (repeats played out)
    duration: Fraction
    pitch: Pitch | None
    written: Fraction  # where it is written, in quarters
    tie: bool = False


@dataclass
class _Line:
    """What one voice yields: its events and the losses, by written time."""

    events: list[_Event] = field(default_factory=list)
    graces: list[Fraction] = field(default_factory=list)
    chords: list[Fraction] = field(default_factory=list)
    voices: list[tuple[Fraction, int]] = field(default_factory=list)
    respelled: list[str] = field(default_factory=list)

    def absorb(self, other: _Line) -> None:
        self.events += other.events
        self.graces += other.graces
        self.chords += other.chords
        self.voices += other.voices
        self.respelled += other.respelled


@dataclass
class _Relative:
    last: Any  # ly.pitch.Pitch


class _Walker:
    """Walks python-ly's music tree in time, keeping one line (see the module docstring)."""

    def __init__(self, where: str, options: ReadOptions, items: Any) -> None:
        self.where = where
        self.options = options
        self.items = items
        self.time = Fraction(0)
        self.written = Fraction(0)
        self.scale = Fraction(1)
        self.grace = False
        self.line = _Line()
        self.relative: list[_Relative | None] = [None]
        self.transpose = (0, 0)  # steps, semitones
        self.last_chord: list[Pitch] = []
        self.expanding: set[str] = set()
        # Pitches resolved on the first (written) pass, reused when a repeat is played
        # again: \relative works on the written text, once.
        self.memo: dict[int, list[Pitch]] = {}
        self.replaying = 0
        self.count = 0
        self.staves: list[tuple[str | None, bool]] = []  # (name, holds notes)
        self.chosen_staff: int | None = None
        self.keys: list[tuple[Fraction, str]] = []
        self.times: list[tuple[Fraction, int, int]] = []
        self.tempos: list[tuple[Fraction, float]] = []
        self.partial: Fraction | None = None

    # -- results --

    def melody(self, title: str, source: str) -> Melody:
        part_count = len(self.staves)
        choice = self.options.part
        if choice is not None and self.chosen_staff is None and not _is_first(choice):
            listing = ", ".join(
                f"{k} {n or '(unnamed)'}" for k, (n, _) in enumerate(self.staves, 1)
            )
            count = f"{max(part_count, 1)} part{'s' if part_count > 1 else ''}"
            raise InputError(
                f"{source}: no part {choice!r}; the score has {count}"
                + (f": {listing}" if listing else "")
            )
        notes = self._notes()
        measure = self._measure_numbers()
        log = []
        with_notes = [k for k, (_, has) in enumerate(self.staves, 1) if has]
        if len(with_notes) > 1 and self.chosen_staff is not None:
            others = [k for k in with_notes if k != self.chosen_staff]
            name = self.staves[self.chosen_staff - 1][0]
            log.append(
                f"{len(with_notes)} parts; kept part {self.chosen_staff}"
                f"{f' ({name})' if name else ''} and dropped "
                f"part{'s' if len(others) > 1 else ''} {', '.join(map(str, others))}"
            )
        if self.line.voices:
            count = max(n for _, n in self.line.voices)
            log.append(
                f"{count} voices{in_measures(measure(t) for t, _ in self.line.voices)}; "
                "kept the first (top) voice"
            )
        if self.line.graces:
            log.append(
                f"dropped {len(self.line.graces)} grace note(s)"
                f"{in_measures(map(measure, self.line.graces))} (no duration)"
            )
        if self.line.chords:
            log.append(
                f"reduced {len(self.line.chords)} chord(s)"
                f"{in_measures(map(measure, self.line.chords))} to their top note"
            )
        log += self.line.respelled
        tempo = self.tempos[0][1] if self.tempos else None
        return Melody(
            notes=tuple(notes),
            title=title,
            key=self.keys[0][1] if self.keys else None,
            time_signature=f"{self.times[0][1]}/{self.times[0][2]}" if self.times else None,
            tempo=tempo,
            source=source,
            warnings=tuple(f"{self.where}: {m}" for m in log),
        )

    def _notes(self) -> list[Note]:
        notes: list[Note] = []
        cursor = Fraction(0)
        for ev in sorted(self.line.events, key=lambda e: e.start):
            if ev.start < cursor:
                continue  # cannot happen within one voice; kept safe
            if ev.start > cursor:
                notes.append(Note(None, ev.start - cursor))
            notes.append(Note(ev.pitch, ev.duration, ev.tie and ev.pitch is not None))
            cursor = ev.start + ev.duration
        return merge_rests(merge_ties(notes))

    def _measure_numbers(self) -> Any:
        """A function: written time in quarters -> measure number (a pickup is measure 0)."""
        end = max((e.written + e.duration for e in self.line.events), default=Fraction(0))
        end = max([end, *self.line.graces, *(t for t, _ in self.line.voices)])
        changes = sorted((t, Fraction(4 * n, d)) for t, n, d in self.times) or []
        starts: list[Fraction] = [Fraction(0)]
        numbers: list[int] = [0 if self.partial else 1]
        t = self.partial or Fraction(0)
        if self.partial:
            starts.append(t)
            numbers.append(1)
        while t <= end and len(starts) < 1_000_000:
            length = Fraction(4)
            for when, value in changes:
                if when <= t:
                    length = value
            t += max(length, Fraction(1, 64))
            starts.append(t)
            numbers.append(numbers[-1] + 1)

        def measure(when: Fraction) -> int:
            return numbers[max(0, bisect.bisect_right(starts, when) - 1)]

        return measure

    # -- emitting --

    def _emit(self, pitch: Pitch | None, node: Any, chord: bool = False) -> None:
        base, scaling = node.duration
        duration = Fraction(base) * Fraction(scaling) * 4 * self.scale
        if self.grace:
            if pitch is not None:
                self.line.graces.append(self.written)
            return
        if duration <= 0:
            return
        self.count += 1
        if self.count > MAX_EVENTS:
            raise InputError(f"{self.where}: more than {MAX_EVENTS} notes; expected a melody")
        if chord:
            self.line.chords.append(self.written)
        self.line.events.append(_Event(self.time, duration, pitch, self.written))
        self.time += duration
        self.written += duration

    def _advance(self, node: Any) -> None:
        base, scaling = node.duration
        self.count += 1
        if self.count > MAX_EVENTS:
            raise InputError(f"{self.where}: more than {MAX_EVENTS} notes; expected a melody")
        if not self.grace:
            duration = Fraction(base) * Fraction(scaling) * 4 * self.scale
            self.time += duration
            self.written += duration

    def _pitch(self, note: Any, chord_ref: Any = None) -> tuple[Pitch, Any]:
        """The absolute pitch of a python-ly Note (relative mode, octave check, transpose)."""
        p = note.pitch.copy()  # (python-ly's copy drops the octave check)
        rel = self.relative[-1]
        if rel is not None:
            p.makeAbsolute(chord_ref if chord_ref is not None else rel.last)
        if note.pitch.octavecheck is not None:  # LilyPond corrects the octave, and warns
            p.octave = note.pitch.octavecheck
        absolute = p.copy()
        steps, semis = self.transpose
        idx = p.octave * 7 + p.note + steps
        semitones = p.octave * 12 + _SEMITONES[p.note] + Fraction(p.alter) * 2 + semis
        step, octave = idx % 7, idx // 7
        alter = semitones - (octave * 12 + _SEMITONES[step])
        if alter.denominator != 1 or abs(alter) > 2:
            midi = round(semitones) + 48
            respelled = Pitch.from_midi(midi)
            self.line.respelled.append(
                f"respelled a note of alteration {float(alter):g} as {respelled.name} "
                "(no such accidental in codes)"
            )
            return respelled, absolute
        return Pitch("cdefgab"[step], int(alter), octave + 3), absolute

    # -- the walk --

    def walk(self, node: Any) -> None:
        it = self.items
        if isinstance(node, it.Note):
            if self.replaying and id(node) in self.memo:
                pitch = self.memo[id(node)][0]
            else:
                pitch, absolute = self._pitch(node)
                if self.relative[-1] is not None:
                    self.relative[-1].last = absolute
                self.memo[id(node)] = [pitch]
            self._emit(pitch, node)
        elif isinstance(node, it.Chord):
            self._chord(node)
        elif isinstance(node, it.Q):
            if self.last_chord:
                top = max(self.last_chord, key=lambda p: p.midi)
                self._emit(top, node, chord=len(self.last_chord) > 1)
            else:
                self._advance(node)
        elif isinstance(node, it.Rest):
            self._emit(None, node)
        elif isinstance(node, it.Skip | it.Unpitched | it.DrumNote):
            self._advance(node)
        elif isinstance(node, it.Tie):
            if self.line.events and not self.grace:
                self.line.events[-1].tie = True
        elif isinstance(node, it.MusicList):
            if node.simultaneous:
                self._simultaneous(list(node))
            else:
                for child in node:
                    self.walk(child)
        elif isinstance(node, it.Relative):
            self._relative(node)
        elif isinstance(node, it.Absolute):
            self.relative.append(None)
            try:
                for child in node:
                    self.walk(child)
            finally:
                self.relative.pop()
        elif isinstance(node, it.Transpose):
            self._transpose(node)
        elif isinstance(node, it.Scaler):
            saved = self.scale
            self.scale *= Fraction(node.scaling)
            for child in node:
                self.walk(child)
            self.scale = saved
        elif isinstance(node, it.AfterGrace):
            music = [c for c in node if _is_music(c, it)]
            for k, child in enumerate(music):
                self._walk_grace(child) if k else self.walk(child)
        elif isinstance(node, it.Grace):
            for child in node:
                self._walk_grace(child)
        elif isinstance(node, it.Repeat):
            self._repeat(node)
        elif isinstance(node, it.Context):
            self._context(node)
        elif isinstance(node, it.UserCommand):
            self._variable(node)
        elif isinstance(node, it.KeySignature):
            self._key(node)
        elif isinstance(node, it.TimeSignature):
            num, frac = node.numerator(), Fraction(node.fraction())
            if num and frac:
                self.times.append((self.written, int(num), int(1 / frac)))
        elif isinstance(node, it.Partial):
            if self.written == 0 and not self.line.events:
                self.partial = Fraction(node.partial_length()) * 4
        elif isinstance(node, it.Tempo):
            self._tempo(node)
        elif isinstance(node, it.Tag):
            for child in list(node)[-1:]:
                self.walk(child)
        elif isinstance(node, it.PartCombine):
            self._simultaneous(list(node))
        elif isinstance(
            node, it.LyricMode | it.ChordMode | it.FigureMode | it.DrumMode | it.LyricsTo
        ):
            return
        elif isinstance(node, it.Music):
            for child in node:
                self.walk(child)

    def _walk_grace(self, node: Any) -> None:
        saved = self.grace
        self.grace = True
        try:
            self.walk(node)
        finally:
            self.grace = saved

    def _chord(self, node: Any) -> None:
        it = self.items
        notes = [c for c in node if isinstance(c, it.Note)]
        if not notes:
            self._advance(node)
            return
        if self.replaying and id(node) in self.memo:
            pitches = self.memo[id(node)]
            self.last_chord = pitches
            self._emit(max(pitches, key=lambda p: p.midi), node, chord=len(pitches) > 1)
            return
        rel = self.relative[-1]
        pitches = []
        ref = None
        first_abs = None
        for n in notes:
            pitch, absolute = self._pitch(n, chord_ref=ref)
            if rel is not None:
                ref = absolute
            if first_abs is None:
                first_abs = absolute
            pitches.append(pitch)
        if rel is not None and first_abs is not None:
            rel.last = first_abs
        self.last_chord = pitches
        self.memo[id(node)] = pitches
        top = max(pitches, key=lambda p: p.midi)
        self._emit(top, node, chord=len(pitches) > 1)

    def _relative(self, node: Any) -> None:
        import ly.pitch

        it = self.items
        children = list(node)
        start = ly.pitch.Pitch(3, 0, 0)  # f: "\relative { c' }" reads c' as written
        if children and isinstance(children[0], it.Note):
            start = children[0].pitch.copy()
            children = children[1:]
        self.relative.append(_Relative(start))
        try:
            for child in children:
                self.walk(child)
        finally:
            self.relative.pop()

    def _transpose(self, node: Any) -> None:
        it = self.items
        children = list(node)
        pitches = [c.pitch for c in children[:2] if isinstance(c, it.Note)]
        if len(pitches) < 2:
            return
        a, b = pitches
        steps = (b.octave * 7 + b.note) - (a.octave * 7 + a.note)
        semis = (b.octave * 12 + _SEMITONES[b.note] + Fraction(b.alter) * 2) - (
            a.octave * 12 + _SEMITONES[a.note] + Fraction(a.alter) * 2
        )
        saved = self.transpose
        self.transpose = (saved[0] + steps, saved[1] + semis)
        # as LilyPond: the music is absolute, and an enclosing \relative goes on from
        # the note before the \transpose
        self.relative.append(None)
        try:
            for child in children[2:]:
                self.walk(child)
        finally:
            self.relative.pop()
            self.transpose = saved

    def _repeat(self, node: Any) -> None:
        it = self.items
        children = list(node)
        alt = children[-1] if children and isinstance(children[-1], it.Alternative) else None
        body = children[:-1] if alt is not None else children
        if alt is None and len(body) == 1 and isinstance(body[0], it.MusicList):
            inner = list(body[0])  # LilyPond 2.24: \alternative at the end of the body
            if inner and isinstance(inner[-1], it.Alternative) and not body[0].simultaneous:
                alt, body = inner[-1], inner[:-1]
        endings: list[Any] = []
        if alt is not None:
            for c in alt:
                endings += list(c) if isinstance(c, it.MusicList) else [c]
        kind = node.specifier()
        unfold = self.options.repeats or kind not in ("volta", "segno")
        if not unfold:
            for child in [*body, *endings]:
                self.walk(child)
            return
        count = node.repeat_count()
        passes = max(count, len(endings))
        order = [endings[0]] * (passes - len(endings)) + endings if endings else []
        start = self.written
        lengths = [Fraction(e.length()) * 4 * self.scale for e in endings]
        end = start
        walked: set[int] = set()
        for k in range(passes):
            self.written = start
            self._replay(body, again=k > 0)
            body_end = self.written
            if order:
                ending = order[k]
                index = endings.index(ending)
                self.written = body_end + sum(lengths[:index], Fraction(0))
                self._replay([ending], again=id(ending) in walked)
                walked.add(id(ending))
                end = max(end, body_end + sum(lengths, Fraction(0)))
            end = max(end, self.written)
        self.written = end

    def _replay(self, nodes: list[Any], again: bool) -> None:
        """Walk ``nodes``; ``again``: with the pitches of their first (written) walk."""
        self.replaying += again
        try:
            for child in nodes:
                self.walk(child)
        finally:
            self.replaying -= again

    def _context(self, node: Any) -> None:
        it = self.items
        kind = node.context()
        music = [c for c in node if _is_music(c, it) or isinstance(c, it.UserCommand)]
        if kind in IGNORED_CONTEXTS:
            return
        if kind in STAFF_CONTEXTS:
            index = len(self.staves) + 1
            name = node.context_id()
            self.staves.append((name if isinstance(name, str) else None, False))
            if self.chosen_staff is None and self._wanted(index, name):
                self.chosen_staff = index
                before = len(self.line.events)
                for child in music:
                    self.walk(child)
                has = any(e.pitch is not None for e in self.line.events[before:])
                self.staves[index - 1] = (self.staves[index - 1][0], has)
                return
            # another part: walked aside (to know whether it holds notes), then dropped
            saved = (self.line, self.time, self.written, self.chosen_staff)
            self.line = _Line()
            self.chosen_staff = -1  # staves inside it are not the chosen one either
            try:
                for child in music:
                    self.walk(child)
                has = any(e.pitch is not None for e in self.line.events)
            finally:
                self.line, self.time, self.written, self.chosen_staff = saved
            self.staves[index - 1] = (self.staves[index - 1][0], has)
            return
        for child in music:
            self.walk(child)

    def _wanted(self, index: int, name: Any) -> bool:
        choice = self.options.part
        if choice is None:
            return True
        if isinstance(choice, str) and choice.strip().isdigit():
            choice = int(choice)
        if isinstance(choice, int):
            return index == choice
        return isinstance(name, str) and name.strip().casefold() == choice.strip().casefold()

    def _simultaneous(self, branches: list[Any]) -> None:
        it = self.items
        branches = [b for b in branches if not isinstance(b, it.VoiceSeparator)]
        start_time, start_written = self.time, self.written
        results: list[tuple[_Line, Fraction, Fraction]] = []
        outer = self.line
        for branch in branches:
            self.line = _Line()
            self.time, self.written = start_time, start_written
            try:
                self.walk(branch)
            finally:
                results.append((self.line, self.time, self.written))
                self.line = outer
        with_notes = [r for r in results if any(e.pitch is not None for e in r[0].events)]
        kept = with_notes[0] if with_notes else None
        if kept is not None:
            outer.absorb(kept[0])
        if len(with_notes) > 1:
            outer.voices.append((start_written, len(with_notes)))
        self.time = max([start_time, *(r[1] for r in results)])
        self.written = max([start_written, *(r[2] for r in results)])

    def _variable(self, node: Any) -> None:
        name = node.name()
        if name in self.expanding:
            raise InputError(f"{self.where}: the variable \\{name} refers to itself")
        value = node.value()
        if value is None or not _is_music(value, self.items):
            return
        self.expanding.add(name)
        try:
            self.walk(value)
        finally:
            self.expanding.discard(name)

    def _key(self, node: Any) -> None:
        tonic = node.pitch()
        mode = node.mode() or "major"
        if tonic is None:
            return
        step, alter = tonic.note, Fraction(tonic.alter) * 2
        if mode in _MODE_STEPS:
            shift = _MODE_STEPS[mode]
            semis = _SEMITONES[step] + alter
            step2 = (step + shift) % 7
            target = semis + {0: 0, -1: -2, -2: -4, -3: -5, -4: -7, 1: 1}[shift]
            alter = (target - _SEMITONES[step2] + 6) % 12 - 6
            step, mode = step2, "major"
        elif mode == "aeolian":
            mode = "minor"
        if mode not in ("major", "minor") or alter.denominator != 1 or abs(alter) > 2:
            return
        name = "CDEFGAB"[step] + ("#" * int(alter) if alter > 0 else "b" * int(-alter))
        if mode == "minor":
            name = name.lower()
        self.keys.append((self.written, f"{name} {mode}"))

    def _tempo(self, node: Any) -> None:
        values = node.tempo()
        fraction = Fraction(node.fraction())
        if values and fraction:
            self.tempos.append((self.written, round(float(values[0] * fraction * 4), 3)))


def _is_first(choice: int | str) -> bool:
    return str(choice).strip() == "1"
