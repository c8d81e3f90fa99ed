"""Reader for ABC (``.abc``), in time and memory linear in the file.

music21 reads ABC in two steps: a tokenizer (linear in the text: pitches with the key
and the bar's accidentals applied, lengths with ``L:``, broken rhythms and tuplets) and
a translation into music21 streams, whose bar-by-bar insertions, beaming and repeat
expansion take time quadratic in the number of bars (a tune of 8,000 notes took 160 s).
This reader keeps music21's tokenizer and turns its tokens into notes itself, bar by
bar, with repeats played out by :mod:`nabi_music.readers.repeats`: the codes are
music21's for every tune of the Essen ``kinder`` collection and the repository's
ABC files. Voices (``V:``) become parts as music21 splits them; only a tune whose
clef transposes (``K:C clef=bass transpose=-12``...) goes through music21's own
translation.

Before music21 sees the text, every number that could make it expand anything is
checked against :mod:`nabi_music.readers.limits`: ``M:`` and ``L:`` fields (a time
signature of a billion beats makes music21 allocate them), the notes and bars of each
tune, and each note's length (``C999999999``, ``C/0``). Each tune is tokenized on its
own, with the file header before the first ``X:`` (ABC's rule: the tunes of a file are
independent).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

from nabi_music import backend
from nabi_music.errors import InputError
from nabi_music.music.notes import Melody, Note, Pitch
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
from nabi_music.readers.header import Header, dropped_message, header_fields
from nabi_music.readers.music21_bridge import (
    Log,
    clean_title,
    collector_paused,
    key_name,
    melody_from_score,
    pitch_of,
    sane_tempo,
    to_fraction,
)
from nabi_music.readers.repeats import Bar, has_repeats, play_order

LABEL = "ABC"
#: The largest denominator of a ``M:`` or ``L:`` field (music21 builds a time
#: signature's beats one by one).
MAX_FIELD_DENOMINATOR = 1024
MAX_FIELD_DIGITS = 9
_FIELD_LINE = re.compile(r"^[ \t]*([MLQ]):(.*)$", re.MULTILINE)
_INLINE_FIELD = re.compile(r"\[([ML]):([^\]\n]*)\]")
_DIGITS = re.compile(r"\d+")
#: The file header is read with every tune: its copies may be at most this many times
#: the file.
MAX_HEADER_COPIES = 4
#: Slurs and crescendos open at once (music21 copies the open ones onto every note).
MAX_OPEN_SPANNERS = 16
#: What is not music in a tune's body: strings, decorations, comments, inline fields.
_NOT_MUSIC = re.compile(r'"[^"\n]*"|![^!\n]*!|\+[^+\n]*\+|%[^\n]*|\[[A-Za-z]:[^\]\n]*\]')
_SPANNER_DECORATIONS = {"crescendo(", "crescendo)", "diminuendo(", "diminuendo)"}
_PARENS = re.compile(r"!(?:crescendo|diminuendo)[()]!|\(\d?|\)")
_LONG_NUMBER = re.compile(r"\d{" + str(MAX_FIELD_DIGITS + 1) + ",}")
_OVER_ZERO = re.compile(r"[A-Ga-gz,'\]]\d*/+0+(?!\d)")
_CHORD = re.compile(r"\[[^\]\n|]*\]")
_NOTE_LETTER = re.compile(r"[A-Ga-gz]")
#: ABC's information fields kept as header fields (``Melody.header``), by LilyPond's name
#: of the field or, where LilyPond has none, ABC's own name in lower case. A second
#: ``T:`` is the subtitle.
HEADER_FIELDS = {
    "C": "composer",
    "O": "origin",
    "A": "area",
    "S": "source",
    "Z": "transcription",
    "B": "book",
    "D": "discography",
    "H": "history",
    "N": "notes",
    "R": "rhythm",
}


def read_abc(path: Path, source: str, options: ReadOptions | None = None) -> Report:
    """Every tune of an ABC file, one :class:`Melody` each (see the module docstring)."""
    options = options or ReadOptions()
    try:
        text = read_text(path, source)
    except InputError as err:
        why = str(err).removeprefix(f"{source}: ")
        if "--limit" in why:
            raise
        raise InputError(f"{source}: cannot read as {LABEL} ({why})") from err
    header, tunes = _split_tunes(text)
    if len(header) * (len(tunes) - 1) > MAX_HEADER_COPIES * len(text):
        raise InputError(
            f"{source}: a file header of {len(header):,} characters before {len(tunes):,} "
            f"tunes, each read with it; expected a header shorter than the tunes (at most "
            f"{MAX_HEADER_COPIES} times the file's size in all)"
        )
    _check_fields(text, source)
    version = _version(text, source)
    many = len(tunes) > 1
    melodies: list[Melody] = []
    skipped: list[Skipped] = []
    for index, (number, first_line, body) in enumerate(tunes, start=1):
        title = path.stem if not many else f"{path.stem} #{number or index}"
        try:
            _check_music(body, source, first_line)
            with collector_paused():
                tokens = _tokenize(header + body, version, source)
                _check_tokens(tokens, source, body, first_line)
                melody = _read_tune(tokens, version, source, title, many, options)
        except InputError as err:
            if not many:
                raise
            skipped.append(Skipped(title, str(err).removeprefix(f"{source}: ")))
            continue
        except Exception as err:  # music21's translation of a tune it cannot read
            if not many:
                raise InputError(
                    f"{source}: cannot read as {LABEL} ({describe(err)}); "
                    f"expected a valid {LABEL} file"
                ) from err
            skipped.append(Skipped(title, f"cannot convert the tune ({describe(err)})"))
            continue
        keep_if_pitched(melody, title, melodies, skipped)
    return melodies, skipped


# --- the text, before music21 ----------------------------------------------


def _split_tunes(text: str) -> tuple[str, list[tuple[int | None, int, str]]]:
    """The file header (before the first ``X:``) and each tune: (number, line, text)."""
    lines = text.splitlines(keepends=True)
    starts = [k for k, line in enumerate(lines) if line.lstrip().startswith("X:")]
    if not starts:
        return "", [(None, 1, text)]
    # the header goes before every tune (comments and blank lines need not)
    header = "".join(x for x in lines[: starts[0]] if x.strip() and not x.lstrip().startswith("%"))
    tunes = []
    for k, start in enumerate(starts):
        end = starts[k + 1] if k + 1 < len(starts) else len(lines)
        digits = _DIGITS.search(lines[start])
        number = int(digits.group()) if digits and len(digits.group()) <= 9 else None
        tunes.append((number, start + 1, "".join(lines[start:end])))
    return header, tunes


def _line_at(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _shown(value: str) -> str:
    value = value.strip()
    return repr(value if len(value) <= 40 else value[:37] + "...")


def _number(digits: str, source: str, line: int, field_text: str) -> int:
    if len(digits) > MAX_FIELD_DIGITS:
        raise InputError(
            f"{source}:{line}: a number of {len(digits):,} digits in {_shown(field_text)}; "
            f"expected at most {MAX_FIELD_DIGITS}"
        )
    return int(digits)


def _check_fields(text: str, source: str) -> None:
    """``M:`` and ``L:`` as music21 reads them (the first number on each side of the
    ``/``), and the digits of ``Q:``, checked before music21 builds anything from them."""
    wholes = limits.current().note_wholes
    fields = [(m.group(1), m.group(2), m.start()) for m in _FIELD_LINE.finditer(text)]
    fields += [(m.group(1), m.group(2), m.start()) for m in _INLINE_FIELD.finditer(text)]
    for tag, value, at in fields:
        line = _line_at(text, at)
        shown = f"{tag}:{value.strip()}"
        for digits in _DIGITS.findall(value):
            _number(digits, source, line, shown)
        data = value.split("%", 1)[0].strip()
        if tag == "Q" or "/" not in data or data.count("/") > 1:
            continue
        top, bottom = data.split("/")
        top_digits, bottom_digits = _DIGITS.search(top), _DIGITS.search(bottom)
        if top_digits is None or bottom_digits is None:
            continue
        n, d = int(top_digits.group()), int(bottom_digits.group())
        if d == 0:
            raise InputError(
                f"{source}:{line}: {_shown(shown)} divides by zero; "
                f"expected a fraction such as {tag}:{'3/4' if tag == 'M' else '1/8'}"
            )
        if n == 0 and tag == "M":
            raise InputError(f"{source}:{line}: {_shown(shown)} has no beats; expected M:3/4")
        if d > MAX_FIELD_DENOMINATOR:
            raise InputError(
                f"{source}:{line}: {_shown(shown)}: a denominator of {d:,}; "
                f"expected at most {MAX_FIELD_DENOMINATOR}"
            )
        if Fraction(n, d) > wholes:
            what = "whole notes in one bar" if tag == "M" else "whole notes in the unit length"
            raise limits.too_many(
                what, -(-n // d), wholes, "note_wholes", f"{source}:{line}: {_shown(shown)}"
            )


def _version(text: str, source: str) -> Any:
    """The ABC version the file declares (``%abc-2.1``), as music21 reads it."""
    abc_format = backend.music21("abcFormat")
    handler = abc_format.ABCHandler()
    try:
        handler.parseHeaderForVersionInformation(text[:100])
    except Exception as err:
        raise InputError(f"{source}: cannot read as {LABEL} ({describe(err)})") from err
    return handler.abcVersion


def _check_music(body: str, source: str, first_line: int) -> None:
    """The music of one tune, before music21 tokenizes it: every number short, no length
    over zero, slurs and crescendos open at once few (music21 copies the open ones onto
    every note), and far from more notes or bars than the limits (a lower bound of the
    notes: a chord counts once)."""
    limit = limits.current()
    lines = [
        "" if _FIELD_LINE.match(x) or re.match(r"^[ \t]*[A-Za-z]:", x) else x
        for x in body.split("\n")
    ]
    music = _NOT_MUSIC.sub(lambda m: _blank(m.group()), "\n".join(lines))

    def line_of(at: int) -> str:
        return f"{source}:{first_line + music.count(chr(10), 0, at)}"

    for found in _LONG_NUMBER.finditer(music):
        raise InputError(
            f"{line_of(found.start())}: a number of {len(found.group()):,} digits; "
            f"expected at most {MAX_FIELD_DIGITS}"
        )
    for found in _OVER_ZERO.finditer(music):
        raise InputError(
            f"{line_of(found.start())}: a length divided by zero ({_shown(found.group())}); "
            "expected a length such as C/2 or C3/2"
        )
    spanners = 0  # slurs and crescendos open; a tuplet's (3 is closed by no parenthesis
    for found in _PARENS.finditer(music):
        mark = found.group()
        if mark[1:2].isdigit():
            continue
        if mark == ")" or mark.endswith(")!"):
            spanners = max(0, spanners - 1)
            continue
        spanners += 1
        if spanners > MAX_OPEN_SPANNERS:
            raise InputError(
                f"{line_of(found.start())}: {spanners:,} slurs or crescendos open at once; "
                f"expected at most {MAX_OPEN_SPANNERS}"
            )
    chords = len(_CHORD.findall(music))
    notes = len(_NOTE_LETTER.findall(_CHORD.sub(" ", music))) + chords
    if notes > 2 * limit.notes:
        raise limits.too_many(
            "notes written in the tune", notes, limit.notes, "notes", f"{source}:{first_line}"
        )
    bars = music.count("|")
    if bars > 2 * limit.bars:
        raise limits.too_many(
            "bars written in the tune", bars, limit.bars, "bars", f"{source}:{first_line}"
        )


def _blank(text: str) -> str:
    """A string, comment or decoration as spaces (keeping its lines), or a crescendo's
    and diminuendo's start and end as music21 reads them: as a parenthesis."""
    if text.startswith("!") and text[1:-1] in _SPANNER_DECORATIONS:
        return text
    return re.sub(r"[^\n]", " ", text)


