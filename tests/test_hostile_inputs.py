"""The permanent hostile set: files of a few bytes that ask for a billion beats or
repeats, files of tens of megabytes, archives that inflate past their limit, MIDI
with impossible metres, names that hold terminal escapes. ``nabi inspect`` (and
``nabi render`` for LilyPond) must answer each within 10 s of CPU and 1 GB
(:mod:`isolated` caps every run), refuse the absurd ones with one line that names
the file, and never print a control character from a file."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import DATA
from hostile_files import MAKERS
from isolated import Outcome, assert_answered, run_isolated

SMALL = sorted((DATA / "hostile").iterdir())

REFUSED = {
    "rest_times_a_billion.ly",
    "note_times_a_billion.ly",
    "unfold_empty_a_billion.ly",
    "unfold_time_changes.ly",
    "tuplet_huge_ratio.ly",
    "time_over_zero.ly",
    "unknown_note_name.ly",
    "abc_note_of_a_billion.abc",
    "abc_unit_over_zero.abc",
    "musicxml_billion_divisions.musicxml",
    "musicxml_rest_billion.musicxml",
    "many_time_changes.ly",
    "ten_million.txt",
    "huge_gap.mid",
    "huge_note.mid",
    "thirty_mb.mid",
    "zero_ticks.mid",
    "bomb.mxl",
    "lying.mxl",
}
"""Inputs whose numbers are absurd or whose size is over a limit: refused, exit 2."""
READ = {"long_tune.abc", "escapes.mid"}
"""Inputs that are large or strange but a melody: read, exit 0."""
EITHER = {"zero_beats.mid", "huge_denominator.mid"}
"""Impossible metres: read without them, or refused; either way one answer."""


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    folder = tmp_path_factory.mktemp("hostile")
    files = [*SMALL, *(make(folder) for make in MAKERS.values())]
    jobs = [["inspect", str(path)] for path in files]
    rendered = [p for p in files if p.suffix == ".ly"]
    jobs += [["render", str(p), "--png", "--out", str(folder / "png")] for p in rendered]
    results = run_isolated(jobs, timeout=10, memory=1_000_000_000)
    return {
        f"{job[0]} {Path(job[1]).name}": outcome for job, outcome in zip(jobs, results, strict=True)
    }


def test_the_lists_name_every_hostile_file(outcomes):
    names = {key.split(" ", 1)[1] for key in outcomes}
    assert names == REFUSED | READ | EITHER
    assert len(REFUSED | READ | EITHER) == len(REFUSED) + len(READ) + len(EITHER)


@pytest.mark.parametrize("name", sorted(REFUSED | READ | EITHER))
def test_a_hostile_input_is_answered_within_bounds(outcomes, name):
    expected = (2,) if name in REFUSED else (0,) if name in READ else (0, 2)
    runs = [outcome for key, outcome in outcomes.items() if key.split(" ", 1)[1] == name]
    assert runs
    for outcome in runs:  # nabi inspect, and nabi render for LilyPond
        assert_answered(outcome, expected)
        if outcome.code == 2:
            assert name in outcome.stderr, str(outcome)  # the line names the file


def test_nothing_from_a_file_reaches_the_terminal_raw(outcomes):
    for key, outcome in outcomes.items():
        for stream in (outcome.stdout, outcome.stderr):
            assert not any(
                (ord(c) < 32 and c not in "\n\t") or 0x7F <= ord(c) < 0xA0 for c in stream
            ), key
    escapes = outcomes["inspect escapes.mid"]
    assert "pwned" in escapes.stdout + escapes.stderr  # shown, escaped
