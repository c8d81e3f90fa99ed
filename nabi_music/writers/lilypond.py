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
from collections.abc import Mapping, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

from nabi_music.errors import InputError
from nabi_music.fileio import atomic_write
from nabi_music.music.keys import parse_key
from nabi_music.music.metre import parse_time_signature
from nabi_music.music.notes import Melody, Note, format_code, parse_code
from nabi_music.music.ties import continues_tie, dangling_tie

LILYPOND_VERSION = "2.24.0"
RECIPE_PREFIX = "% nabi_music recipe: "
"""Starts the comment line that holds a file's recipe (JSON, ASCII, one line)."""
MAX_RECIPE_BYTES = 4_000_000
"""The longest recipe line read back (a melody of 100,000 notes fits)."""
VOICE = "melody"
PRIMER_TEXT = "primer"

# Defined once at the top of every file: "\nabiWrong c4" draws c4 all red,
# "\nabiPrimer c4" draws it grey. Each \once applies to the note that follows.
_GROBS = ("NoteHead", "Stem", "Flag", "Dots", "Accidental", "Rest")
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


def lilypond_source(
    melody: Melody,
    *,
    wrong: Mapping[int, str] | None = None,
    title: str | None = None,
    subtitle: str | None = None,
    subsubtitle: str | None = None,
    primer: int = 0,
    lyrics: bool = True,
) -> str:
    """The text of a LilyPond file that engraves ``melody``.

    Parameters
    ----------
    melody
        The notes to engrave (for a prediction: the predicted notes).
    wrong
        Note index -> the expected code, for notes that differ from the
        reference: each is drawn red with the expected code in small red type
        above it.
    title, subtitle, subsubtitle
        Header lines; ``title`` defaults to ``melody.title`` (pass ``""`` for none).
    primer
        How many notes at the start were given rather than predicted: they are
        drawn grey and the first is marked "primer".
    lyrics
        Write each note's code under its onset (rests and held-on tied notes
        get none, as LilyPond gives lyrics only to note onsets).
    """
    notes = melody.notes
    if not notes:
        raise InputError("cannot engrave an empty melody: it has no notes")
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

    head = title if title is not None else melody.title
    header = [
        f"  {field} = {ly_string(text)}"
        for field, text in (("title", head), ("subtitle", subtitle), ("subsubtitle", subsubtitle))
        if text
    ]
    header.append("  tagline = ##f")

    setup = []
    bar = Fraction(4)
    if melody.key is not None:
        setup.append(parse_key(melody.key).lilypond)
    if melody.time_signature is not None:
        num, den = parse_time_signature(melody.time_signature)
        setup.append(f"\\time {num}/{den}")
        bar = Fraction(4 * num, den)
    if melody.tempo is not None:
        if not melody.tempo > 0:
            raise InputError(f"tempo must be a positive number, got {melody.tempo}")
        setup.append(f"\\tempo 4 = {max(1, round(melody.tempo))}")
    setup.append("\\autoBeamOff")

    lines: list[str] = []
    current: list[str] = []
    position = Fraction(0)
    for i, note in enumerate(notes):
        current.append(_note_item(notes, i, wrong.get(i), primer))
        position += note.duration
        if position % bar == 0:
            current.append("|")
            lines.append(" ".join(current))
            current = []
    if current:
        lines.append(" ".join(current))

    syllables = [
        ly_string(format_code(n))
        for i, n in enumerate(notes)
        if not n.is_rest and not continues_tie(notes, i)
    ]

    recipe = {
        "codes": melody.codes,
        "title": melody.title,
        "key": melody.key,
        "time_signature": melody.time_signature,
        "tempo": melody.tempo,
        "options": {
            "wrong": sorted(wrong.items()),
            "title": title,
            "subtitle": subtitle,
            "subsubtitle": subsubtitle,
            "primer": primer,
            "lyrics": lyrics,
        },
    }
    parts = [
        f'\\version "{LILYPOND_VERSION}"',
        RECIPE_PREFIX + json.dumps(recipe, ensure_ascii=True, separators=(",", ":")),
        "",
        _DEFINITIONS,
        "",
        "\\header {",
        *header,
        "}",
        "",
        "\\paper { indent = 0\\mm }",
        "",
        "melody = \\fixed c' {",
        *(f"  {s}" for s in setup),
        *(f"  {line}" for line in lines),
        "}",
        "",
    ]
    staff = [f'    \\new Staff \\new Voice = "{VOICE}" \\melody']
    if lyrics and syllables:
        parts += ["codes = \\lyricmode {", *_wrap(syllables), "}", ""]
        staff.append(f'    \\new Lyrics \\lyricsto "{VOICE}" \\codes')
    parts += ["\\score {", "  <<", *staff, "  >>", "  \\layout { }", "}", ""]
    return "\n".join(parts)


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
    try:
        melody = Melody(
            notes=tuple(parse_code(code, source=where) for code in codes),
            title=field(recipe, "title", (str,)),
            key=field(recipe, "key", (str,)),
            time_signature=field(recipe, "time_signature", (str,)),
            tempo=field(recipe, "tempo", (int, float)),
            source=where,
        )
        return lilypond_source(
            melody,
            wrong=pairs,
            title=field(options, "title", (str,)),
            subtitle=field(options, "subtitle", (str,)),
            subsubtitle=field(options, "subsubtitle", (str,)),
            primer=field(options, "primer", (int,), 0),
            lyrics=field(options, "lyrics", (bool,), True),
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
    ``title``, ``subtitle``, ``subsubtitle``, ``primer``, ``lyrics``) to ``path``
    (UTF-8, atomically)."""
    text = lilypond_source(melody, **options)
    with atomic_write(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def _note_item(notes: Sequence[Note], index: int, expected: str | None, primer: int) -> str:
    """One note as LilyPond: its code, with colour commands and markups before/after."""
    note = notes[index]
    code = format_code(note)
    if dangling_tie(notes, index):
        # A tie into nothing (or into another pitch) is drawn as a let-ring tie:
        # LilyPond would warn about an unterminated tie and skip a lyric.
        code = code[:-1] + "\\laissezVibrer"
    words = []
    if index < primer:
        words.append("\\nabiPrimer")
    if expected is not None:
        words.append("\\nabiWrong")
    words.append(code)
    if index == 0 and primer > 0:
        words.append(f"^\\markup \\teeny \\italic {ly_string(PRIMER_TEXT)}")
    if expected is not None:
        words.append(f"^\\markup \\with-color #red \\teeny {ly_string(expected)}")
    return " ".join(words)


def _wrap(items: list[str], per_line: int = 8) -> list[str]:
    return ["  " + " ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
