"""What the tests share: the repository's paths, the tutorial's song, running ``nabi``."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

from nabi_music.errors import NabiError, NabiWarning
from nabi_music.readers import read

ROOT = Path(__file__).resolve().parent.parent
SCORES = ROOT / "scores"
NABIYA_LY = SCORES / "nabiya.ly"

NABIYA = """
g8 e8 e4 f8 d8 d4 c8 d8 e8 f8 g8 g8 g4
g8 e8 e8 e8 f8 d8 d4 c8 e8 g8 g8 e8 e8 e4
d8 d8 d8 d8 d8 e8 f4 e8 e8 e8 e8 e8 f8 g4
g8 e8 e4 f8 d8 d4 c8 e8 g8 g8 e8 e8 e4
""".split()
"""The tutorial's ``seq``: 나비야 as 54 note codes."""


def run_nabi(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run the ``nabi`` command as a user would, in a fresh process."""
    return subprocess.run(
        [sys.executable, "-m", "nabi_music.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        timeout=600,
    )


DATA = ROOT / "tests" / "data"
"""The tiny named fixtures."""

NABIYA_TEXT = " ".join(NABIYA)


def assert_reads_or_refuses(path: Path) -> None:
    """Any input either reads into melodies that all have notes, or raises a NabiError
    that names the file: never another exception."""
    try:
        melodies = read_quietly(path)
    except NabiError as err:
        assert str(path) in str(err)
    else:
        assert melodies and all(m.notes for m in melodies)


def read_quietly(path: str | Path) -> list:
    """read() for inputs that are expected to warn; the warnings are checked elsewhere."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NabiWarning)
        return read(path)


def unknown_compression(data: bytes, member: str) -> bytes:
    """A zip archive's bytes with ``member`` marked as compressed by a method no reader
    knows (99), in its central directory: zipfile refuses to inflate it."""
    out = bytearray(data)
    name = member.encode()
    entry = out.find(b"PK\x01\x02")
    while out[entry + 46 : entry + 46 + len(name)] != name:
        entry = out.find(b"PK\x01\x02", entry + 4)
        if entry < 0:
            raise ValueError(f"no member {member}")
    out[entry + 10 : entry + 12] = (99).to_bytes(2, "little")
    return bytes(out)
