"""Does corpus training give the same held-out figures on every CPU? (A benchmark, not a
test: it trains one model per seed and instruction-set setting.)

    .venv/bin/python bench/corpus_stability.py                        # kinder0 and the chorales
    .venv/bin/python bench/corpus_stability.py --corpus corpus:essenFolksong/han1.abc \\
        --isa host,SSE41 --seeds 1

For each corpus it trains ``corpus-lstm`` (``nabi train --corpus ... --preset
corpus-lstm``: full codes, pitch and duration) with seeds 1 to 3, each on the host
and under ``ONEDNN_MAX_CPU_ISA=AVX2`` and ``=SSE41``. oneDNN, whose kernels Keras
``fit`` runs, reads that variable when it starts, so every run is its own
subprocess; each ceiling gives other float rounding, as another CPU would.

The split into train/validation/test songs is the one ``nabi train --seed 1``
makes, the same for every run, so that the runs differ only in the training seed
and the rounding, and share their held-out songs. Beside them, every n-gram
``nabi train`` offers (orders 1 to 6, Witten-Bell and Kneser-Ney) is counted on the
same training songs and scored on the same held-out songs; the table names the
best on bits/note and the best on pitch bits (chosen on the test songs: the
n-gram's most flattering figure).

Corpora: ``kinder`` (``corpus:essenFolksong/kinder0.abc``, 213 songs), ``chorales``
(the soprano lines of the Bach chorales BWV 253-438 in music21's corpus, as in
``bench/corpus_cv.py``), or any ``--corpus`` spec ``nabi train --corpus`` reads.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pickle
import re
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

ISA = {"host": None, "AVX2": "AVX2", "SSE41": "SSE41"}
NAMED = {"kinder": "corpus:essenFolksong/kinder0.abc", "chorales": "chorales"}
NGRAMS = [(o, "witten-bell") for o in range(1, 7)] + [(o, "kneser-ney") for o in (2, 3, 4)]
"""Witten-Bell (the default) of orders 1 to 6, Kneser-Ney of orders 2 to 4: on kinder0 its
figures worsen with the order from 2 on (4.27, 4.51, 4.88, 5.15 bits/note for orders 2 to
5), and NLTK counts an order-5 Kneser-Ney model in over 5 minutes."""
CACHE = "outputs/bench-cache"


def read_songs(spec: str) -> list:
    """The songs as ``nabi train --corpus`` reads them (repeats played out)."""
    warnings.simplefilter("ignore")
    from nabi_music.data.corpus import read_corpus
    from nabi_music.readers import read

    if spec != "chorales":
        return read_corpus([NAMED.get(spec, spec)])
    from music21 import corpus

    paths = sorted(
        f"corpus:bach/{p.stem}"
        for p in corpus.getComposer("bach")
        if (m := re.match(r"bwv(\d+)\.mxl$", p.name)) and 253 <= int(m.group(1)) <= 438
    )
    return [read(p)[0] for p in paths]  # the first part: the soprano


def one_run(
    songs_file: str, split_seed: int, seed: int, preset_name: str, schedule: dict, changes: dict
) -> dict:
    """Train and score one model (in this process) on the pickled songs; its figures."""
    from nabi_music.data.corpus import split_songs
    from nabi_music.evaluation.crossval import CorpusOptions, run_split
    from nabi_music.models.presets import preset
    from nabi_music.training import fit

    with open(songs_file, "rb") as f:
        songs = pickle.load(f)
    split, options = split_songs(len(songs), split_seed), CorpusOptions()
    config = preset(preset_name).with_options(**changes)
    plan = fit.Schedule(**{**fit.schedule_of(config).to_dict(), **schedule})
    result = run_split(songs, split, config, options, seed=seed, schedule=plan)
    logs = result.report.logs
    return {
        "epochs": len(logs["loss"]),
        "best_epoch": result.report.best_epoch,
        "seconds": result.report.seconds,
        "bits": result.model.bits,
        "pitch_bits": result.model.pitch_bits,
        "val_loss": list(logs["val_loss"]),
        "schedule": plan.to_dict(),
    }


def ngrams(songs: list, split) -> list[dict]:
    """The n-grams of :data:`NGRAMS`, counted on the training songs, scored on the test
    songs; kept in :data:`CACHE`, keyed by the songs' codes, the split and the n-grams."""
    from nabi_music.data.corpus import take
    from nabi_music.evaluation.crossval import CorpusOptions, corpus_vocabulary, score_ngram

    options = CorpusOptions()
    key = json.dumps([[m.codes for m in songs], split.to_dict(), NGRAMS, options.to_dict()])
    path = Path(CACHE) / f"ngrams-{hashlib.sha256(key.encode()).hexdigest()[:16]}.json"
    if path.exists():
        return json.loads(path.read_text())
    vocabulary = corpus_vocabulary(songs, options)
    out = []
    for order, smoothing in NGRAMS:
        o = CorpusOptions(ngram_order=order, smoothing=smoothing)
        s = score_ngram(take(songs, split.train), take(songs, split.test), vocabulary, o)
        out.append({"name": f"{order}-gram {smoothing}", "bits": s.bits, "pitch": s.pitch_bits})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out))
    return out


