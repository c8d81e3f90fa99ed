"""Reader for MusicXML (``.musicxml .xml``) and compressed MusicXML (``.mxl``).

The file is parsed once with Python's expat-based ElementTree, which refuses entity
expansion bombs (expat's amplification limit; external entities are never fetched).
Before music21 builds anything, the tree is checked against
:mod:`nabi_music.readers.limits`: each note's, rest's, ``<forward>``'s and
``<backup>``'s duration (from ``<duration>`` and ``<divisions>``, or from its type and
tuplet ratio), the length of a bar (``<beats>``/``<beat-type>``), the bars of each part,
octaves, the passes a ``<repeat times>`` asks for and the numbers an ``<ending>`` names.
The melody itself comes from music21 (:func:`~nabi_music.readers.music21_bridge.musicxml_score`,
in time linear in the bars), through :mod:`nabi_music.readers.music21_bridge`; its header
fields come from the tree (:func:`header_of`: work, movement, creators, rights and the
first page's credits, which music21 does not keep by type).

An ``.mxl`` is a zip archive: its score is the first ``.musicxml``/``.xml`` member outside
``META-INF`` (as music21 picks it), refused if its header says it inflates past the
``unpacked_mb`` limit, and inflated as a stream that stops at that limit whatever the
header says.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
import zipfile
import zlib
from dataclasses import replace
from fractions import Fraction
from pathlib import Path, PurePosixPath
from typing import Any

from nabi_music.errors import InputError, NabiError
from nabi_music.readers import limits
from nabi_music.readers._common import ReadOptions, Report, describe
from nabi_music.readers.header import clean_text, dropped_message, field_name, header_fields
from nabi_music.readers.music21_bridge import (
    collector_paused,
    melodies_from_stream,
    musicxml_score,
)

#: music21's ``<divisions>`` when a part gives none.
DEFAULT_DIVISIONS = 10080
#: The most digits of one number in the tree (a duration, a count of beats...).
MAX_DIGITS = 18
#: Bytes inflated from an ``.mxl`` at a time (the cap is checked after each step).
UNPACK_STEP = 1 << 20
#: MusicXML octaves (C0 .. B9).
OCTAVES = range(10)
#: Quarter notes in each ``<type>``, for notes without a ``<duration>``.
TYPE_QUARTERS = {
    "maxima": Fraction(32),
    "long": Fraction(16),
    "breve": Fraction(8),
    "whole": Fraction(4),
    "half": Fraction(2),
    "quarter": Fraction(1),
    "eighth": Fraction(1, 2),
}
#: MusicXML's creator types and credit types kept as header fields, by LilyPond's name
#: of the field (any other creator type keeps its own name).
CREATORS = {"composer": "composer", "lyricist": "poet", "poet": "poet", "arranger": "arranger"}
_ENDING_NUMBERS = re.compile(r"\d+")
_DECIMAL = re.compile(r"^([+-]?(?:\d+\.?\d*|\.\d+))(?:[eE]([+-]?\d+))?$")


def read_musicxml(path: Path, source: str, options: ReadOptions | None = None) -> Report:
    """Every melody of a MusicXML or ``.mxl`` file (see the module docstring)."""
    compressed = path.suffix.lower() == ".mxl"
    label = "compressed MusicXML" if compressed else "MusicXML"
    with collector_paused():
        root = _parse(_unpack(path, source, label) if compressed else path, source, label)
        check_tree(root, source, label)
        try:
            score = musicxml_score(root)
        except NabiError:
            raise
        except Exception as err:
            raise InputError(
                f"{source}: cannot read as {label} ({describe(err)}); expected a valid {label} file"
            ) from err
        header, dropped = header_fields(header_of(root))
        del root
        melodies, skipped = melodies_from_stream(
            score, source=source, default_title=path.stem, options=options
        )
    extra = (f"{source}: {dropped_message(dropped)}",) if dropped else ()
    return [replace(m, header=header, warnings=m.warnings + extra) for m in melodies], skipped


# --- the header ------------------------------------------------------------


def header_of(root: Any) -> list[tuple[str, str]]:
    """The header fields of a MusicXML score, LilyPond's names: ``subtitle`` (the first
    page's credit of that type, else a ``<movement-title>`` other than the
    ``<work-title>``), ``piece`` (a movement title besides both), ``composer``, ``poet``
    (lyricist), ``arranger`` and other ``<creator>`` types, ``opus`` (``<work-number>``),
    ``copyright`` (``<rights>``) and ``source``. A field the identification lacks is taken
    from the first page's credit of its type, as Finale and MuseScore write them."""
    work_title = _text(root.find("work/work-title"))
    movement = _text(root.find("movement-title"))
    title = work_title or movement
    credits = _credits(root)
    fields: dict[str, list[str]] = {}

    def add(name: str | None, value: str) -> None:
        if name and value and value not in fields.setdefault(name, []):
            fields[name].append(value)

    subtitle = credits.get("subtitle", "")
    if movement and movement != title and not subtitle:
        subtitle = movement
    add("subtitle", subtitle)
    if movement and movement not in (title, subtitle):
        add("piece", movement)
    for creator in root.iterfind("identification/creator"):
        kind = (creator.get("type") or "").strip().lower()
        add(CREATORS.get(kind) or field_name(kind), _text(creator))
    for kind, name in CREATORS.items():
        if name not in fields:
            add(name, credits.get(kind, ""))
    add("opus", _text(root.find("work/work-number")))
    for rights in root.iterfind("identification/rights"):
        add("copyright", _text(rights))
    if "copyright" not in fields:
        add("copyright", credits.get("rights", ""))
    add("source", _text(root.find("identification/source")))
    return [(name, "; ".join(values)) for name, values in fields.items() if values]


