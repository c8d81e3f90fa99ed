"""Held-out prediction of chromatic pitch, 10-fold cross-validation by song, against
the published figures (a benchmark, not a test: it trains ten models per member
and corpus).

    .venv/bin/python bench/corpus_cv.py                      # kinder0 and the chorales
    .venv/bin/python bench/corpus_cv.py --corpus kinder --members lstm --json out.json

Corpora (both ship with music21):

- ``kinder``: ``corpus:essenFolksong/kinder0.abc``, 213 German nursery rhymes,
  8,393 notes. Published (IDyOM, Pearce 2005 and after): 2.102 bits per note with
  its best model, which also learns from each test song as it goes, and 2.428 for
  its long-term model, which does not.
- ``chorales``: the soprano lines of the Bach chorales BWV 253-438 in music21's
  corpus. Published: 2.342 bits per note (pitch only).

Every song is a test song exactly once; models learn from the training songs of
their fold only. Beside the networks (``--members``), two kinds of n-gram model
are counted on the same training songs: of pitches (``NgramModel``) and of
melodic intervals (``IntervalNgramModel``, transposition-invariant, IDyOM's
``cpint`` viewpoint). The validation songs of a fold serve for early stopping and
to choose the mixtures: the n-grams' orders and the weights with which the
models' probabilities are averaged (a 0.05 grid). The target is the
chromatic pitch (MIDI number) of every note, rests left out, predicted from the
song's start. Songs are moved to C major or A minor by their written key first: a
bijection of the pitches, given the key, which IDyOM's best viewpoints also use
(intervals from the tonic). Nothing is learnt from the test songs: no figure here
learns at test time.

Each member network's log-probabilities of a fold's validation and test songs
are kept in ``--cache`` (by corpus, member settings, seed and fold), so a rerun
with another member trains only that one.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import os
import re
import sys
import time
import warnings
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np

from nabi_music.data.corpus import Split, folds, read_corpus, take
from nabi_music.data.encoding import pitch_classes
from nabi_music.evaluate.crossval import CorpusOptions, corpus_vocabulary, pool, prepare, run_split
from nabi_music.evaluate.ngram import IntervalNgramModel, NgramModel
from nabi_music.evaluate.scores import Scores, network_log_probs, score_predictions
from nabi_music.models.presets import ModelConfig, preset
from nabi_music.music.notes import Melody

PUBLISHED = {
    "kinder": [("IDyOM, learning from each test song too", 2.102), ("IDyOM long-term only", 2.428)],
    "chorales": [("IDyOM, published", 2.342)],
}
ORDERS = (2, 3, 4, 5)
INTERVAL_ORDERS = (2, 3, 4, 5, 6, 7, 8)
GRID = 0.05

_SHARED = dict(units=256, layers=1, dropout=0.5, batch_size=16, patience=8)
MEMBERS: dict[str, ModelConfig] = {
    "lstm": preset("corpus-lstm").with_options(**_SHARED),
    "gru": preset("corpus-gru").with_options(**_SHARED),
}
"""The member networks: corpus-lstm's embedding and window, one recurrent layer of 256
with dropout 0.5. The LSTM's settings are the best of a few tried on fold 1 of kinder0
(2 layers of 128: 2.13 bits there; this one 2.07); the GRU takes the same ones untried."""


def read_songs(name: str) -> list[Melody]:
    warnings.simplefilter("ignore")
    if name == "kinder":
        return read_corpus(["corpus:essenFolksong/kinder0.abc"], repeats=False)
    from music21 import corpus

    paths = []
    for p in corpus.getComposer("bach"):
        m = re.match(r"bwv(\d+)\.mxl$", p.name)
        if m and 253 <= int(m.group(1)) <= 438:
            paths.append(f"corpus:bach/{p.stem}")
    from nabi_music.readers import read

    return [read(p, repeats=False)[0] for p in sorted(paths)]  # the first part: the soprano


def network(bundle, songs) -> list[np.ndarray]:
    runner, table = bundle.runner(), bundle.table
    return [network_log_probs(runner, table, bundle.vocabulary.encode(m.codes))[0] for m in songs]


def mixture(parts: list[list[np.ndarray]], weights) -> list[np.ndarray]:
    """Per song, the log of the weighted mean of the parts' probabilities."""
    return [
        np.log(sum(w * np.exp(lp) for w, lp in zip(weights, song, strict=True)))
        for song in zip(*parts, strict=True)
    ]


