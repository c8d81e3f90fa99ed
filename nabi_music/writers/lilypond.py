"""Write a melody as a LilyPond score: note codes as lyrics, wrong notes in red.

The notes are written in ``\\fixed c'`` mode, where every note code of
:mod:`nabi_music.music.notes` is literally a LilyPond note. Every text that comes
from outside (titles, expected codes) goes into the file only as a LilyPond
double-quoted string with ``\\`` and ``"`` escaped and no line breaks, so no
title can smuggle Scheme code (``#(...)``) into the file.

Every file also carries its *recipe*: one comment line holding, as JSON, the
melody's codes and metadata and the options it was written with. LilyPond
ignores it; :func:`source_from_recipe` writes the file again from it, so that
``nabi render`` engraves only text this writer made, never the text of a file
as it was received (see :mod:`nabi_music.render`).
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Mapping, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

from nabi_music.errors import InputError
from nabi_music.fileio import atomic_write
from nabi_music.music.keys import parse_key
from nabi_music.music.metre import (
    Written,
    bar_length,
    first_position,
    parse_time_signature,
    written_notes,
)
from nabi_music.music.notes import (
    Melody,
    Note,
    format_code,
    format_duration,
    is_plain_duration,
    parse_code,
)
from nabi_music.music.ties import continues_tie, dangling_tie
from nabi_music.writers.notation import check_style

LILYPOND_VERSION = "2.24.0"
RECIPE_PREFIX = "% nabi_music recipe: "
"""Starts the comment line that holds a file's recipe (JSON, ASCII, one line)."""
MAX_RECIPE_BYTES = 4_000_000
"""The longest recipe line read back (a melody of 100,000 notes fits)."""
VOICE = "melody"
REFERENCE = "original"
"""The name of the reference melody's music (the staff above a prediction)."""
REFERENCE_NAME = "original"
PREDICTED_NAME = "predicted"
PRIMER_TEXT = "primer"

# Defined once at the top of every file: "\nabiWrong c4" draws c4 all red,
# "\nabiPrimer c4" draws it grey. Each \once applies to the note that follows.
_GROBS = ("NoteHead", "Stem", "Flag", "Dots", "Accidental", "Rest", "Tie", "LaissezVibrerTie")
_DEFINITIONS = "\n".join(
    [
        f"{name} = {{\n"
        + "".join(f"  \\once \\override {g}.color = #{color}\n" for g in _GROBS)
        + "}"
        for name, color in (("nabiWrong", "red"), ("nabiPrimer", "grey"))
    ]
)


def ly_string(text: str) -> str:
    """``text`` as a LilyPond double-quoted string: backslash and ``"`` escaped,
    control characters and line breaks turned into spaces."""
    out = []
    for ch in str(text):
        if ch in '\\"':
            out.append("\\" + ch)
        elif ord(ch) < 32 or 0x7F <= ord(ch) < 0xA0 or ch in "\u2028\u2029":
            out.append(" ")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


NOTES_PER_LINE = {"vocal": 20, "instrumental": 32}
"""The most notes (onsets of all staves) one line holds before LilyPond would have
to squeeze them: lines are made with fewer bars when a melody is denser."""
QUARTERS_PER_LINE = 16
"""The longest line, in quarter notes, :func:`bars_per_line` chooses."""
_BARS_PER_LINE = (8, 4, 2, 1)
_FIELD = re.compile(r"[A-Za-z]{1,40}")
_NOT_COPIED = ("title", "tagline")
"""Header fields of a melody the writer does not copy (the title is its own field)."""


def bars_per_line(
    melodies: Sequence[Melody], style: str = "vocal", *, reference: Melody | None = None
) -> int:
    """How many bars each line of these melodies holds (one number for one page): the
    most of 8, 4, 2, 1 bars whose lines last at most :data:`QUARTERS_PER_LINE` and hold
    at most :data:`NOTES_PER_LINE` onsets (those of ``reference`` counted too)."""
    metred = [m for m in melodies if m.time_signature]
    if not metred:
        return 4
    bar = bar_length(metred[0].time_signature or "4/4")
    limit = NOTES_PER_LINE.get(style, NOTES_PER_LINE["vocal"])
    per_bar: list[list[set[Fraction]]] = []
    for melody in metred:
        onsets = _onsets_by_bar(melody, bar)
        if reference is not None:
            for k, extra in enumerate(_onsets_by_bar(reference, bar)):
                if k < len(onsets):
                    onsets[k] |= extra
                else:
                    onsets.append(extra)
        per_bar.append(onsets)
    for count in _BARS_PER_LINE:
        if count > 1 and count * bar > QUARTERS_PER_LINE:
            continue
        densest = max(
            (
                sum(len(b) for b in bars[i : i + count])
                for bars in per_bar
                for i in range(0, max(1, len(bars)), count)
            ),
            default=0,
        )
        if densest <= limit or count == 1:
            return count
    return 1