def _tokenize(text: str, version: Any, source: str) -> list[Any]:
    """music21's tokens of one tune (with the file header)."""
    abc_format = backend.music21("abcFormat")
    handler = abc_format.ABCHandler(abcVersion=version)
    try:
        handler.tokenize(text)
        handler.tokenProcess()
    except InputError:
        raise
    except Exception as err:
        raise InputError(
            f"{source}: cannot read as {LABEL} ({describe(err)}); expected a valid {LABEL} file"
        ) from err
    return list(handler.tokens)


# --- tokens -> notes -------------------------------------------------------


@dataclass
class _Measure:
    notes: list[Note] = field(default_factory=list)
    start: bool = False
    end: int = 0
    ending: int = 0
    number: int | None = None
    bar: Fraction | None = None  # the length of a bar, from an M: field in this measure


@dataclass
class _Tune:
    """What one tune's tokens hold, before repeats are played out."""

    measures: list[_Measure] = field(default_factory=list)
    graces: list[int | None] = field(default_factory=list)
    chords: list[int | None] = field(default_factory=list)
    title: str | None = None
    key: Any = None
    meter: Any = None
    tempo: Any = None
    pickup: Fraction | None = None
    """The length of the first bar when it is shorter than a bar of the first ``M:``."""


def _needs_music21(tokens: list[Any]) -> bool:
    """Clefs that transpose are left to music21's own translation."""
    abc_format = backend.music21("abcFormat")
    for t in tokens:
        if isinstance(t, abc_format.ABCMetadata) and t.isKey():
            clef, transposition = t.getClefObject()
            if clef is not None and transposition:
                return True
    return False


