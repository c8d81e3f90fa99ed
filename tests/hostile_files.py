"""The large and binary members of the hostile set, made at test time in a folder
(the small ones are files in ``tests/data/hostile/``). Each maker writes one file and
returns its path."""

from __future__ import annotations

import struct
import zipfile
from collections.abc import Callable
from pathlib import Path

import mido

HEADER = "X:1\nT:long\nM:4/4\nL:1/8\nK:C\n"


def ly_many_time_changes(folder: Path) -> Path:
    path = folder / "many_time_changes.ly"
    path.write_text("{ " + " ".join(["\\time 1/64"] * 3000) + " s1*100000 c4 }\n")
    return path


def abc_long_tune(folder: Path) -> Path:
    """One tune of 100,000 notes in 6,250 bars of sixteenths (125 kB), exactly the
    notes limit: to be read, in linear time."""
    path = folder / "long_tune.abc"
    path.write_text(HEADER.replace("L:1/8", "L:1/16") + "CDEF GABc cdef gabc|" * 6_250 + "\n")
    return path


def codes_ten_million(folder: Path) -> Path:
    """10 million note codes, 30 MB."""
    path = folder / "ten_million.txt"
    with path.open("w") as f:
        for _ in range(100):
            f.write("c4 " * 100_000)
    return path


def _midi(folder: Path, name: str, messages: list[mido.Message | mido.MetaMessage]) -> Path:
    track = mido.MidiTrack(messages)
    path = folder / name
    mido.MidiFile(tracks=[track], ticks_per_beat=480).save(path)
    return path


def midi_huge_gap(folder: Path) -> Path:
    """A note, a silence of 2^28 ticks, a note."""
    return _midi(
        folder,
        "huge_gap.mid",
        [
            mido.Message("note_on", note=60, velocity=64, time=0),
            mido.Message("note_off", note=60, velocity=0, time=480),
            mido.Message("note_on", note=62, velocity=64, time=2**28),
            mido.Message("note_off", note=62, velocity=0, time=480),
        ],
    )


def midi_huge_note(folder: Path) -> Path:
    return _midi(
        folder,
        "huge_note.mid",
        [
            mido.Message("note_on", note=60, velocity=64, time=0),
            mido.Message("note_off", note=60, velocity=0, time=2**28),
        ],
    )


def midi_thirty_megabytes(folder: Path) -> Path:
    """30 MB of valid notes (raw track bytes: mido would take a minute to write them)."""
    note = bytes([0x00, 0x90, 60, 64, 0x83, 0x60, 0x80, 60, 0])  # on, a quarter later off
    body = note * (30_000_000 // len(note)) + bytes([0x00, 0xFF, 0x2F, 0x00])
    path = folder / "thirty_mb.mid"
    header = b"MThd" + struct.pack(">IHHH", 6, 0, 1, 480)
    path.write_bytes(header + b"MTrk" + struct.pack(">I", len(body)) + body)
    return path


def _time_signature(numerator: int, exponent: int) -> bytes:
    return bytes([0x00, 0xFF, 0x58, 0x04, numerator, exponent, 24, 8])


def _raw_midi(folder: Path, name: str, events: bytes) -> Path:
    notes = bytes([0x00, 0x90, 60, 64, 0x83, 0x60, 0x80, 60, 0]) * 4
    body = events + notes + bytes([0x00, 0xFF, 0x2F, 0x00])
    path = folder / name
    header = b"MThd" + struct.pack(">IHHH", 6, 0, 1, 480)
    path.write_bytes(header + b"MTrk" + struct.pack(">I", len(body)) + body)
    return path


def midi_zero_time_signature(folder: Path) -> Path:
    """A time signature of 0 beats."""
    return _raw_midi(folder, "zero_beats.mid", _time_signature(0, 2))


def midi_huge_denominator(folder: Path) -> Path:
    """A time signature over 2^255."""
    return _raw_midi(folder, "huge_denominator.mid", _time_signature(4, 255))


def midi_zero_ticks_per_beat(folder: Path) -> Path:
    path = _raw_midi(folder, "zero_ticks.mid", b"")
    data = bytearray(path.read_bytes())
    data[12:14] = b"\x00\x00"
    path.write_bytes(bytes(data))
    return path


def midi_terminal_escapes(folder: Path) -> Path:
    """Two tracks whose names would set the terminal's title, clear the screen and turn
    the text red (the second track is dropped with a warning that names both)."""
    names = ["\x1b]0;pwned\x07\x1b[2J\x1b[31mfirst", "\x1b[2Jsecond\x9b1m\x85evil"]
    tracks = [
        mido.MidiTrack(
            [
                mido.MetaMessage("track_name", name=name),
                mido.Message("note_on", note=60 + k, velocity=64, time=0),
                mido.Message("note_off", note=60 + k, velocity=0, time=480),
            ]
        )
        for k, name in enumerate(names)
    ]
    path = folder / "escapes.mid"
    mido.MidiFile(type=1, tracks=tracks, ticks_per_beat=480).save(path)
    return path


def mxl_bomb(folder: Path) -> Path:
    """A small ``.mxl`` whose score inflates to 60 MB (over the unpacked limit)."""
    path = folder / "bomb.mxl"
    container = (
        '<?xml version="1.0"?><container><rootfiles>'
        '<rootfile full-path="score.musicxml"/></rootfiles></container>'
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("META-INF/container.xml", container)
        with z.open("score.musicxml", "w") as member:
            member.write(b'<?xml version="1.0"?><score-partwise version="3.1"><!--')
            block = b" " * 1_000_000
            for _ in range(60):
                member.write(block)
            member.write(b"--></score-partwise>")
    return path


def mxl_lying_header(folder: Path) -> Path:
    """An ``.mxl`` whose member's header claims 1 kB but inflates to 60 MB."""
    path = mxl_bomb(folder)
    data = bytearray(path.read_bytes())
    name = b"score.musicxml"
    small = struct.pack("<I", 1000)
    for k in range(len(data) - 4):  # the local header and the central directory entry
        if data[k : k + 4] in (b"PK\x03\x04", b"PK\x01\x02"):
            offset = 22 if data[k + 2] == 3 else 24
            name_at = 30 if data[k + 2] == 3 else 46
            if data[k + name_at : k + name_at + len(name)] == name:
                data[k + offset : k + offset + 4] = small
    lying = folder / "lying.mxl"
    lying.write_bytes(bytes(data))
    return lying


MAKERS: dict[str, Callable[[Path], Path]] = {
    f.__name__: f
    for f in (
        ly_many_time_changes,
        abc_long_tune,
        codes_ten_million,
        midi_huge_gap,
        midi_huge_note,
        midi_thirty_megabytes,
        midi_zero_time_signature,
        midi_huge_denominator,
        midi_zero_ticks_per_beat,
        midi_terminal_escapes,
        mxl_bomb,
        mxl_lying_header,
    )
}