def _onsets_by_bar(melody: Melody, bar: Fraction) -> list[set[Fraction]]:
    """The onsets (times within the bar) of the written notes of each bar."""
    start = first_position(bar, melody.pickup)
    bars: list[set[Fraction]] = [set()]
    time = start
    for w in written_notes(melody.notes, bar, start):
        bars[-1].add(time % bar)
        time += w.note.duration
        if w.bar_line:
            bars.append(set())
    if not bars[-1]:
        bars.pop()
    return bars


def lilypond_source(
    melody: Melody,
    *,
    wrong: Mapping[int, str] | None = None,
    title: str | None = None,
    subtitle: str | None = None,
    subsubtitle: str | None = None,
    primer: int = 0,
    lyrics: bool | None = None,
    style: str = "vocal",
    reference: Melody | None = None,
    line_bars: int | None = None,
) -> str:
    """The text of a LilyPond file that engraves ``melody`` in its metre.

    Every bar line has a bar check; a note or rest that crosses one is written as tied
    pieces (colour and marks on each piece, its text and code on the first); the last
    bar ends with a final bar line; an upbeat (``melody.pickup``) is a ``\\partial``.

    Parameters
    ----------
    melody
        The notes to engrave (for a prediction: the predicted notes).
    wrong
        Note index -> the expected code, for notes that differ from the
        reference: each is drawn red with the expected code in small red type
        above it.
    title, subtitle, subsubtitle
        Header lines; each defaults to the melody's own (``title`` to
        ``melody.title``; pass ``""`` for none). The melody's other header fields
        (composer, poet, ...) are written too.
    primer
        How many notes at the start were given rather than predicted: they are
        drawn grey and the first is marked "primer".
    lyrics
        Write each note's code under its onset (rests and held-on tied notes
        get none); by default in the ``vocal`` style only.
    style
        ``vocal`` (flags, codes sung under the notes) or ``instrumental`` (beams by
        the metre): see :data:`nabi_music.writers.notation.STYLES`.
    reference
        A melody shown on a smaller staff above, aligned in time (for a prediction:
        the original it should have sung).
    line_bars
        Bars on each line (the same for every melody of one page: see
        :func:`bars_per_line`); by default chosen for this melody alone.
    """
    notes = melody.notes
    if not notes:
        raise InputError("cannot engrave an empty melody: it has no notes")
    check_style(style)
    wrong = dict(wrong or {})
    for index, expected in wrong.items():
        if not isinstance(index, int) or not 0 <= index < len(notes):
            raise InputError(
                f"wrong-note index {index!r} is outside the melody: expected 0 to {len(notes) - 1}"
            )
        if not isinstance(expected, str):
            raise InputError(f"expected code for note {index} must be text, got {expected!r}")
    if not 0 <= primer <= len(notes):
        raise InputError(f"primer must be from 0 to {len(notes)} notes, got {primer}")
    if reference is not None and not reference.notes:
        raise InputError("cannot engrave an empty reference melody: it has no notes")
    if line_bars is not None and not (isinstance(line_bars, int) and 1 <= line_bars <= 64):
        raise InputError(f"bars per line must be from 1 to 64, got {line_bars!r}")
    sung = style == "vocal" if lyrics is None else lyrics

    setup = []
    bar = Fraction(4)
    if melody.key is not None:
        setup.append(parse_key(melody.key).lilypond)
    if melody.time_signature is not None:
        num, den = parse_time_signature(melody.time_signature)
        setup.append(f"\\time {num}/{den}")
        bar = Fraction(4 * num, den)
    pickup = _checked_pickup(melody.pickup, bar)
    if pickup:
        setup.append(f"\\partial {_partial(pickup)}")
    if melody.tempo is not None:
        if not melody.tempo > 0:
            raise InputError(f"tempo must be a positive number, got {melody.tempo}")
        setup.append(f"\\tempo 4 = {max(1, round(melody.tempo))}")
    if style == "vocal":
        setup.append("\\autoBeamOff")
    if line_bars is None:
        line_bars = bars_per_line([melody], style, reference=reference)

    start = first_position(bar, pickup)
    written = written_notes(notes, bar, start)
    total = sum((n.duration for n in notes), Fraction(0))
    other_total = total if reference is None else reference.quarter_length
    lines = _bars(
        [_item(notes, w, wrong.get(w.index), primer) for w in written],
        written,
        line_bars,
        pickup=bool(pickup),
    )
    longest = max(total, other_total)
    lines += _padding(start + total, longest - total, bar)
    lines.append('\\bar "|."')

    syllables = [
        _syllable(format_code(n))
        for i, n in enumerate(notes)
        if not n.is_rest and not continues_tie(notes, i)
    ]

    recipe = {
        "codes": melody.codes,
        "title": melody.title,
        "key": melody.key,
        "time_signature": melody.time_signature,
        "tempo": melody.tempo,
        "header": [list(pair) for pair in melody.header],
        "pickup": None if not pickup else str(pickup),
        "options": {
            "wrong": sorted(wrong.items()),
            "title": title,
            "subtitle": subtitle,
            "subsubtitle": subsubtitle,
            "primer": primer,
            "lyrics": lyrics,
            "style": style,
            "reference": None if reference is None else reference.codes,
            "line_bars": line_bars,
        },
    }
    parts = [
        f'\\version "{LILYPOND_VERSION}"',
        RECIPE_PREFIX + json.dumps(recipe, ensure_ascii=True, separators=(",", ":")),
        "",
        _DEFINITIONS,
        "",
        "\\header {",
        *_header(melody, title, subtitle, subsubtitle),
        "}",
        "",
        "\\paper {",
        f"  indent = {0 if reference is None else 14}\\mm",
        "  short-indent = 0\\mm",
        f"  ragged-last = {'##t' if _last_line_short(start, longest, bar, line_bars) else '##f'}",
        "}",
        "",
        f"{VOICE} = \\fixed c' {{",
        *(f"  {s}" for s in setup),
        *(f"  {line}" for line in lines),
        "}",
        "",
    ]
    staves = []
    if reference is not None:
        ref_written = written_notes(reference.notes, bar, start)
        ref_lines = _bars(
            [_item(reference.notes, w, None, 0) for w in ref_written],
            ref_written,
            line_bars,
            pickup=bool(pickup),
            breaks=False,
        )
        ref_total = reference.quarter_length
        ref_lines += _padding(start + ref_total, max(total, ref_total) - ref_total, bar)
        ref_lines.append('\\bar "|."')
        ref_setup = [s for s in setup if not s.startswith("\\tempo")]
        parts += [
            f"{REFERENCE} = \\fixed c' {{",
            *(f"  {s}" for s in ref_setup),
            *(f"  {line}" for line in ref_lines),
            "}",
            "",
        ]
        staves.append(
            "    \\new Staff \\with { \\magnifyStaff #2/3 "
            f"instrumentName = {ly_string(REFERENCE_NAME)} }} \\{REFERENCE}"
        )
    named = f"\\with {{ instrumentName = {ly_string(PREDICTED_NAME)} }} " if reference else ""
    staves.append(f'    \\new Staff {named}\\new Voice = "{VOICE}" \\{VOICE}')
    if sung and syllables:
        parts += ["codes = \\lyricmode {", *_wrap(syllables), "}", ""]
        staves.append(f'    \\new Lyrics \\lyricsto "{VOICE}" \\codes')
    group = (
        ["  \\new StaffGroup <<", *staves, "  >>"]
        if reference is not None
        else ["  <<", *staves, "  >>"]
    )
    parts += [
        "\\score {",
        *group,
        "  \\layout {",
        "    \\context { \\Score \\override NonMusicalPaperColumn.line-break-permission = ##f }",
        "  }",
        "}",
        "",
    ]
    return "\n".join(parts)