def _parts(tokens: list[Any]) -> list[list[Any]]:
    """The tokens of each part, as music21 splits a tune: at every ``V:`` field that
    names a voice by number, each part after the tokens before the first (two or more
    such fields; one is no split)."""
    abc_format = backend.music21("abcFormat")
    starts = [
        k
        for k, t in enumerate(tokens)
        if isinstance(t, abc_format.ABCMetadata) and t.isVoice() and t.data[:1].isdigit()
    ]
    if len(starts) <= 1:
        return [tokens]
    ends = [*starts[1:], len(tokens)]
    return [tokens[: starts[0]] + tokens[a:b] for a, b in zip(starts, ends, strict=True)]


def _choose(tunes: list[_Tune], choice: int | str | None, source: str) -> int:
    """The index of the part ``choice`` names (a number from 1; ABC parts have no names),
    or of the first part with a note."""
    pitched = [k for k, t in enumerate(tunes) if _has_pitch(t)]
    if choice is None:
        return pitched[0] if pitched else 0
    text = str(choice).strip()
    if text.isdigit() and 1 <= int(text) <= len(tunes):
        return int(text) - 1
    listing = ", ".join(f"{k} (unnamed)" for k in range(1, len(tunes) + 1))
    count = f"{len(tunes)} part{'s' if len(tunes) != 1 else ''}"
    raise InputError(f"{source}: no part {choice!r}; the score has {count}: {listing}")


