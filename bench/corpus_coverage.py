"""Corpus coverage: does nabi_music read every tune of the music21 corpus it promises?

Reads every tune of ``corpus:essenFolksong/kinder0.abc`` and the soprano line (the part
named Soprano, else part 1) of every Bach chorale music21's chorale iterator lists (BWV
numbering: 2.6 ... 438),
and prints how many melodies were read, how many were skipped and why, notes, distinct
codes and the pitch range. Run: ``.venv/bin/python bench/corpus_coverage.py [--jobs N]``.
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections import Counter
from concurrent.futures import ProcessPoolExecutor

from nabi_music.errors import InputError, NabiError, NabiWarning
from nabi_music.music.notes import Melody
from nabi_music.readers import Skipped, read_report
from nabi_music.readers.summary import format_summary, summarize

KINDER = "corpus:essenFolksong/kinder0.abc"


def chorale_names() -> list[str]:
    """Corpus paths of the Bach chorales (``bach/bwv253`` ...), in BWV order."""
    from music21 import corpus

    return list(corpus.chorales.Iterator(numberingSystem="bwv", returnType="filename"))


def read_one(source: str, part: str | None = None) -> tuple[list[Melody], list[Skipped]]:
    """The report of one source; a file that cannot be read at all is one skipped tune.
    ``part``: a part name to read when the score has it (else the first part)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NabiWarning)
        try:
            try:
                return read_report(source, part=part)
            except InputError as err:
                if part is None or "no part" not in str(err):
                    raise
                return read_report(source)
        except NabiError as err:
            return [], [Skipped(source, str(err).removeprefix(f"{source}: "))]


def read_soprano(source: str) -> tuple[list[Melody], list[Skipped]]:
    return read_one(source, part="Soprano")


def report(label: str, sources: list[str], jobs: int, reader=read_one) -> tuple[int, int]:
    start = time.perf_counter()
    melodies: list[Melody] = []
    skipped: list[Skipped] = []
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        for found, missed in pool.map(reader, sources, chunksize=4):
            melodies += found
            skipped += missed
    seconds = time.perf_counter() - start
    summary = summarize(melodies, skipped)
    print(f"== {label}: {len(sources)} file(s), {seconds:.1f} s")
    for line in format_summary(label, summary)[1:]:
        print("  " + line)
    warned = Counter(w.split(": ", 1)[-1].split(";")[0] for m in melodies for w in m.warnings)
    for message, count in warned.most_common(5):
        print(f"  warning x{count}: {message}")
    print()
    return summary.melodies, len(skipped)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    args = parser.parse_args()
    report("kinder0.abc (Essen folk songs)", [KINDER], 1)
    names = chorale_names()
    first, last = names[0].split("/")[-1], names[-1].split("/")[-1]
    label = f"Bach chorales, the part named Soprano, else part 1 ({first} ... {last})"
    report(label, [f"corpus:{n}" for n in names], args.jobs, read_soprano)


if __name__ == "__main__":
    main()