def _checked_pickup(pickup: Fraction | None, bar: Fraction) -> Fraction | None:
    if pickup is None:
        return None
    value = Fraction(pickup)
    if not 0 < value <= bar:
        raise InputError(
            f"an upbeat must last more than nothing and at most a bar ({bar} quarters), got {value}"
        )
    return None if value == bar else value


def _partial(length: Fraction) -> str:
    """A LilyPond duration for ``\\partial``: one value, or a value times a count."""
    if is_plain_duration(length):
        return format_duration(length)
    sixteenths = length * 4
    if sixteenths.denominator == 1:
        return f"16*{sixteenths.numerator}"
    return f"4*{length.numerator}/{length.denominator}"


def _header(
    melody: Melody, title: str | None, subtitle: str | None, subsubtitle: str | None
) -> list[str]:
    """The header's lines: the title lines (given or the melody's), the melody's other
    fields in order (field names of letters only), and no tagline."""
    given = {"title": title, "subtitle": subtitle, "subsubtitle": subsubtitle}
    fields: dict[str, str] = {"title": melody.title or ""}
    for name, value in melody.header:
        if _FIELD.fullmatch(name) and name not in _NOT_COPIED:
            fields.setdefault(name, value)
    for name, value in given.items():
        if value is not None:
            fields[name] = value
    lines = [f"  {name} = {ly_string(text)}" for name, text in fields.items() if text]
    return [*lines, "  tagline = ##f"]