def _has_pitch(tune: _Tune) -> bool:
    return any(not n.is_rest for m in tune.measures for n in m.notes)


def _read_tune(
    tokens: list[Any],
    version: Any,
    source: str,
    default_title: str,
    many: bool,
    options: ReadOptions,
) -> Melody:
    abc_format = backend.music21("abcFormat")
    if _needs_music21(tokens):
        handler = abc_format.ABCHandler(abcVersion=version)
        handler.tokens = tokens
        score = abc_format.translate.abcToStreamScore(handler)
        melody = melody_from_score(score, source, default_title, many, options)
        return _with_header(melody, tokens, f"{source} ({melody.title})" if many else source)
    title = clean_title(_first_title(tokens), default_title) or default_title
    log = Log(f"{source} ({title})" if many else source)
    header, dropped = _header(tokens)
    if dropped:
        log.add(dropped_message(dropped))
    logs = [Log(log.where) for _ in _parts(tokens)]
    tunes = [_tune(part, part_log) for part, part_log in zip(_parts(tokens), logs, strict=True)]
    chosen = _choose(tunes, options.part, source)
    others = [k + 1 for k, t in enumerate(tunes) if k != chosen and _has_pitch(t)]
    if others:
        log.add(
            f"{len(others) + _has_pitch(tunes[chosen])} parts; kept part {chosen + 1} and "
            f"dropped part{'s' if len(others) > 1 else ''} {', '.join(map(str, others))}"
        )
    log.messages += logs[chosen].messages
    tune = tunes[chosen]
    bars = [
        Bar(m.start, m.end, frozenset({m.ending}) if m.ending else frozenset(), len(m.notes))
        for m in tune.measures
    ]
    if options.repeats and has_repeats(bars):
        order = play_order(bars, log.where)
    else:
        order = range(len(bars))
    notes = [n for i in order for n in tune.measures[i].notes]
    if tune.graces:
        log.add(f"dropped {len(tune.graces)} grace note(s){in_measures(tune.graces)} (no duration)")
    if tune.chords:
        log.add(f"reduced {len(tune.chords)} chord(s){in_measures(tune.chords)} to their top note")
    key = tune.key if tune.key is not None else _first_key(tokens)
    tempo = None
    if tune.tempo is not None:
        bpm = tune.tempo.getQuarterBPM()
        tempo = sane_tempo(bpm, log) if bpm else None
    return Melody(
        notes=tuple(merge_rests(merge_ties(notes))),
        title=title,
        key=key_name(key, log) if key is not None else None,
        time_signature=tune.meter.ratioString if tune.meter is not None else None,
        tempo=tempo,
        program=None,
        source=source,
        warnings=tuple(log.messages),
        header=header,
        pickup=tune.pickup,
    )


