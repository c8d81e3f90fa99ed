"""The 10-fold table of ``nabi crossval`` on the corpora of the README, with the seconds
each member took (a benchmark, not a test: it trains ten models per network, task and
corpus).

    .venv/bin/python bench/corpus_cv.py --corpus kinder                # not key-normalised
    .venv/bin/python bench/corpus_cv.py --corpus chorales --key-normalise --json out.json
    .venv/bin/python bench/corpus_cv.py --corpus kinder --members ngram,interval-ngram,mix

A thin wrapper over :func:`nabi_music.runs.corpus.run_crossval` (what ``nabi crossval``
runs: the same members, folds, cache and figures); it names the corpora and prints,
beside the tables, the seconds per member and the published figures.

Corpora (both ship with music21, read with repeats as written, as the published
benchmarks count them):

- ``kinder``: ``corpus:essenFolksong/kinder0.abc``, 213 German nursery rhymes.
  Published (IDyOM, pitch only, songs in their own keys): 2.102 bits per note with
  its best model, which also learns from each test song as it goes, and 2.428 for its
  long-term model, which does not.
- ``chorales``: the soprano lines of the Bach chorales BWV 253-438 in music21's corpus
  (``nabi crossval --corpus corpus:bach/bwv253 ... --no-repeats``). Published: 2.342
  bits per note (pitch only).

The seconds of a member are what computing its predictions took, fold by fold, when
they were computed (training and predicting for a network, counting and scoring for
an n-gram, choosing the weights for the mixture); predictions reused from the cache
keep the seconds they took then (``--cache`` a new folder to time a run afresh). The
wall time is this run's.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

from nabi_music import backend
from nabi_music.evaluation.members import DEFAULT_MEMBERS, parse_members
from nabi_music.runs.corpus import DEFAULT_CACHE, run_crossval

PUBLISHED = {
    "kinder": [
        ("IDyOM, learning from each test song too", 2.102),
        ("IDyOM, long-term model only", 2.428),
    ],
    "chorales": [("IDyOM, published", 2.342)],
}
"""Pitch only, songs in their own keys (not key-normalised)."""


def corpus_specs(name: str) -> list[str]:
    if name == "kinder":
        return ["corpus:essenFolksong/kinder0.abc"]
    corpus = backend.music21("corpus")
    return sorted(
        f"corpus:bach/{p.stem}"
        for p in corpus.getComposer("bach")
        if (m := re.match(r"bwv(\d+)\.mxl$", p.name)) and 253 <= int(m.group(1)) <= 438
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", choices=("kinder", "chorales"), default="kinder")
    parser.add_argument("--members", default=DEFAULT_MEMBERS)
    parser.add_argument("--folds", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--epochs", type=int, help="at most this many epochs per network")
    parser.add_argument("--key-normalise", action="store_true")
    parser.add_argument("--cache", default=DEFAULT_CACHE, help="member predictions kept here")
    parser.add_argument("--json", help="write the figures as JSON")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    members = parse_members(args.members, args.epochs)
    start = time.perf_counter()

    def on_fold(task: str, i: int, fold: dict) -> None:
        seconds = "  ".join(f"{n} {r.info['seconds']:.0f} s" for n, r in fold.items())
        print(f"{task} fold {i + 1}/{args.folds}: {seconds}", flush=True)

    bench = run_crossval(
        corpus_specs(args.corpus),
        members,
        folds=args.folds,
        seed=args.seed,
        key_normalise=args.key_normalise,
        read_options={"repeats": False},
        cache=args.cache,
        json_path=args.json,
        on_fold=on_fold,
    )
    bench.meta["corpus"] = [args.corpus]  # the table's heading: the name, not 186 paths
    print()
    print(bench.tables())
    print(f"\nseconds per member, {args.folds} folds, both tasks:")
    print(f"{'member':<18}{'pitch':>9}{'code':>9}{'total':>9}{'cached folds':>14}")
    total = 0.0
    for m in members:
        pitch, code = (bench.summary(task, m.name) for task in ("pitch", "code"))
        both = pitch["seconds"] + code["seconds"]
        total += both
        cached = pitch["cached_folds"] + code["cached_folds"]
        print(
            f"{m.name:<18}{pitch['seconds']:>9.0f}{code['seconds']:>9.0f}{both:>9.0f}{cached:>14}"
        )
    print(f"{'all members':<18}{'':>9}{'':>9}{total:>9.0f}")
    print(f"wall time of this run: {time.perf_counter() - start:.0f} s")
    print("\npublished (pitch only, songs in their own keys):")
    for label, bits in PUBLISHED[args.corpus]:
        print(f"  {label:<44}{bits:>7.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