def _bars(
    items: list[str],
    written: Sequence[Written],
    line_bars: int,
    *,
    pickup: bool,
    breaks: bool = True,
) -> list[str]:
    """The written items, one bar per line of text, each ended by a bar check; a
    ``\\break`` after every ``line_bars`` full bars (the upbeat joins the first line)."""
    lines: list[str] = []
    current: list[str] = []
    full_bars = 0
    for k, (item, w) in enumerate(zip(items, written, strict=True)):
        current.append(item)
        if not w.bar_line:
            continue
        opening = pickup and not lines
        if not opening:
            full_bars += 1
        last = k == len(written) - 1
        brk = breaks and not opening and not last and full_bars % line_bars == 0
        current.append("| \\break" if brk else "|")
        lines.append(" ".join(current))
        current = []
    if current:
        lines.append(" ".join(current))
    return lines


def _padding(time: Fraction, length: Fraction, bar: Fraction) -> list[str]:
    """Spacer rests of ``length`` from ``time``: a staff that ends earlier than the other
    still reaches the final bar line with it."""
    if length <= 0:
        return []
    pieces = written_notes([Note(None, length)], bar, time % bar)
    return [
        " ".join(
            "s" + format_duration(w.note.duration) + (" |" if w.bar_line else "") for w in pieces
        )
    ]


def _last_line_short(start: Fraction, length: Fraction, bar: Fraction, line_bars: int) -> bool:
    """True when the last line holds fewer than ``line_bars`` bars (it is then not
    stretched to the page's width); an upbeat's bar joins the first line."""
    bars = math.ceil((start + length) / bar) - (1 if start else 0)
    return bars % line_bars != 0


def _syllable(code: str) -> str:
    """A code as a lyric syllable: a quoted string; a ``~`` (which lyrics would draw as
    a tie between syllables) as the character itself, in a markup."""
    if "~" not in code:
        return ly_string(code)
    pieces = [ly_string(piece) if piece else "" for piece in code.split("~")]
    return "\\markup \\concat { " + " \\char ##x7E ".join(pieces).strip() + " }"


