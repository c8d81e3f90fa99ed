"""Write a melody as a LilyPond score: note codes as lyrics, wrong notes in red.

The notes are written in ``\\fixed c'`` mode, where every note code of
:mod:`nabi_music.music.notes` is literally a LilyPond note. Every text that comes
from outside (titles, expected codes) goes into the file only as a LilyPond
double-quoted string with ``\\`` and ``"`` escaped and no line breaks, so no
title can smuggle Scheme code (``#(...)``) into the file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from fractions import Fraction
from pathlib import Path

from nabi_music.errors import InputError
from nabi_music.fileio import atomic_write
from nabi_music.music.keys import parse_key
from nabi_music.music.metre import parse_time_signature
from nabi_music.music.notes import Melody, Note, format_code
from nabi_music.music.ties import continues_tie, dangling_tie

LILYPOND_VERSION = "2.24.0"
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

    parts = [
        f'\\version "{LILYPOND_VERSION}"',
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


def write_lilypond(
    melody: Melody,
    path: str | os.PathLike[str],
    *,
    wrong: Mapping[int, str] | None = None,
    title: str | None = None,
    subtitle: str | None = None,
    subsubtitle: str | None = None,
    primer: int = 0,
    lyrics: bool = True,
) -> Path:
    """Write :func:`lilypond_source` of ``melody`` to ``path`` (UTF-8, atomically)."""
    text = lilypond_source(
        melody,
        wrong=wrong,
        title=title,
        subtitle=subtitle,
        subsubtitle=subsubtitle,
        primer=primer,
        lyrics=lyrics,
    )
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