def _with_header(melody: Melody, tokens: list[Any], where: str) -> Melody:
    """A melody music21 translated, with the header fields of its tokens."""
    header, dropped = _header(tokens)
    warnings = melody.warnings
    if dropped:
        warnings = (*warnings, f"{where}: {dropped_message(dropped)}")
    return replace(melody, header=header, warnings=warnings)


def _header(tokens: list[Any]) -> tuple[Header, int]:
    """The header fields of a tune (:data:`HEADER_FIELDS`, a second ``T:`` as subtitle):
    the fields of the file header and the tune header, up to its ``K:``; a field given
    more than once joins its values with ``; ``. Also how many fields were dropped."""
    abc_format = backend.music21("abcFormat")
    values: dict[str, list[str]] = {}
    titles = 0
    for t in tokens:
        if isinstance(t, abc_format.ABCNote | abc_format.ABCChord):
            break
        if not isinstance(t, abc_format.ABCMetadata):
            continue
        if t.isKey():
            break
        if t.isTitle():
            titles += 1
            if titles > 1:
                values.setdefault("subtitle", []).append(_title_text(t.data))
        elif t.tag in HEADER_FIELDS:
            values.setdefault(HEADER_FIELDS[t.tag], []).append(t.data)
    return header_fields(
        (name, "; ".join(v.strip() for v in found if v.strip())) for name, found in values.items()
    )


def _check_tokens(tokens: list[Any], source: str, body: str, first_line: int) -> None:
    """The notes and bars of the tune (its text ``body`` starts at ``first_line``), and
    each note's length, against the limits."""
    abc_format = backend.music21("abcFormat")
    limit = limits.current()
    longest = 4 * limit.note_wholes
    notes = bars = 0
    for t in tokens:
        if isinstance(t, abc_format.ABCBar):
            bars += 1
        elif isinstance(t, abc_format.ABCNote):
            notes += 1
            length = abs(Fraction(t.quarterLength))
            if length > longest:
                raise limits.too_many(
                    "whole notes in one note or rest",
                    int(length / 4),
                    limit.note_wholes,
                    "note_wholes",
                    f"{_where(source, body, first_line, t.src)}: {_shown(t.src)}",
                )
    where = f"{source}:{first_line}"
    if notes > limit.notes:
        raise limits.too_many("notes written in the tune", notes, limit.notes, "notes", where)
    if bars > limit.bars:
        raise limits.too_many("bars written in the tune", bars, limit.bars, "bars", where)


