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
- key, time signature, tempo: the first of each; ``\\partial`` numbers the pickup bar 0;
- a bare duration (``c4 8 8``) repeats the note or chord written before it.

Every loss is a warning naming the measures. A file whose braces do not balance is a
:class:`ParseError` with the line and column, and so is a word no language of LilyPond
reads as a note (``xyz4``): LilyPond refuses it, so it is never read as a rest.

A file is refused, with one line that names it and the limit, before anything is played
out (see :mod:`nabi_music.readers.limits`): when it is larger than ``file_mb``; when it
holds more written notes than ``notes`` (all parts; python-ly would hold a tree of them
all); when a repeat or a variable would play out to more notes than ``notes``, or the
repeats and variables to more than :data:`STEPS_PER_NOTE` notes, commands and passes
per note allowed (so that an empty ``\\repeat unfold 1000000000 { }`` is refused too);
when one part holds more notes than ``notes``, a note or rest is longer than
``note_wholes`` whole notes, or the music runs to more bars than ``bars``; and a number
of more than :data:`MAX_DIGITS` digits, a fraction over zero, more than
:data:`MAX_DOTS` dots, a pitch no code spells, a tempo no writer takes. Any other
failure while reading is an :class:`InputError` naming the file. The work a file causes
is bounded by its size, never by a number written in it.
"""

from __future__ import annotations

import bisect
import contextlib
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

from nabi_music.errors import InputError, NabiError, ParseError, shorten
from nabi_music.music.metre import bar_length
from nabi_music.music.notes import MAX_DENOMINATOR, Melody, Note, Pitch
from nabi_music.music.ties import merge_rests, merge_ties
from nabi_music.readers import limits
from nabi_music.readers._common import (
    ReadOptions,
    Report,
    Skipped,
    describe,
    in_measures,
    keep_if_pitched,
    read_text,
)
from nabi_music.readers.header import Header, dropped_message, header_fields, merge

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
STEPS_PER_NOTE = 10
"""Notes and commands (``\\time``, ties, passes of an empty repeat ...) that playing out
the repeats and variables of a file may add, per note the ``notes`` limit allows."""
BASE_PIECES = 10_000
"""Tokens and lines a file may hold besides :data:`STEPS_PER_NOTE` per note: its header,
paper and layout blocks, lyrics and comments, whatever the ``notes`` limit."""
PITCH_ARGUMENTS = {
    "\\key": 1,
    "\\relative": 1,
    "\\fixed": 1,
    "\\transpose": 2,
    "\\transposition": 1,
    "\\octaveCheck": 1,
}
"""Commands whose arguments are pitches written as notes: not counted as notes."""
MAX_DIGITS = 18
"""The most digits of one number in a duration, a fraction or a count (``c4*3/2``)."""
MAX_DOTS = 8
"""The most dots after one duration (``c4..``)."""
MAX_FACTORS = 4
"""The most factors after one duration (``c4*3/2``)."""
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
_WORD = re.compile(r"[^\W\d_]+")
_LONG_NUMBER = re.compile(rf"\d{{{MAX_DIGITS + 1},}}")
_ZERO_DENOMINATOR = re.compile(r"/0+$")
_OCTAVES = range(0, 9)
"""The octaves note codes spell: ``c,,,,`` is C0, ``b''''`` is B8."""
_TEMPOS = (0, 10_000)
"""Quarter notes a minute: a tempo lies strictly between (what the writers take)."""


def read_lilypond(path: Path, source: str, options: ReadOptions | None = None) -> Report:
    """The melodies of a ``.ly`` file: one per ``\\score`` (or top-level music)."""
    text = read_text(path, source)
    return read_lilypond_text(text, source, path.stem, options or ReadOptions())


def read_lilypond_text(text: str, source: str, default_title: str, options: ReadOptions) -> Report:
    """The melodies of LilyPond text (see the module's docstring for the rules)."""
    try:
        return _read(text, source, default_title, options)
    except NabiError:
        raise
    except RecursionError as err:
        raise InputError(
            f"{source}: the music is nested too deeply to read; "
            "expected at most a few hundred levels of { } and commands"
        ) from err
    except MemoryError as err:
        raise InputError(f"{source}: reading the file needs more memory than there is") from err
    except Exception as err:
        raise InputError(
            f"{source}: cannot read this LilyPond file ({shorten(describe(err), 80)}); "
            "expected LilyPond music such as \\relative c' { c4 d e f }"
        ) from err


def _read(text: str, source: str, default_title: str, options: ReadOptions) -> Report:
    import ly.document
    import ly.music.items as items

    text = text.replace("\r", "")  # as python-ly does: the positions agree
    scan = _scan_tokens(text, source)
    if scan.fixed:
        text = _rewrite_fixed(text, scan.fixed)
        scan = _scan_tokens(text, source)
    try:
        root = items.Document(ly.document.Document(text))
    except (RecursionError, MemoryError):
        raise
    except Exception as err:
        raise InputError(
            f"{source}: python-ly cannot parse this LilyPond file "
            f"({shorten(describe(err), 80)}); "
            "expected LilyPond music such as \\relative c' { c4 d e f }"
        ) from err
    for inc in root.find(items.Include):
        inc._document = None  # never follow \include: only this file is read
    tunes = _tunes(root, items)
    context = _Context(source, text, options, items, scan.unknown_words(root, items))
    _check_unfolded(root, [tune.music for tune in tunes], context)
    melodies: list[Melody] = []
    skipped: list[Skipped] = []
    many = len(tunes) > 1
    for index, tune in enumerate(tunes, start=1):
        own_title = _header_title(tune.own, items)
        title = own_title or _header_title(tune.outer, items) or default_title
        if many and not own_title:
            title = f"{title} #{index}"
        walker = _Walker(context, title if many else None)
        walker.walk(tune.music)
        fields, dropped = header_fields(
            merge(_header_values(tune.outer, items), _header_values(tune.own, items))
        )
        melody = walker.melody(title, source, fields)
        if dropped:
            melody = replace(
                melody, warnings=(*melody.warnings, f"{walker.where}: {dropped_message(dropped)}")
            )
        keep_if_pitched(melody, title, melodies, skipped)
    if not tunes:
        skipped.append(Skipped(default_title, "no music expression or \\score block"))
    return melodies, skipped


def check_brackets(text: str, source: str) -> None:
    """Raise :class:`ParseError` at the first ``{ } << >> < >`` that does not pair up,
    and at a number or a duration too long to read (see :func:`_scan_tokens`)."""
    _scan_tokens(text.replace("\r", ""), source)


@dataclass
class _Scan:
    """What one pass over the tokens finds, besides the errors it raises."""

    fixed: list[int] = field(default_factory=list)
    """Where each ``\\fixed`` starts."""
    words: list[tuple[int, str, str]] = field(default_factory=list)
    """``(position, token, kind)`` of the words python-ly may drop without a trace: kind
    ``note`` (lexed as a note name), ``other`` (not lexed at all) or ``name``."""

    def unknown_words(self, root: Any, items: Any) -> list[tuple[int, str, str]]:
        """The words no node of python-ly's tree was made of, in order."""
        if not self.words:
            return []
        notes = {n.position for n in root.iter_depth() if isinstance(n, items.Note)}
        return [w for w in self.words if not (w[2] == "note" and w[0] in notes)]


def _scan_tokens(text: str, source: str) -> _Scan:
    """One pass over the tokens, as they come (none is kept): brackets pair up; numbers,
    dots and factors are few enough to read; the file holds no more notes than the
    ``notes`` limit (the pitches of ``\\key``, ``\\relative`` and the like are not notes),
    and no more tokens and lines than :data:`STEPS_PER_NOTE` per note and
    :data:`BASE_PIECES`, so that python-ly never builds the tree of a larger one (it
    keeps objects of a few hundred bytes for each); and the ``\\fixed`` commands and the
    words to check later are noted."""
    import ly.lex
    import ly.lex.lilypond as lex

    scan = _Scan()
    stack: list[tuple[str, int, int]] = []
    limit = limits.current().notes
    budget = STEPS_PER_NOTE * limit + BASE_PIECES
    notes = pieces = pitch_arguments = 0
    state = ly.lex.state(ly.lex.guessMode(text))
    base = 0
    for line, block in enumerate(_lines(text), start=1):
        dots = factors = 0
        pieces += 1  # python-ly keeps an object for each line, and for each token
        _check_pieces(pieces, budget, source, line)
        for token in state.tokens(block):
            pieces += 1
            _check_pieces(pieces, budget, source, line)
            kind = type(token).__name__
            col = token.pos + 1
            if isinstance(token, lex.Duration):
                if kind == "Length":
                    dots = factors = 0
                dots += isinstance(token, lex.Dot)
                factors += isinstance(token, lex.Scaling)
                if dots > MAX_DOTS or factors > MAX_FACTORS:
                    raise ParseError(
                        f"a duration with {dots} dots and {factors} factors; expected at "
                        f"most {MAX_DOTS} dots and {MAX_FACTORS} factors, as in c4. or c4*3/2",
                        source,
                        line,
                        col,
                    )
            if isinstance(token, lex.Duration | lex.DecimalValue | lex.Fraction):
                _check_number(str(token), kind, source, line, col)
            if kind == "Unparsed":
                if _WORD.search(token):
                    scan.words.append((base + token.pos, str(token), "other"))
                elif token in _CLOSES:  # a closer python-ly could not place: nothing is open
                    _close(stack, str(token), source, line, col)
                continue
            if pitch_arguments and isinstance(token, lex.Note):
                pitch_arguments -= 1  # \key c, \relative c', \transpose c d: not notes
            elif isinstance(token, lex.MusicItem):
                notes += 1
                if notes > limit:
                    raise limits.too_many(
                        "notes written in the file (all parts and chords)",
                        notes,
                        limit,
                        "notes",
                        f"{source}:{line}",
                    )
            if isinstance(token, lex.Note):
                scan.words.append((base + token.pos, str(token), "note"))
            elif kind == "Name":
                scan.words.append((base + token.pos, str(token), "name"))
            elif kind == "Command" and token == "\\fixed":
                scan.fixed.append(base + token.pos)
            if str(token) in PITCH_ARGUMENTS:
                pitch_arguments = PITCH_ARGUMENTS[str(token)]
            elif not isinstance(token, lex.Note | lex.Octave | lex.OctaveCheck | ly.lex.Space):
                pitch_arguments = 0
            mark = _BRACKETS.get(kind)
            if mark is None:
                continue
            if mark in _CLOSES:
                _close(stack, mark, source, line, col)
            else:
                stack.append((mark, line, col))
        base += len(block) + 1
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
    return scan


def _lines(text: str) -> Iterator[str]:
    """The lines of ``text`` one by one (``text.split("\\n")`` without the list)."""
    start = 0
    while (end := text.find("\n", start)) >= 0:
        yield text[start:end]
        start = end + 1
    yield text[start:]


def _check_pieces(pieces: int, budget: int, source: str, line: int) -> None:
    if pieces > budget:
        raise limits.too_many(
            f"tokens and lines in the file ({STEPS_PER_NOTE} per note allowed, "
            f"and {BASE_PIECES:,} more)",
            pieces,
            budget,
            "notes",
            f"{source}:{line}",
        )


def _close(stack: list[tuple[str, int, int]], mark: str, source: str, line: int, col: int) -> None:
    if not stack or stack[-1][0] != _CLOSES[mark]:
        opened = f" (the open {stack[-1][0]!r} is at line {stack[-1][1]})" if stack else ""
        raise ParseError(
            f"LilyPond syntax error: unexpected {mark!r}{opened}; "
            "expected every { << < to be closed by } >> > in order",
            source,
            line,
            col,
        )
    stack.pop()


def _check_number(token: str, kind: str, source: str, line: int, col: int) -> None:
    long = _LONG_NUMBER.search(token)
    if long is not None:
        raise ParseError(
            f"a number of {len(long[0]):,} digits ({shorten(token, 24)}); "
            f"expected at most {MAX_DIGITS} digits",
            source,
            line,
            col,
        )
    if kind in ("Fraction", "Scaling") and _ZERO_DENOMINATOR.search(token):
        raise ParseError(
            f"the fraction {shorten(token, 24)} divides by zero; expected N/M with M at least 1",
            source,
            line,
            col,
        )


def _rewrite_fixed(text: str, starts: list[int]) -> str:
    """``\\fixed c'`` as ``\\transpose c c' \\absolute``: python-ly does not know
    ``\\fixed``, which reads its music as absolute pitches moved by the octave of its pitch."""
    pattern = re.compile(r"\\fixed(\s+)[a-z]+([',]*)")
    for start in reversed(starts):
        m = pattern.match(text, start)
        if m is not None:
            text = text[:start] + f"\\transpose c{m[1]}c{m[2]} \\absolute" + text[m.end() :]
    return text


@dataclass(frozen=True)
class _Tune:
    """One melody's music and the ``\\header`` blocks that apply to it."""

    music: Any
    outer: list[Any]
    """The headers of the file and of the books around it, outermost first."""
    own: list[Any]
    """The headers of its own ``\\score``."""


def _tunes(root: Any, items: Any) -> list[_Tune]:
    """Every \\score and top-level music, with the headers that apply to it."""
    found: list[_Tune] = []

    def visit(container: Any, outer: list[Any]) -> None:
        outer = [*outer, *_headers(container, items)]
        for node in container:
            if isinstance(node, items.Score):
                music = next((c for c in node if _is_music(c, items)), None)
                if music is not None:
                    found.append(_Tune(music, outer, _headers(node, items)))
            elif type(node).__name__ in ("Book", "BookPart"):
                visit(node, outer)
            elif (isinstance(node, items.UserCommand) and _is_music(node.value(), items)) or (
                _is_music(node, items) and not isinstance(node, items.UserCommand)
            ):
                found.append(_Tune(node, outer, []))

    visit(root, [])
    return found


def _headers(container: Any, items: Any) -> list[Any]:
    return [node for node in container if isinstance(node, items.Header)]


def _is_music(node: Any, items: Any) -> bool:
    return isinstance(node, items.Music | items.Durable) and not isinstance(
        node, items.LyricMode | items.ChordMode | items.FigureMode | items.DrumMode
    )


def _header_title(headers: list[Any], items: Any) -> str | None:
    """The title the innermost of ``headers`` gives (a markup's words as text)."""
    for header in reversed(headers):
        for assignment in reversed(list(header)):
            if isinstance(assignment, items.Assignment) and assignment.name() == "title":
                value = assignment.value()
                text = value.plaintext() if value is not None else ""
                if not text and value is not None:
                    text = " ".join(s.plaintext() for s in value.find(items.String))
                if text.strip():
                    return text.strip()
    return None


_PLAIN_MARKUP = frozenset(
    """bold italic upright medium caps smallCaps sans roman typewriter normal-text
    large larger small smaller huge tiny teeny normalsize underline sub super
    normal-size-sub normal-size-super line wordwrap justify column center-column
    left-column right-column center-align left-align right-align fill-line
    vcenter""".split()
)
"""Markup commands that only set how their words look or stand: their words are the
field's plain text (``\\markup \\bold { Trad. }`` is ``Trad.``)."""
_SIZED_MARKUP = frozenset({"fontsize", "abs-fontsize", "magnify"})
"""Markup commands of a number and words: the words are the text."""


def _header_values(headers: list[Any], items: Any) -> list[tuple[str, str]]:
    """The string fields of ``headers`` (outermost first; a later value wins), a simple
    markup as its plain text; other values (Scheme, ``\\fromproperty``) are left out."""
    values: list[tuple[str, str]] = []
    for header in headers:
        for assignment in header:
            if not isinstance(assignment, items.Assignment):
                continue
            name = assignment.name()
            text = _plain_text(assignment.value(), items, follow=True)
            if isinstance(name, str) and text is not None:
                values.append((name, text))
    return merge(values)


def _plain_text(node: Any, items: Any, follow: bool = False) -> str | None:
    """A header value as plain text: a string, a ``#"string"``, a variable holding one
    (``follow``), or a markup of words and :data:`_PLAIN_MARKUP` commands; else None."""
    if isinstance(node, items.String):
        return str(node.value())
    if isinstance(node, items.Markup):
        return _markup_text(list(node), items, " ")
    if isinstance(node, items.Scheme):
        children = list(node)
        if len(children) == 1 and isinstance(children[0], items.String):
            return str(children[0].value())
        return None
    if follow and isinstance(node, items.UserCommand):
        return _plain_text(node.value(), items)
    return None


def _markup_text(nodes: list[Any], items: Any, joiner: str) -> str | None:
    words = []
    for node in nodes:
        if isinstance(node, items.String):
            text: str | None = str(node.value())
        elif isinstance(node, items.MarkupWord):
            text = str(node.token)
        elif isinstance(node, items.MarkupList | items.Markup):
            text = _markup_text(list(node), items, joiner)
        elif isinstance(node, items.MarkupCommand):
            command = str(node.token).lstrip("\\")
            children = list(node)
            if command in _SIZED_MARKUP and children and isinstance(children[0], items.Scheme):
                children = children[1:]
            elif command not in _PLAIN_MARKUP and command != "concat":
                return None
            text = _markup_text(children, items, "" if command == "concat" else joiner)
        else:
            return None
        if text is None:
            return None
        words.append(text)
    return joiner.join(w for w in words if w)


# --- what a file asks for, counted before anything is played out ------------------------


class _Context:
    """What the walks of one file share: its name and text (for line numbers), the
    options, python-ly's item classes, the limits in force, and the words python-ly
    dropped (checked where the walk meets them)."""

    def __init__(
        self,
        source: str,
        text: str,
        options: ReadOptions,
        items: Any,
        unknown: list[tuple[int, str, str]],
    ) -> None:
        self.source = source
        self.text = text
        self.options = options
        self.items = items
        self.limits = limits.current()
        self.unknown = unknown
        self.unknown_at = [w[0] for w in unknown]
        self.checked: set[int] = set()

    def line(self, position: int) -> int:
        return self.text.count("\n", 0, max(position, 0)) + 1

    def column(self, position: int) -> int:
        return position - self.text.rfind("\n", 0, position)

    def at(self, node: Any, suffix: str = "") -> str:
        """``file:line`` of a node, to begin a message."""
        return f"{self.source}:{self.line(node.position)}{suffix}"

    def check_words(self, node: Any, names: bool = False) -> None:
        """Refuse a word python-ly dropped between the children of ``node`` (a note name no
        language has, ``xyz4``); ``names``: also a bare name (after a pitch command)."""
        if not self.unknown or id(node) in self.checked or node.position < 0:
            return
        self.checked.add(id(node))
        lo = bisect.bisect_left(self.unknown_at, node.position)
        if lo == len(self.unknown_at):
            return
        hi = bisect.bisect_left(self.unknown_at, node.end_position(), lo)
        if lo == hi:
            return
        spans = [(child.position, child.end_position()) for child in node]
        for position, token, kind in self.unknown[lo:hi]:
            if (kind == "name" and not names) or any(a <= position < b for a, b in spans):
                continue
            first = _WORD.search(token)
            word = _WORD.match(self.text, position + first.start()) if first else None
            raise ParseError(
                f"unknown note name '{shorten(word[0] if word else token)}'; expected a "
                "note name such as c, cis or bes (or one of the \\language the file names), "
                "or r for a rest",
                self.source,
                self.line(position),
                self.column(position),
            )


def _repeat_parts(node: Any, it: Any) -> tuple[list[Any], list[Any]]:
    """The body of a ``\\repeat`` and its ``\\alternative`` endings."""
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
    return body, endings


def _check_unfolded(root: Any, tunes: list[Any], context: _Context) -> None:
    """Refuse a file whose repeats and variables play out to more than the limits allow,
    before anything is played out (each node is counted once)."""
    counter = _Unfolded(context)
    steps = sum(counter.of(music)[1] for music in tunes)
    written = 0
    stack = [root]
    while stack:
        node = stack.pop()
        written += len(node)
        stack.extend(node)
    budget = STEPS_PER_NOTE * context.limits.notes
    if steps - written > budget:
        raise limits.too_many(
            "notes, commands and passes added by playing out repeats and variables "
            f"({STEPS_PER_NOTE} per note allowed)",
            steps - written,
            budget,
            "notes",
            context.source,
        )


def _is_pitch_argument(node: Any, it: Any) -> bool:
    """The pitch of ``\\key c``, ``\\relative c'``, ``\\transpose c d``: written as a note,
    played as none."""
    parent = node.parent()
    if isinstance(parent, it.KeySignature):
        return True
    return isinstance(parent, it.Relative | it.Transpose) and node is not parent[-1]


class _Unfolded:
    """Counts the notes and the steps (notes and commands) the walk of a node meets once
    its repeats and variables are played out, without playing them out: a repeat counts
    its body times its count (a pass of an empty body as one step), a variable its value.
    A repeat or variable that plays out to more than the limits allow is refused here."""

    def __init__(self, context: _Context) -> None:
        self.context = context
        self.items = context.items
        self.memo: dict[int, tuple[int, int]] = {}
        self.open: set[int] = set()

    def of(self, node: Any) -> tuple[int, int]:
        """``(notes, steps)`` of ``node`` played out."""
        key = id(node)
        known = self.memo.get(key)
        if known is not None:
            return known
        if key in self.open:
            return 0, 1  # a variable that refers to itself: the walk refuses it
        self.open.add(key)
        try:
            found = self._count(node)
        finally:
            self.open.discard(key)
        self.memo[key] = found
        return found

    def _count(self, node: Any) -> tuple[int, int]:
        it = self.items
        if isinstance(node, it.Durable) and not isinstance(node, it.LyricText):
            return (0, 1) if _is_pitch_argument(node, it) else (1, 1)
        if isinstance(node, it.LyricMode | it.ChordMode | it.FigureMode | it.DrumMode):
            return 0, 1
        if isinstance(node, it.LyricsTo) or (
            isinstance(node, it.Context) and node.context() in IGNORED_CONTEXTS
        ):
            return 0, 1
        if isinstance(node, it.UserCommand):
            value = node.value()
            if value is None or not _is_music(value, it):
                return 0, 1
            notes, steps = self.of(value)
            self._check(node, f"\\{shorten(node.name(), 30)}", notes, steps + 1)
            return notes, steps + 1
        if isinstance(node, it.Repeat):
            return self._repeat(node)
        children = _tagged(node, it) if isinstance(node, it.Tag) else node
        notes, steps = 0, 1
        for child in children:
            n, s = self.of(child)
            notes += n
            steps += s
        return notes, steps

    def _repeat(self, node: Any) -> tuple[int, int]:
        body, endings = _repeat_parts(node, self.items)
        kind = node.specifier()
        notes = steps = 0
        for child in body:
            n, s = self.of(child)
            notes += n
            steps += s
        counted = [self.of(e) for e in endings]
        end_notes = sum(n for n, _ in counted)
        end_steps = sum(s for _, s in counted)
        if not (self.context.options.repeats or kind not in ("volta", "segno")):
            return notes + end_notes, 1 + steps + end_steps
        count = node.repeat_count()
        passes = max(count, len(endings))
        notes *= passes
        steps = 1 + passes * max(1, steps)
        if counted:  # the passes beyond the endings take the first ending
            notes += (passes - len(counted)) * counted[0][0] + end_notes
            steps += (passes - len(counted)) * max(1, counted[0][1]) + end_steps
        self._check(node, f"\\repeat {shorten(kind, 20)} {count}", notes, steps)
        return notes, steps

    def _check(self, node: Any, what: str, notes: int, steps: int) -> None:
        limit = self.context.limits.notes
        if notes > limit:
            raise limits.too_many(
                f"notes once {what} is played out", notes, limit, "notes", self.context.at(node)
            )
        if steps > STEPS_PER_NOTE * limit:
            raise limits.too_many(
                f"notes, commands and passes once {what} is played out "
                f"({STEPS_PER_NOTE} per note allowed)",
                steps,
                STEPS_PER_NOTE * limit,
                "notes",
                self.context.at(node),
            )


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

    def __init__(self, context: _Context, title: str | None) -> None:
        self.context = context
        self.suffix = f" ({title})" if title else ""
        self.where = context.source + self.suffix
        self.options = context.options
        self.items = context.items
        self.limits = context.limits
        self.time = Fraction(0)
        self.written = Fraction(0)
        self.scale = Fraction(1)
        self.grace = False
        self.line = _Line()
        self.relative: list[_Relative | None] = [None]
        self.transpose = (0, 0)  # steps, semitones
        self.last_chord: list[Pitch] = []
        self.previous: list[Pitch] = []  # the last note's or chord's, for a bare duration
        self.expanding: set[str] = set()
        # Pitches resolved on the first (written) pass, reused when a repeat is played
        # again: \relative works on the written text, once.
        self.memo: dict[int, list[Pitch]] = {}
        self.replaying = 0
        self.staves: list[tuple[str | None, bool]] = []  # (name, holds notes)
        self.chosen_staff: int | None = None
        self.keys: list[tuple[Fraction, str]] = []
        self.times: list[tuple[Fraction, int, int]] = []
        self.tempos: list[tuple[Fraction, float]] = []
        self.partial: Fraction | None = None

    # -- results --

    def melody(self, title: str, source: str, header: Header = ()) -> Melody:
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
        measure = self._measure_numbers()
        self._check_bars()
        notes = self._notes()
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
            header=header,
            pickup=self._pickup(),
        )

    def _pickup(self) -> Fraction | None:
        """The ``\\partial`` at the start, when it is shorter than a bar of the first time
        signature (of 4/4 when there is none): the opening short bar."""
        if not self.partial:
            return None
        bar = Fraction(4 * self.times[0][1], self.times[0][2]) if self.times else Fraction(4)
        return self.partial if self.partial < bar else None

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
        """A function: written time in quarters -> measure number (a pickup is measure 0).

        The bars are counted, not listed: one stretch per time signature in force, and
        music of more bars than the ``bars`` limit is refused."""
        end = max((e.written + e.duration for e in self.line.events), default=Fraction(0))
        end = max([end, *self.line.graces, *(t for t, _ in self.line.voices)])
        changes = sorted(((t, Fraction(4 * n, d)) for t, n, d in self.times), key=lambda c: c[0])
        stretches: list[tuple[Fraction, int, Fraction]] = []  # (start, number, bar length)
        t, number, length = self.partial or Fraction(0), 1, Fraction(4)
        if self.partial:
            stretches.append((Fraction(0), 0, self.partial))
        k = 0
        while True:
            while k < len(changes) and changes[k][0] <= t:
                length = max(changes[k][1], Fraction(1, 64))
                k += 1
            stretches.append((t, number, length))
            if k == len(changes) or changes[k][0] > end:
                break
            bars = math.ceil((changes[k][0] - t) / length)
            t, number = t + bars * length, number + bars
        starts = [start for start, _, _ in stretches]

        def measure(when: Fraction) -> int:
            start, first, bar = stretches[max(0, bisect.bisect_right(starts, when) - 1)]
            return first + int((when - start) // bar)

        last = stretches[-1]
        bars = measure(end) - (end > last[0] and (end - last[0]) % last[2] == 0)
        if bars > self.limits.bars:
            raise limits.too_many("bars", bars, self.limits.bars, "bars", self.where)
        return measure

    def _check_bars(self) -> None:
        """Refuse a melody that plays out to more bars than the ``bars`` limit (bars of its
        first time signature, or of 4/4)."""
        end = max((e.start + e.duration for e in self.line.events), default=Fraction(0))
        bar = Fraction(4)  # and for a time signature no writer takes
        if self.times:
            with contextlib.suppress(InputError):
                bar = bar_length(f"{self.times[0][1]}/{self.times[0][2]}")
        bars = math.ceil(end / bar)
        if bars > self.limits.bars:
            raise limits.too_many(
                "bars once the repeats are played out", bars, self.limits.bars, "bars", self.where
            )

    # -- emitting --

    def _at(self, node: Any) -> str:
        return self.context.at(node, self.suffix)

    def _emit(self, pitch: Pitch | None, node: Any, chord: bool = False) -> None:
        base, scaling = node.duration
        duration = Fraction(base) * Fraction(scaling) * 4 * self.scale
        if self.grace:
            if pitch is not None:
                self.line.graces.append(self.written)
            return
        if duration <= 0:
            return
        self._check_length(duration, node)
        if chord:
            self.line.chords.append(self.written)
        self.line.events.append(_Event(self.time, duration, pitch, self.written))
        self._check_count(node)
        self._move(duration, node)

    def _advance(self, node: Any) -> None:
        if self.grace:
            return
        base, scaling = node.duration
        duration = Fraction(base) * Fraction(scaling) * 4 * self.scale
        if duration > 0:
            self._check_length(duration, node)
            self._move(duration, node)

    def _move(self, duration: Fraction, node: Any) -> None:
        self.time += duration
        self.written += duration
        if max(self.time.denominator, self.written.denominator) > MAX_DENOMINATOR:
            raise InputError(
                f"{self._at(node)}: the durations divide the beat too finely to follow "
                f"(a time of {self.time.denominator.bit_length()} bits of denominator); "
                "expected the tuplets of music, such as \\tuplet 3/2 or \\tuplet 5/4"
            )

    def _check_length(self, duration: Fraction, node: Any, what: str = "") -> None:
        """Refuse a note or rest (or pickup) longer than the ``note_wholes`` limit."""
        limit = self.limits.note_wholes
        if duration > 4 * limit:
            raise limits.too_many(
                f"whole notes in {what or 'one note or rest'}",
                math.ceil(duration / 4),
                limit,
                "note_wholes",
                self._at(node),
            )

    def _check_count(self, node: Any) -> None:
        """Refuse a part (one line of notes) of more notes than the ``notes`` limit."""
        count, limit = len(self.line.events), self.limits.notes
        if count > limit:
            raise limits.too_many(
                "notes and rests in one part", count, limit, "notes", self._at(node)
            )

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
            respelled = self._in_range(Pitch.from_midi(midi), note)
            self.line.respelled.append(
                f"respelled a note of alteration {float(alter):g} as {respelled.name} "
                "(no such accidental in codes)"
            )
            return respelled, absolute
        return self._in_range(Pitch("cdefgab"[step], int(alter), octave + 3), note), absolute

    def _in_range(self, pitch: Pitch, note: Any) -> Pitch:
        if pitch.octave not in _OCTAVES:
            raise InputError(
                f"{self._at(note)}: the note "
                f"{shorten(str(note.token) + str(note.octave_token or ''), 30)} is in octave "
                f"{pitch.octave}; expected a pitch from C0 to B8, the range of note codes"
            )
        return pitch

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
            self.previous = [pitch]
            self._emit(pitch, node)
        elif isinstance(node, it.Chord):
            self._chord(node)
        elif isinstance(node, it.Q):
            if self.last_chord:
                self.previous = self.last_chord
                top = max(self.last_chord, key=lambda p: p.midi)
                self._emit(top, node, chord=len(self.last_chord) > 1)
            else:
                self._advance(node)
        elif isinstance(node, it.Rest):
            self._emit(None, node)
        elif isinstance(node, it.Unpitched):
            self._unpitched(node)
        elif isinstance(node, it.Skip | it.DrumNote):
            self._advance(node)
        elif isinstance(node, it.Tie):
            if self.line.events and not self.grace:
                self.line.events[-1].tie = True
        elif isinstance(node, it.MusicList):
            self.context.check_words(node)
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
                length = Fraction(node.partial_length()) * 4
                self._check_length(length, node, "the \\partial")
                self.partial = length
        elif isinstance(node, it.Tempo):
            self._tempo(node)
        elif isinstance(node, it.Tag):
            for child in _tagged(node, it):
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

    def _unpitched(self, node: Any) -> None:
        """A bare duration (``c4 8 8``): LilyPond plays the note or chord before it (in
        the written order), or nothing at the start."""
        if self.replaying and id(node) in self.memo:
            pitches = self.memo[id(node)]
        else:
            pitches = self.memo[id(node)] = self.previous
        if not pitches:
            self._advance(node)
            return
        self._emit(max(pitches, key=lambda p: p.midi), node, chord=len(pitches) > 1)

    def _chord(self, node: Any) -> None:
        it = self.items
        self.context.check_words(node)
        notes = [c for c in node if isinstance(c, it.Note)]
        if not notes:
            self._advance(node)
            return
        if self.replaying and id(node) in self.memo:
            pitches = self.memo[id(node)]
            self.last_chord = self.previous = pitches
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
        self.last_chord = self.previous = pitches
        self.memo[id(node)] = pitches
        top = max(pitches, key=lambda p: p.midi)
        self._emit(top, node, chord=len(pitches) > 1)

    def _relative(self, node: Any) -> None:
        import ly.pitch

        it = self.items
        self.context.check_words(node, names=True)
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
        self.context.check_words(node, names=True)
        children = list(node)
        pitches = [c.pitch for c in children[:2] if isinstance(c, it.Note)]
        if len(pitches) < 2:
            raise InputError(
                f"{self._at(node)}: \\transpose without its two pitches; expected "
                "\\transpose c d { ... }"
            )
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
        body, endings = _repeat_parts(node, self.items)
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
            self._check_count(branches[results.index(kept)])
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
        self.context.check_words(node, names=True)
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
            bpm = Fraction(values[0]) * fraction * 4
            low, high = _TEMPOS
            if not low < bpm < high:
                raise InputError(
                    f"{self._at(node)}: a \\tempo of {float(bpm):g} quarter notes a minute; "
                    f"expected more than {low} and less than {high:,}"
                )
            self.tempos.append((self.written, round(float(bpm), 3)))


def _tagged(node: Any, it: Any) -> list[Any]:
    """The music of ``\\tag``, ``\\keepWithTag`` ...: its children after the tag's symbol.
    A bare word symbol (``\\tag score { }``) is no node of python-ly's, which then takes
    the music after it as a child as well: it is walked too, as LilyPond plays it."""
    children = list(node)
    if children and isinstance(children[0], it.Scheme | it.String):
        children = children[1:]
    return children


def _is_first(choice: int | str) -> bool:
    return str(choice).strip() == "1"