def _text(element: Any) -> str:
    """An element's text as one line (cut to a header value's length), or ``""``."""
    if element is None:
        return ""
    return clean_text("".join(element.itertext()))


def _credits(root: Any) -> dict[str, str]:
    """The first page's credits by type (``subtitle``, ``composer``...): the first of
    each, its words joined (MuseScore splits formatted text into several)."""
    found: dict[str, str] = {}
    for credit in root.iterfind("credit"):
        if (credit.get("page") or "1").strip() != "1":
            continue
        kind = (credit.findtext("credit-type") or "").strip().lower()
        if not kind or kind in found:
            continue
        words = clean_text("".join("".join(w.itertext()) for w in credit.iterfind("credit-words")))
        if words:
            found[kind] = words
    return found


# --- .mxl ------------------------------------------------------------------


def _score_member(archive: zipfile.ZipFile) -> zipfile.ZipInfo | None:
    """The member music21 reads: the first ``.musicxml``/``.xml``/``.mxl`` outside META-INF."""
    for info in archive.infolist():
        if "META-INF" in info.filename:
            continue
        if PurePosixPath(info.filename).suffix in (".musicxml", ".xml", ".mxl"):
            return info
        if info.filename == ".xml":
            return info
    return None


def _unpack(path: Path, source: str, label: str) -> str:
    """The score of an ``.mxl`` as text, inflated within the ``unpacked_mb`` limit."""
    limit = limits.current().unpacked_bytes
    try:
        with zipfile.ZipFile(path) as archive:
            member = _score_member(archive)
            if member is None:
                raise InputError(
                    f"{source}: no score in the archive; expected a .musicxml or .xml file "
                    "inside the .mxl"
                )
            where = f"{source} ({_shown(member.filename)})"
            if member.file_size > limit:
                raise limits.too_many(
                    "bytes once unpacked", member.file_size, limit, "unpacked_mb", where
                )
            chunks, size = [], 0
            with archive.open(member) as stream:  # in small steps: zlib inflates what is asked
                while size <= limit and (chunk := stream.read(UNPACK_STEP)):
                    chunks.append(chunk)
                    size += len(chunk)
            if size > limit:
                raise limits.too_many("bytes once unpacked", size, limit, "unpacked_mb", where)
            data = b"".join(chunks)
    except NabiError:
        raise
    except zipfile.BadZipFile as err:
        lies = " (its data does not match its header)" if "CRC" in str(err) else ""
        raise InputError(
            f"{source}: cannot read as {label} ({describe(err)}{lies}); expected an intact "
            ".mxl archive (a zip file)"
        ) from err
    except (OSError, RuntimeError, EOFError, zlib.error, ValueError) as err:
        # RuntimeError: an encrypted member, or an unknown method (NotImplementedError)
        raise InputError(
            f"{source}: cannot read as {label} ({describe(err)}); expected a valid {label} file"
        ) from err
    try:  # as music21 decodes it
        return data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("utf-16-le", errors="replace")
        return re.sub(r"encoding=([\'\"]\S*?[\'\"])", "encoding='UTF-8'", text)