def _where(source: str, body: str, first_line: int, text: str) -> str:
    """``file:line`` of the first place ``text`` is written in the tune (file alone if
    music21 rewrote it)."""
    at = body.find(text)
    return f"{source}:{first_line + body.count(chr(10), 0, at)}" if at >= 0 else source


def _first_title(tokens: list[Any]) -> str | None:
    """The first ``T:``, as music21's metadata shows it (``Hunt, The`` -> ``The Hunt``)."""
    abc_format = backend.music21("abcFormat")
    for t in tokens:
        if isinstance(t, abc_format.ABCMetadata) and t.isTitle():
            return _title_text(t.data)
    return None


def _title_text(data: str) -> str:
    """A ``T:`` field as music21's metadata shows it (``Hunt, The`` -> ``The Hunt``)."""
    metadata = backend.music21("metadata")
    md = metadata.Metadata()
    md.add("title", data)
    return str(md.bestTitle or "")


def _first_key(tokens: list[Any]) -> Any:
    """The first ``K:`` of the whole tune: the key of every voice, even when the header
    declares its voices (``V:1``, ``V:2``) before it."""
    abc_format = backend.music21("abcFormat")
    for t in tokens:
        if isinstance(t, abc_format.ABCMetadata) and t.isKey():
            return t.getKeySignatureObject()
    return None


def _tune(tokens: list[Any], log: Log) -> _Tune:
    """Measures of notes (with their repeat signs) and the metadata, from the tokens;
    pitches the codes cannot spell are respelled with a warning in ``log``."""
    abc_format = backend.music21("abcFormat")
    pitch_module = backend.music21("pitch")
    tune = _Tune()
    pitches: dict[str, tuple[Pitch, list[str]]] = {}

    def pitch(name: str) -> Pitch:
        if name not in pitches:  # music21 makes a Pitch of the name, as its translation does
            local = Log(log.where)
            pitches[name] = (pitch_of(pitch_module.Pitch(name), local), local.messages)
        found, messages = pitches[name]
        log.messages.extend(messages)
        return found

    measure = _Measure()
    pending_start = False
    pending_ending = 0
    measures: list[_Measure] = []

    pending_bar: Fraction | None = None

    def close() -> None:
        nonlocal measure, pending_start, pending_ending, pending_bar
        if measure.notes:
            measures.append(measure)
        else:  # no notes between two bar lines: its signs go to the bars around it
            if measure.end and measures:
                measures[-1].end = measures[-1].end or measure.end
            pending_start = pending_start or measure.start
            pending_ending = pending_ending or measure.ending
            pending_bar = measure.bar or pending_bar
        measure = _Measure(start=pending_start, ending=pending_ending, bar=pending_bar)
        pending_start, pending_ending, pending_bar = False, 0, None

    for t in tokens:
        if isinstance(t, abc_format.ABCMetadata):
            if t.isTitle() and tune.title is None:
                tune.title = t.data
            elif t.isKey() and tune.key is None:
                tune.key = t.getKeySignatureObject()
            elif t.isMeter():
                meter = t.getTimeSignatureObject()
                if meter is not None:
                    measure.bar = to_fraction(meter.barDuration.quarterLength)
                    tune.meter = tune.meter or meter
            elif t.isTempo() and tune.tempo is None:
                tune.tempo = t.getMetronomeMarkObject()
        elif isinstance(t, abc_format.ABCBar):
            if t.isRepeat() and t.repeatForm == "end":
                measure.end = 2
                close()
            elif t.isRepeat() and t.repeatForm == "start":
                close()
                measure.start = True
            elif t.isRepeatBracket():
                close()
                measure.ending = int(t.isRepeatBracket())
            else:
                close()
        elif isinstance(t, abc_format.ABCChord):
            pitched = [s for s in t.subTokens if isinstance(s, abc_format.ABCNote)]
            if not pitched:
                continue  # music21 skips an empty chord (and inline fields, read as one)
            duration = _duration(t)
            if duration <= 0:
                tune.graces.append(len(measures))
                continue
            top = max((pitch(s.pitchName) for s in pitched), key=lambda p: p.midi)
            if len(pitched) > 1:
                tune.chords.append(len(measures))
            measure.notes.append(Note(top, duration))
        elif isinstance(t, abc_format.ABCNote):
            duration = _duration(t)
            if duration <= 0 or t.inGrace:
                tune.graces.append(len(measures))
                continue
            if t.isRest:
                measure.notes.append(Note(None, duration))
            else:
                tie = t.tie in ("start", "continue")
                measure.notes.append(Note(pitch(t.pitchName), duration, tie))
    close()
    measures = _rebar(measures)
    _number_measures(measures, tune)
    _mark_endings(measures)
    tune.measures = measures
    tune.graces = [_measure_number(measures, k) for k in tune.graces]
    tune.chords = [_measure_number(measures, k) for k in tune.chords]
    return tune