def simplex(n: int, step: float = GRID) -> list[tuple[float, ...]]:
    """Every weight vector of ``n`` non-negative multiples of ``step`` adding up to 1."""
    k = round(1 / step)
    return [
        tuple(c / k for c in (*cut, k - sum(cut)))
        for cut in itertools.product(range(k + 1), repeat=n - 1)
        if sum(cut) <= k
    ]


def best_weights(
    parts: list[list[np.ndarray]], targets, pitch_of
) -> tuple[tuple[float, ...], float]:
    """The mixture weights with the fewest bits per pitch on these (validation) songs,
    and those bits."""
    index = np.unique(pitch_of, return_inverse=True)[1]
    # each part's probability of each note's real pitch (pitch mass is linear in the mixture)
    p = np.array(
        [
            np.concatenate(
                [
                    (np.exp(lp) * (index[None, :] == index[y][:, None])).sum(axis=1)
                    for lp, y in zip(part, targets, strict=True)
                ]
            )
            for part in parts
        ]
    )
    candidates = np.array(simplex(len(parts)))
    bits = -np.log2(candidates @ p).mean(axis=1)
    best = int(np.argmin(bits))
    return tuple(float(x) for x in candidates[best]), float(bits[best])


def choose_mixture(
    networks: list[list[np.ndarray]], grams: dict, targets, pitch_of
) -> tuple[tuple[float, ...], int, int]:
    """The weights of the networks, the pitch n-gram and the interval n-gram, and the two
    n-grams' orders, with the fewest bits on these (validation) songs."""
    best = None
    for pitch_order, interval_order in itertools.product(ORDERS, INTERVAL_ORDERS):
        parts = [*networks, grams["pitch", pitch_order][0], grams["interval", interval_order][0]]
        w, bits = best_weights(parts, targets, pitch_of)
        if best is None or bits < best[0]:
            best = (bits, w, pitch_order, interval_order)
    assert best is not None
    return best[1], best[2], best[3]


def member_log_probs(
    name: str, member: str, fold: int, split: Split, songs, vocabulary, options, seed, epochs, cache
) -> tuple[list[np.ndarray], list[np.ndarray], dict]:
    """A member network's log-probabilities of the fold's validation and test songs
    (trained now, or read from the cache)."""
    config = MEMBERS[member]
    key = json.dumps([name, config.to_dict(), options.to_dict(), seed, epochs, split.to_dict()])
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    path = Path(cache) / f"{name}-{member}-fold{fold + 1}-{digest}.npz"
    if path.exists():
        data = np.load(path, allow_pickle=False)
        info = json.loads(str(data["info"]))
        n_val = len(split.validation)
        arrays = [data[f"s{i}"] for i in range(n_val + len(split.test))]
        return arrays[:n_val], arrays[n_val:], info
    result = run_split(
        songs, split, config, options, vocabulary=vocabulary, seed=seed, epochs=epochs
    )
    val = network(result.bundle, take(songs, split.validation))
    test = network(result.bundle, take(songs, split.test))
    info = {"epochs": len(result.report.logs["loss"]), "seconds": result.report.seconds}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, info=json.dumps(info), **{f"s{i}": a for i, a in enumerate([*val, *test])})
    tmp.replace(path)
    return val, test, info