def _shown(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:37] + "...")


# --- the tree, before music21 ----------------------------------------------


def _parse(where: Path | str, source: str, label: str) -> Any:
    """The root of the XML tree of a file (a path) or of a text."""
    try:
        if isinstance(where, Path):
            return ET.parse(where).getroot()
        try:
            return ET.parse(io.StringIO(where)).getroot()
        except ET.ParseError:
            return ET.XML(where)
    except (ET.ParseError, ValueError, RecursionError, MemoryError, OSError) as err:
        raise InputError(
            f"{source}: cannot read as {label} ({describe(err)}); expected a valid {label} file"
        ) from err


class _Checker:
    """Walks a MusicXML tree once, refusing numbers over the limits (one per message)."""

    def __init__(self, source: str, label: str) -> None:
        self.source = source
        self.label = label
        self.limit = limits.current()
        self.longest = 4 * self.limit.note_wholes  # quarter notes
        self.where = source

    def fail(self, what: str, expected: str) -> InputError:
        return InputError(f"{self.where}: {what}; expected {expected}")

    def number(self, element: Any, what: str) -> Fraction | int | None:
        """The number an element holds (None when it holds none)."""
        text = (element.text or "").strip() if element is not None else ""
        if not text:
            return None
        if text.isdigit() and len(text) <= MAX_DIGITS:  # the usual case, fast
            return int(text)
        digits = sum(c.isdigit() for c in text)
        if digits > MAX_DIGITS:
            raise self.fail(f"a {what} of {digits:,} digits", f"at most {MAX_DIGITS}")
        found = _DECIMAL.match(text)
        if found is None:
            return None  # music21 says what is wrong with it
        value = Fraction(found.group(1))
        exponent = int(found.group(2) or 0)
        if exponent > MAX_DIGITS:
            raise self.fail(
                f"a {what} of {_shown(text)}", f"a number of at most {MAX_DIGITS} digits"
            )
        return value * Fraction(10) ** max(exponent, -MAX_DIGITS)

    def length(self, duration: Fraction | int, divisions: Fraction | int, what: str) -> None:
        """Refuse a duration of ``duration`` divisions longer than the longest note."""
        if abs(duration) > self.longest * divisions:
            quarters = Fraction(duration) / divisions
            raise limits.too_many(
                what, int(abs(quarters) / 4), self.limit.note_wholes, "note_wholes", self.where
            )

    def attributes(self, element: Any, divisions: Fraction | int) -> Fraction | int:
        found = self.number(element.find("divisions"), "divisions")
        if found is not None:
            if found <= 0:
                raise self.fail(f"<divisions> of {found}", "a positive number")
            divisions = found
        for time in element.findall("time"):
            for beats, beat_type in zip(
                time.findall("beats"), time.findall("beat-type"), strict=False
            ):
                self.time(beats, beat_type)
        return divisions

    def time(self, beats: Any, beat_type: Any) -> None:
        text = (beats.text or "").strip()
        counts = [self.number(_Text(t), "number of beats") for t in text.split("+")]
        kind = self.number(beat_type, "beat type")
        if kind is None or any(c is None for c in counts):
            return  # music21 says what is wrong with it
        total = sum(counts, Fraction(0))  # type: ignore[arg-type]
        if kind <= 0 or total <= 0:
            raise self.fail(
                f"a time signature of {total}/{kind}",
                "a positive number of beats of a positive note value, such as 3/4",
            )
        if total / kind > self.limit.note_wholes:
            raise limits.too_many(
                "whole notes in one bar",
                int(total / kind),
                self.limit.note_wholes,
                "note_wholes",
                self.where,
            )

    def note(self, element: Any, divisions: Fraction | int) -> None:
        pitch = element.find("pitch")
        if pitch is not None:
            octave = self.number(pitch.find("octave"), "octave")
            if octave is not None and octave not in OCTAVES:
                raise self.fail(f"a note in octave {octave}", "an octave from 0 to 9")
        modification = element.find("time-modification")
        ratio = Fraction(1)
        if modification is not None:
            actual = self.number(modification.find("actual-notes"), "tuplet number")
            normal = self.number(modification.find("normal-notes"), "tuplet number")
            if actual is not None and normal is not None:
                if actual <= 0 or normal <= 0:
                    raise self.fail(
                        f"a tuplet of {actual} notes in the time of {normal}",
                        "positive numbers, such as 3 in the time of 2",
                    )
                ratio = Fraction(normal) / actual
        if element.find("grace") is not None:
            return
        duration = self.number(element.find("duration"), "duration")
        if duration is not None:
            self.length(duration, divisions, "whole notes in one note or rest")
            return
        kind = (element.findtext("type") or "").strip()
        if kind in TYPE_QUARTERS:
            dots = len(element.findall("dot"))
            quarters = TYPE_QUARTERS[kind] * (2 - Fraction(1, 2 ** min(dots, 64))) * ratio
            self.length(quarters, 1, "whole notes in one note or rest")

    def barline(self, element: Any) -> None:
        repeat = element.find("repeat")
        if repeat is not None and repeat.get("times"):
            times = self.number(_Text(repeat.get("times")), "number of passes")
            if times is not None and times > self.limit.bars:
                raise limits.too_many(
                    "passes of the repeat", int(times), self.limit.bars, "bars", self.where
                )
        ending = element.find("ending")
        if ending is not None:
            text = ending.get("number") or ""
            numbers = [
                self.number(_Text(d), "ending number") or 0 for d in _ENDING_NUMBERS.findall(text)
            ]
            passes = max(numbers, default=0)
            if "-" in text and len(numbers) == 2:
                passes = max(passes, numbers[1] - numbers[0] + 1)
            if passes > self.limit.bars:
                raise limits.too_many(
                    f"passes named by the ending {_shown(text)}",
                    int(passes),
                    self.limit.bars,
                    "bars",
                    self.where,
                )

    def part(self, part: Any, index: int) -> None:
        divisions: Fraction | int = DEFAULT_DIVISIONS
        bars = 0
        name = part.get("id") or str(index)
        for bars, measure in enumerate(part.iterfind("measure"), start=1):
            number = measure.get("number") or str(bars)
            self.where = f"{self.source}, part {_shown(name)}, measure {_shown(number)}"
            for element in measure:
                tag = element.tag
                if tag == "attributes":
                    divisions = self.attributes(element, divisions)
                elif tag == "note":
                    self.note(element, divisions)
                elif tag in ("forward", "backup"):
                    duration = self.number(element.find("duration"), "duration")
                    if duration is not None:
                        self.length(duration, divisions, f"whole notes in one <{tag}>")
                elif tag == "barline":
                    self.barline(element)
        self.where = self.source
        if bars > self.limit.bars:
            raise limits.too_many(
                f"bars written in part {_shown(name)}", bars, self.limit.bars, "bars", self.source
            )


class _Text:
    """A text standing in for an element (``<repeat times="...">`` is an attribute)."""

    def __init__(self, text: str | None) -> None:
        self.text = text


def check_tree(root: Any, source: str, label: str = "MusicXML") -> None:
    """Refuse a MusicXML tree whose numbers are over the limits, before music21 reads it
    (see the module docstring)."""
    if root.tag != "score-partwise":
        raise InputError(
            f"{source}: cannot read as {label} (the document is <{_shown(root.tag)[1:-1]}>); "
            "expected a <score-partwise> MusicXML score"
        )
    checker = _Checker(source, label)
    for index, part in enumerate(root.iterfind("part"), start=1):
        checker.part(part, index)