def spawn(
    songs_file: str,
    split_seed: int,
    seed: int,
    isa: str,
    preset_name: str,
    schedule: dict,
    changes: dict,
):
    """:func:`one_run` in a new process, under the oneDNN instruction-set ceiling ``isa``."""
    env = {k: v for k, v in os.environ.items() if k != "ONEDNN_MAX_CPU_ISA"}
    if ISA[isa]:
        env["ONEDNN_MAX_CPU_ISA"] = ISA[isa]
    args = [sys.executable, __file__, "--one", songs_file, "--split-seed", str(split_seed)]
    args += ["--seeds", str(seed), "--preset", preset_name, "--schedule", json.dumps(schedule)]
    args += ["--config", json.dumps(changes)]
    done = subprocess.run(args, env=env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"run of seed {seed} under {isa} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--corpus", nargs="+", default=["kinder", "chorales"], help="kinder, chorales, or specs"
    )
    parser.add_argument("--seeds", default="1,2,3", help="training seeds (default 1,2,3)")
    parser.add_argument("--isa", default="host,AVX2,SSE41", help=f"of {', '.join(ISA)}")
    parser.add_argument("--split-seed", type=int, default=1, help="seed of the split (default 1)")
    parser.add_argument("--preset", default="corpus-lstm")
    parser.add_argument(
        "--schedule", default="{}", help='JSON changes to the schedule, e.g. {"falls": 2}'
    )
    parser.add_argument(
        "--config", default="{}", help='JSON changes to the preset, e.g. {"members": 1}'
    )
    parser.add_argument("--json", help="write the figures as JSON")
    parser.add_argument("--one", metavar="SONGS", help=argparse.SUPPRESS)  # a worker's run
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    schedule, changes = json.loads(args.schedule), json.loads(args.config)
    if args.one:
        run = one_run(args.one, args.split_seed, seeds[0], args.preset, schedule, changes)
        print(json.dumps(run))
        return 0
    isas = args.isa.split(",")
    if unknown := [i for i in isas if i not in ISA]:
        parser.error(f"--isa: unknown {unknown}; expected of {', '.join(ISA)}")
    from nabi_music.data.corpus import split_songs
    from nabi_music.evaluation.crossval import CorpusOptions, prepare

    out = []
    for spec in args.corpus:
        songs = prepare(read_songs(spec), CorpusOptions())  # read once, handed to every run
        split = split_songs(len(songs), args.split_seed)
        songs_file = str(Path(tempfile.mkdtemp()) / "songs.pickle")
        with open(songs_file, "wb") as f:
            pickle.dump(songs, f)
        grams = ngrams(songs, split)
        best_bits = min(grams, key=lambda g: g["bits"])
        best_pitch = min(grams, key=lambda g: g["pitch"])
        print(
            f"\n{spec}: {len(songs)} songs; split of seed {args.split_seed}: "
            f"{len(split.train)} train, {len(split.validation)} validation, "
            f"{len(split.test)} test songs",
            flush=True,
        )
        print(f"{'seed':>4} {'oneDNN ISA':<11}{'epochs':>7}{'best':>6}{'s':>6}"
              f"{'bits/note':>11}{'pitch bits':>11}", flush=True)  # fmt: skip
        runs = []
        for seed in seeds:
            for isa in isas:
                start = time.perf_counter()
                r = spawn(songs_file, args.split_seed, seed, isa, args.preset, schedule, changes)
                r.update(seed=seed, isa=isa, wall=time.perf_counter() - start)
                runs.append(r)
                print(
                    f"{seed:>4} {isa:<11}{r['epochs']:>7}{r['best_epoch']:>6}{r['wall']:>6.0f}"
                    f"{r['bits']:>11.3f}{r['pitch_bits']:>11.3f}",
                    flush=True,
                )
        bits = [r["bits"] for r in runs]
        pitch = [r["pitch_bits"] for r in runs]
        print(f"best n-gram on bits/note: {best_bits['name']:<26}{best_bits['bits']:>11.3f}"
              f"{best_bits['pitch']:>11.3f}")  # fmt: skip
        print(f"best n-gram on pitch bits: {best_pitch['name']:<25}{best_pitch['bits']:>11.3f}"
              f"{best_pitch['pitch']:>11.3f}")  # fmt: skip
        beaten = sum(
            b < best_bits["bits"] and p < best_pitch["pitch"]
            for b, p in zip(bits, pitch, strict=True)
        )
        print(
            f"spread: bits/note {max(bits) - min(bits):.3f} ({min(bits):.3f} to {max(bits):.3f}), "
            f"pitch bits {max(pitch) - min(pitch):.3f}; "
            f"{beaten} of {len(runs)} runs beat the best n-grams on both",
            flush=True,
        )
        out.append({"corpus": spec, "split_seed": args.split_seed, "runs": runs, "ngrams": grams})
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