def source_from_recipe(text: str, where: str) -> str | None:
    """The LilyPond text this writer makes from the recipe line in ``text`` (None when
    there is none). Every field is checked before use: a bad recipe is an InputError
    naming ``where`` and the line."""
    lines = enumerate(text.split("\n"), start=1)
    found = next(((n, line) for n, line in lines if line.startswith(RECIPE_PREFIX)), None)
    if found is None:
        return None
    number, line = found
    place = f"{where}: line {number}"
    if len(line) > MAX_RECIPE_BYTES:
        raise InputError(f"{place}: the nabi_music recipe is over {MAX_RECIPE_BYTES} bytes")
    try:
        recipe = json.loads(line[len(RECIPE_PREFIX) :])
    except (ValueError, RecursionError) as err:
        raise InputError(f"{place}: the nabi_music recipe is not JSON ({err})") from None

    if not isinstance(recipe, dict):
        raise InputError(f"{place}: the nabi_music recipe is not a JSON object")

    def field(data: dict, name: str, kinds: tuple[type, ...], default: object = None) -> Any:
        value = data.get(name, default)
        if value is None:
            return None
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            expected = " or ".join(k.__name__ for k in kinds)
            raise InputError(
                f"{place}: recipe field {name!r} must be {expected}, got {_short(value)}"
            )
        if isinstance(value, float) and not math.isfinite(value):
            raise InputError(f"{place}: recipe field {name!r} must be finite, got {value}")
        return value

    options = field(recipe, "options", (dict,), {}) or {}
    codes = field(recipe, "codes", (list,))
    if not codes or not all(isinstance(c, str) for c in codes):
        raise InputError(f"{place}: the nabi_music recipe holds no list of note codes")
    wrong = field(options, "wrong", (list,), [])
    pairs = {}
    for item in wrong or []:
        if not (
            isinstance(item, list)
            and len(item) == 2
            and isinstance(item[0], int)
            and not isinstance(item[0], bool)
            and isinstance(item[1], str)
        ):
            raise InputError(
                f"{place}: recipe field 'wrong' holds {_short(item)}; expected [index, code]"
            )
        pairs[item[0]] = item[1]
    header = []
    for item in field(recipe, "header", (list,), []) or []:
        if not (
            isinstance(item, list) and len(item) == 2 and all(isinstance(x, str) for x in item)
        ):
            raise InputError(
                f"{place}: recipe field 'header' holds {_short(item)}; expected [name, text]"
            )
        header.append((item[0], item[1]))
    pickup_text = field(recipe, "pickup", (str,))
    reference_codes = field(options, "reference", (list,))
    if reference_codes is not None and (
        not reference_codes or not all(isinstance(c, str) for c in reference_codes)
    ):
        raise InputError(f"{place}: recipe field 'reference' holds no list of note codes")
    try:
        pickup = None if pickup_text is None else Fraction(pickup_text)
    except (ValueError, ZeroDivisionError):
        raise InputError(
            f"{place}: recipe field 'pickup' must be a fraction such as '1/2', "
            f"got {_short(pickup_text)}"
        ) from None
    try:
        melody = Melody(
            notes=tuple(parse_code(code, source=where) for code in codes),
            title=field(recipe, "title", (str,)),
            key=field(recipe, "key", (str,)),
            time_signature=field(recipe, "time_signature", (str,)),
            tempo=field(recipe, "tempo", (int, float)),
            source=where,
            header=tuple(header),
            pickup=pickup,
        )
        reference = None
        if reference_codes is not None:
            reference = melody.with_notes([parse_code(c, source=where) for c in reference_codes])
        return lilypond_source(
            melody,
            wrong=pairs,
            title=field(options, "title", (str,)),
            subtitle=field(options, "subtitle", (str,)),
            subsubtitle=field(options, "subsubtitle", (str,)),
            primer=field(options, "primer", (int,), 0),
            lyrics=field(options, "lyrics", (bool,)),
            style=field(options, "style", (str,), "vocal"),
            reference=reference,
            line_bars=field(options, "line_bars", (int,)),
        )
    except InputError as err:
        if str(err).startswith(where):
            raise
        raise InputError(f"{place}: recipe: {err}") from None


def _short(value: object, limit: int = 60) -> str:
    """``repr(value)`` (control characters escaped) cut to ``limit`` characters."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def write_lilypond(melody: Melody, path: str | os.PathLike[str], **options: Any) -> Path:
    """Write :func:`lilypond_source` of ``melody`` with ``options`` (``wrong``,
    ``title``, ``subtitle``, ``subsubtitle``, ``primer``, ``lyrics``, ``style``,
    ``reference``, ``line_bars``) to ``path`` (UTF-8, atomically)."""
    text = lilypond_source(melody, **options)
    with atomic_write(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def _item(notes: Sequence[Note], w: Written, expected: str | None, primer: int) -> str:
    """One written piece as LilyPond: its value, with colour commands and markups."""
    code = format_code(w.note)
    if w.last and dangling_tie(notes, w.index):
        # A tie into nothing (or into another pitch) is drawn as a let-ring tie:
        # LilyPond would warn about an unterminated tie and skip a lyric.
        code = code[:-1] + "\\laissezVibrer"
    words = []
    if w.index < primer:
        words.append("\\nabiPrimer")
    if expected is not None:
        words.append("\\nabiWrong")
    words.append(code)
    if w.onset and w.index == 0 and primer > 0:
        words.append(f"^\\markup \\teeny \\italic {ly_string(PRIMER_TEXT)}")
    if w.onset and expected is not None:
        words.append(f"^\\markup \\with-color #red \\teeny {ly_string(expected)}")
    return " ".join(words)


def _wrap(items: list[str], per_line: int = 8) -> list[str]:
    return ["  " + " ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
