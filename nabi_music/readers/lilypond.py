"""Reader for LilyPond ``.ly`` files: python-ly exports MusicXML, music21 reads it.

The file is only parsed, never run: python-ly does not evaluate Scheme, the
LilyPond binary is not called, and ``\\include`` is not followed (python-ly gets
the text, not the file name). python-ly prints its complaints ("Unknown command:
\\autoBeamOff") to standard output; they are captured and shown only in an error
message when the file yields no notes.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path
from typing import Any

from nabi_music.errors import InputError
from nabi_music.notes import Melody
from nabi_music.readers._common import describe, read_text
from nabi_music.readers.music21_bridge import read_musicxml_bytes

# Children of a dropped measure that still matter to the measures after it.
_CARRIED_TAGS = ("attributes", "direction", "sound")


def read_lilypond(path: Path, source: str) -> list[Melody]:
    """The melody of a ``.ly`` file (top line of its first staff)."""
    text = read_text(path, source)
    data, log = lilypond_to_musicxml(text, source)
    return read_musicxml_bytes(
        data, source, default_title=path.stem, detail=f"python-ly: {log}" if log else ""
    )


def lilypond_to_musicxml(text: str, source: str) -> tuple[bytes, str]:
    """MusicXML bytes for LilyPond text, and python-ly's messages on one line.

    Measures holding no note (python-ly makes one for each ``\\bar "|."`` or
    ``\\bar "||"``) are removed, so music21 does not fill them with rests.
    """
    import ly.musicxml

    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            writer = ly.musicxml.writer()
            writer.parse_text(text)
            xml = writer.musicxml()
            drop_empty_measures(xml.root)
            data = xml.tostring()
    except Exception as err:
        raise InputError(
            f"{source}: python-ly cannot convert this LilyPond file ({describe(err)}); "
            "expected LilyPond music such as \\relative c' { c4 d e f }"
        ) from err
    messages = [line.strip() for line in out.getvalue().splitlines() if line.strip()]
    return data, "; ".join(dict.fromkeys(messages))


def drop_empty_measures(root: Any) -> None:
    """Remove measures without ``<note>`` or ``<forward>`` from every part of a MusicXML
    tree; their attributes and directions move to the next measure."""
    for part in root.iter("part"):
        carried: list[Any] = []
        for measure in list(part.findall("measure")):
            if measure.find("note") is not None or measure.find("forward") is not None:
                for index, child in enumerate(carried):
                    measure.insert(index, child)
                carried = []
                continue
            carried.extend(child for child in measure if child.tag in _CARRIED_TAGS)
            part.remove(measure)