def _duration(t: Any) -> Fraction:
    duration = to_fraction(t.quarterLength)
    if t.activeTuplet is not None:
        ratio = Fraction(t.activeTuplet.numberNotesNormal, t.activeTuplet.numberNotesActual)
        duration = to_fraction(duration * ratio)
    return duration


def _rebar(measures: list[_Measure]) -> list[_Measure]:
    """A measure longer than its bar split once at the bar line, a note across it tied
    (as music21 re-bars ABC: the codes of a long note then follow the bar lines)."""
    if len(measures) < 2 or measures[0].bar is None:
        return measures  # music21 re-bars only measures, and only under a time signature
    out: list[_Measure] = []
    bar = measures[0].bar
    for m in measures:
        bar = m.bar or bar
        if sum((n.duration for n in m.notes), Fraction(0)) <= bar:
            out.append(m)
            continue
        first, second = _Measure(start=m.start, ending=m.ending), _Measure(end=m.end)
        at = Fraction(0)
        for n in m.notes:
            if at + n.duration <= bar:
                first.notes.append(n)
            elif at >= bar:
                second.notes.append(n)
            else:
                first.notes.append(Note(n.pitch, bar - at, n.pitch is not None))
                second.notes.append(Note(n.pitch, at + n.duration - bar, n.tie))
            at += n.duration
        out += [first, second]
    return out


def _number_measures(measures: list[_Measure], tune: _Tune) -> None:
    """music21's measure numbers: from 1, or from 0 when the first bar is a short pickup
    (its length is then ``tune.pickup``)."""
    first = 1
    if measures and tune.meter is not None:
        bar = to_fraction(tune.meter.barDuration.quarterLength)
        length = sum((n.duration for n in measures[0].notes), Fraction(0))
        if length < bar:
            first = 0
            tune.pickup = length
    for k, m in enumerate(measures):
        m.number = first + k


def _measure_number(measures: list[_Measure], index: int) -> int | None:
    """The number of the measure a token stood in (``index``: measures closed before it)."""
    if index < len(measures):
        return measures[index].number
    return measures[-1].number + 1 if measures and measures[-1].number is not None else None


def _mark_endings(measures: list[_Measure]) -> None:
    """A first ending lasts to the backward repeat that closes it; a second, one bar
    (as music21 reads ABC: an ending's end is not written)."""
    k = 0
    while k < len(measures):
        if measures[k].ending == 1 and not measures[k].end:
            j = k + 1
            while j < len(measures) and not (measures[j].start or measures[j].ending):
                measures[j].ending = 1
                if measures[j].end:
                    break
                j += 1
            else:
                for m in measures[k + 1 : j]:
                    m.ending = 0  # no backward repeat closes it: only its first bar
            k = j
        k += 1