def run(name: str, members: list[str], k: int, seed: int, epochs: int | None, cache: str) -> dict:
    start = time.perf_counter()
    options = CorpusOptions(pitch_only=True, normalize_key=True)
    songs = prepare(read_songs(name), options)
    vocabulary = corpus_vocabulary(songs, options)
    pitch_of = pitch_classes(vocabulary)
    notes = sum(len(m.notes) for m in songs)
    print(f"\n{name}: {len(songs)} songs, {notes} notes, {k} folds, seed {seed}", flush=True)
    scores: dict[str, list[Scores]] = {}
    weights = []

    def add(label: str, log_probs, targets) -> Scores:
        s = score_predictions(log_probs, targets, pitch_of)
        scores.setdefault(label, []).append(s)
        return s

    for i, split in enumerate(folds(len(songs), k, seed)):
        train, val, test = (take(songs, s) for s in (split.train, split.validation, split.test))
        train_y, val_y, test_y = (
            [vocabulary.encode(m.codes) for m in x] for x in (train, val, test)
        )
        val_parts, test_parts, line = [], [], [f"fold {i + 1:>2}: {len(test):>3} songs"]
        for member in members:
            v, t, info = member_log_probs(
                name, member, i, split, songs, vocabulary, options, seed, epochs, cache
            )
            val_parts.append(v)
            test_parts.append(t)
            s = add(f"{member} network", t, test_y)
            line.append(
                f"{member} {s.pitch_bits:.3f} ({info['epochs']} ep, {info['seconds']:.0f} s)"
            )
        if len(members) > 1:
            s = add(
                "networks averaged", mixture(test_parts, [1 / len(members)] * len(members)), test_y
            )
            line.append(f"averaged {s.pitch_bits:.3f}")
        # the n-grams of every order, pitch and interval, counted on the training songs
        grams: dict[tuple[str, int], tuple[list[np.ndarray], list[np.ndarray]]] = {}
        for order in ORDERS:
            pitch = NgramModel(order, len(vocabulary)).fit(train_y)
            grams["pitch", order] = (
                [pitch.log_probs(y) for y in val_y],
                [pitch.log_probs(y) for y in test_y],
            )
            add(f"{order}-gram Witten-Bell", grams["pitch", order][1], test_y)
        for order in INTERVAL_ORDERS:
            interval = IntervalNgramModel(order, pitch_of).fit(train_y)
            grams["interval", order] = (
                [interval.log_probs(y) for y in val_y],
                [interval.log_probs(y) for y in test_y],
            )
            add(f"interval {order}-gram Witten-Bell", grams["interval", order][1], test_y)
        # the mixtures: n-gram orders and weights with the fewest bits on the validation songs
        w, pitch_order, interval_order = choose_mixture([], grams, val_y, pitch_of)
        ngram_parts = [grams["pitch", pitch_order][1], grams["interval", interval_order][1]]
        add("pitch + interval n-gram mixture", mixture(ngram_parts, w), test_y)
        w, pitch_order, interval_order = choose_mixture(val_parts, grams, val_y, pitch_of)
        parts = [*test_parts, grams["pitch", pitch_order][1], grams["interval", interval_order][1]]
        s = add("networks + n-gram mixture", mixture(parts, w), test_y)
        names = [*members, f"pitch {pitch_order}-gram", f"interval {interval_order}-gram"]
        weights.append(dict(zip(names, w, strict=True)))
        line.append(
            f"mixture {s.pitch_bits:.3f} ("
            + ", ".join(f"{n} {x:.2f}" for n, x in zip(names, w, strict=True))
            + ")"
        )
        print("  ".join(line), flush=True)
    rows = [(label, pool(parts)) for label, parts in scores.items()]
    print(f"\n{name}, pitch only, {k}-fold CV by song ({rows[0][1].notes} notes):")
    print(f"{'model':<34}{'bits/note':>10}{'top-1':>8}{'top-3':>8}")
    for label, s in rows:
        print(f"{label:<34}{s.pitch_bits:>10.3f}{s.pitch_top1:>8.1%}{s.pitch_top3:>8.1%}")
    for label, bits in PUBLISHED[name]:
        print(f"{label:<34}{bits:>10.3f}")
    print(f"({time.perf_counter() - start:.0f} s)", flush=True)
    return {
        "corpus": name,
        "songs": len(songs),
        "notes": notes,
        "folds": k,
        "seed": seed,
        "members": {m: MEMBERS[m].to_dict() for m in members},
        "results": {label: s.to_dict() for label, s in rows},
        "mixture": weights,
        "published": dict(PUBLISHED[name]),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", choices=("kinder", "chorales", "both"), default="both")
    parser.add_argument(
        "--members", default="lstm,gru", help=f"networks, comma-separated, of {', '.join(MEMBERS)}"
    )
    parser.add_argument("--folds", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--epochs", type=int, help="at most this many epochs (default 100)")
    parser.add_argument(
        "--cache", default="outputs/bench-cache", help="member predictions kept here"
    )
    parser.add_argument("--json", help="write the figures as JSON")
    args = parser.parse_args()
    members = [m for m in args.members.split(",") if m]
    unknown = [m for m in members if m not in MEMBERS]
    if unknown or not members:
        parser.error(f"--members: expected names of {', '.join(MEMBERS)}, got {args.members!r}")
    names = ("kinder", "chorales") if args.corpus == "both" else (args.corpus,)
    out = [run(name, members, args.folds, args.seed, args.epochs, args.cache) for name in names]
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
