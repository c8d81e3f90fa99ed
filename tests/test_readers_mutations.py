"""Random mutations of real files of every format (bits flipped, cut short, huge numbers
written in, a stretch repeated): ``nabi inspect`` reads each or refuses it with one
line, exit 0 or 2, never a traceback or a Python error name, within 10 seconds and
1 GB (each run capped: :mod:`isolated`)."""

from __future__ import annotations

import random
import zipfile
from pathlib import Path

import pytest
from helpers import DATA, NABIYA_LY, SCORES, read_quietly
from isolated import assert_answered, run_isolated

from nabi_music.writers.midi import write_midi

MUTATIONS_PER_FILE = 6


def seeds(folder: Path) -> list[Path]:
    """Real files of every reader's format: the repository's, a MIDI and an .mxl made
    from them."""
    files = [
        NABIYA_LY,
        DATA / "tuplets.ly",
        DATA / "repeats.ly",
        SCORES / "nabiya.txt",
        SCORES / "twinkle.musicxml",
        DATA / "repeats.musicxml",
        DATA / "repeats.abc",
        DATA / "kinder_20.abc",
    ]
    midi = write_midi(read_quietly(NABIYA_LY)[0], folder / "nabiya.mid")
    mxl = folder / "twinkle.mxl"
    with zipfile.ZipFile(mxl, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "META-INF/container.xml",
            '<?xml version="1.0"?><container><rootfiles>'
            '<rootfile full-path="twinkle.musicxml"/></rootfiles></container>',
        )
        z.write(SCORES / "twinkle.musicxml", "twinkle.musicxml")
    return [*files, midi, mxl]


def mutate(data: bytes, rng: random.Random) -> bytes:
    """One of: flip bits, cut short, write a huge number in, repeat a stretch."""
    kind = rng.choice(("flip", "cut", "number", "repeat"))
    if kind == "flip":
        out = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            out[rng.randrange(len(out))] ^= 1 << rng.randrange(8)
        return bytes(out)
    if kind == "cut":
        return data[: rng.randrange(len(data))]
    at = rng.randrange(len(data))
    if kind == "number":
        number = rng.choice((b"999999999", b"0", b"4294967295", b"1000000000000000000000"))
        # over a run of digits where there is one near, else in between
        digits = [k for k in range(at, min(len(data), at + 200)) if data[k : k + 1].isdigit()]
        if digits:
            start = end = digits[0]
            while end < len(data) and data[end : end + 1].isdigit():
                end += 1
            return data[:start] + number + data[end:]
        return data[:at] + number + data[at:]
    stretch = data[at : at + rng.randint(1, 64)]
    return data[:at] + stretch * rng.randint(2, 2000) + data[at:]


@pytest.mark.slow
def test_mutated_files_are_read_or_refused_within_bounds(tmp_path):
    rng = random.Random(20261202)
    jobs = []
    for source in seeds(tmp_path):
        data = source.read_bytes()
        for k in range(MUTATIONS_PER_FILE):
            path = tmp_path / f"{source.stem}-{k}{source.suffix}"
            path.write_bytes(mutate(data, rng))
            jobs.append(["inspect", str(path)])
    outcomes = run_isolated(jobs, timeout=10, memory=1_000_000_000)
    failures = []
    for outcome in outcomes:
        try:
            assert_answered(outcome)
        except AssertionError as failure:
            failures.append(str(failure))
    assert not failures, "\n".join(failures)
    assert {o.code for o in outcomes} == {0, 2}  # the mutations both read and refuse
