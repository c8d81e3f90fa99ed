"""The corpus side of the ``nabi`` command: ``nabi train --corpus`` and ``nabi evaluate``.

Kept apart from :mod:`nabi_music.cli` (which only adds the options and calls
in here), with the same habits: heavy imports when a command runs, one line
per error, tables on standard output and progress bars on standard error.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from nabi_music.errors import InputError

CORPUS_PRESET_NAMES = ("corpus-lstm", "corpus-gru", "corpus-lstm-2heads")
STRATEGY_NAMES = ("default", "mirrored", "multi-worker")


def add_corpus_options(p: argparse.ArgumentParser) -> None:
    """``nabi train`` options for training on a corpus."""
    p.add_argument(
        "--corpus",
        nargs="+",
        metavar="PATH",
        help="train on every melody of these files, folders, globs or corpus:PATHs, "
        "split by song into train/validation/test (a corpus preset: "
        f"{', '.join(CORPUS_PRESET_NAMES)})",
    )
    p.add_argument("--folds", type=int, help="K-fold cross-validation by song instead of one split")
    p.add_argument(
        "--split",
        default="80/10/10",
        help="train/validation/test percentages of the songs (default 80/10/10)",
    )
    p.add_argument(
        "--transpose",
        metavar="LOW..HIGH",
        help="also train on each training song transposed by LOW..HIGH semitones, e.g. -5..6",
    )
    p.add_argument(
        "--normalize-key",
        action="store_true",
        help="move every song to C major or A minor (its written key, or the key found)",
    )
    p.add_argument(
        "--pitch-only",
        action="store_true",
        help="learn the chromatic pitch alone (rests and durations left out)",
    )
    p.add_argument(
        "--strategy",
        choices=STRATEGY_NAMES,
        default="default",
        help="tf.distribute strategy: one device, mirrored over local devices, or "
        "multi-worker (configured by TF_CONFIG)",
    )
    p.add_argument("--json", metavar="OUT", help="also write the figures as JSON")
    ngram_options(p)


def ngram_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--ngram-order", type=int, help="order of the n-gram baseline (default 3)")
    p.add_argument(
        "--smoothing",
        choices=("witten-bell", "kneser-ney"),
        help="smoothing of the n-gram baseline (default witten-bell)",
    )


def add_evaluate_parser(sub: Any) -> None:
    p = sub.add_parser(
        "evaluate",
        help="score held-out songs with a bundle: bits per note and accuracy, beside an n-gram",
    )
    p.add_argument("bundle", help="a .nabi bundle written by `nabi train --corpus`")
    p.add_argument(
        "--corpus",
        nargs="+",
        metavar="PATH",
        help="songs to score (default: the bundle's own held-out test songs)",
    )
    p.add_argument("--json", metavar="OUT", help="also write the figures as JSON")
    ngram_options(p)
    p.set_defaults(func=cmd_evaluate)


# --- helpers ------------------------------------------------------------------


def _fit_bar(label: str) -> Any:
    """``progress(done, total, logs)`` for Keras fit, with ``.close()``."""
    from nabi_music.progress import EpochBar

    bar = EpochBar(label)

    def update(done: int, total: int, logs: dict[str, float]) -> None:
        bar.update(
            done,
            total,
            loss=f"{logs.get('loss', float('nan')):.4f}",
            val_loss=f"{logs.get('val_loss', float('nan')):.4f}",
        )

    update.close = bar.close  # type: ignore[attr-defined]
    return update


def _fractions(text: str) -> tuple[float, float]:
    try:
        parts = [float(p) for p in text.split("/")]
    except ValueError:
        parts = []
    if len(parts) != 3 or any(p < 0 for p in parts) or parts[0] <= 0:
        raise InputError(f"--split {text!r}: expected train/validation/test as in 80/10/10")
    total = sum(parts)
    return parts[1] / total, parts[2] / total


def _options(args: argparse.Namespace, base: Any = None) -> Any:
    from nabi_music.augment import parse_range
    from nabi_music.crossval import CorpusOptions

    base = base or CorpusOptions(
        transpose=parse_range(args.transpose) if getattr(args, "transpose", None) else None,
        normalize_key=getattr(args, "normalize_key", False),
        pitch_only=getattr(args, "pitch_only", False),
    )
    return CorpusOptions(
        transpose=base.transpose,
        normalize_key=base.normalize_key,
        pitch_only=base.pitch_only,
        ngram_order=args.ngram_order or base.ngram_order,
        smoothing=args.smoothing or base.smoothing,
    )


HEADER = (
    f"{'model':<24}{'bits/note':>10}{'pitch bits':>11}{'top-1':>7}{'top-3':>7}"
    f"{'pitch top-1':>12}{'pitch top-3':>12}"
)


def _row(name: str, s: Any) -> str:
    return (
        f"{name:<24}{s.bits:>10.3f}{s.pitch_bits:>11.3f}{s.top1:>7.1%}{s.top3:>7.1%}"
        f"{s.pitch_top1:>12.1%}{s.pitch_top3:>12.1%}"
    )


def _table(rows: Sequence[tuple[str, Any]]) -> list[str]:
    return [HEADER, "-" * len(HEADER), *(_row(n, s) for n, s in rows)]


def _ngram_name(options: Any) -> str:
    return f"{options.ngram_order}-gram ({options.smoothing})"


def _write_json(path: str | None, data: dict[str, Any]) -> None:
    if not path:
        return
    from nabi_music.fileio import atomic_write

    with atomic_write(Path(path)) as tmp:
        Path(tmp).write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n")
    print(f"wrote {path}")


def _quiet_retracing() -> None:
    """Each fold builds new models, so Keras traces new functions: expected, not a warning."""
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")


# --- nabi train --corpus ----------------------------------------------------------


def cmd_train_corpus(args: argparse.Namespace, read_options: dict[str, Any]) -> int:
    from nabi_music.cli import _quiet_tensorflow
    from nabi_music.corpus import read_corpus, split_songs

    if args.scores:
        raise InputError("give the songs either as SCORE arguments or after --corpus, not both")
    if args.preset not in CORPUS_PRESET_NAMES:
        raise InputError(
            f"--corpus trains the corpus presets ({', '.join(CORPUS_PRESET_NAMES)}), "
            f"not {args.preset}"
        )
    validation, test = _fractions(args.split)
    options = _options(args)
    out = Path(args.output or f"{args.preset}.nabi")
    if args.folds is None:
        if out.is_dir():
            raise InputError(f"{out}: is a folder; expected a bundle file name")
        if not out.parent.exists():
            raise InputError(f"{out.parent}: no such folder for the bundle")
    _quiet_tensorflow()
    from nabi_music.fit import make_strategy

    strategy = make_strategy(args.strategy)  # before TensorFlow runs anything (multi-worker)
    _quiet_retracing()
    melodies_read = read_corpus(args.corpus, **read_options)
    from nabi_music.crossval import cross_validate, prepare, run_split
    from nabi_music.presets import preset

    config = preset(args.preset).with_options(epochs=args.epochs, window=args.window)
    melodies = prepare(melodies_read, options)
    notes = sum(len(m.notes) for m in melodies)
    print(
        f"corpus: {len(melodies)} songs, {notes} notes from {' '.join(args.corpus)}"
        + (" (key normalised)" if options.normalize_key else "")
        + (" (pitch only)" if options.pitch_only else "")
    )
    meta = {"corpus": list(args.corpus), "read_options": read_options}
    bars: list[Any] = []
    if args.folds is not None:
        print(f"{args.folds}-fold cross-validation by song, seed {args.seed}")

        def progress_for(i: int) -> Any:
            bars.append(_fit_bar(f"fold {i + 1}/{args.folds}"))
            return bars[-1]

        def on_fold(i: int, result: Any) -> None:
            bars[-1].close()
            print(
                f"fold {i + 1:>2}: {len(result.split.test):>3} songs {result.model.notes:>5} notes"
                f"  {args.preset} {result.model.bits:.3f} bits/note "
                f"(pitch {result.model.pitch_bits:.3f})  {_ngram_name(options)} "
                f"{result.ngram.bits:.3f} (pitch {result.ngram.pitch_bits:.3f})"
                f"  epochs {len(result.report.logs['loss'])}"
            )

        try:
            cv = cross_validate(
                melodies,
                args.folds,
                config,
                options,
                seed=args.seed,
                strategy=strategy,
                progress_for=progress_for,
                on_fold=on_fold,
            )
        finally:
            for bar in bars:
                bar.close()
        per_fold = [f.model.bits for f in cv.folds]
        print()
        print(f"all {args.folds} folds, every song held out once ({cv.model.notes} notes):")
        for line in _table([(args.preset, cv.model), (_ngram_name(options), cv.ngram)]):
            print(line)
        print(
            f"mean of the fold figures: {args.preset} {sum(per_fold) / len(per_fold):.3f} "
            f"bits/note, {_ngram_name(options)} "
            f"{sum(f.ngram.bits for f in cv.folds) / len(cv.folds):.3f}"
        )
        _write_json(
            args.json,
            {
                "preset": config.to_dict(),
                "options": options.to_dict(),
                "seed": args.seed,
                **cv.to_dict(),
            },
        )
        return 0

    split = split_songs(len(melodies), args.seed, validation, test)
    print(
        f"split by song (seed {args.seed}): {len(split.train)} train, "
        f"{len(split.validation)} validation, {len(split.test)} test"
    )
    bar = _fit_bar(args.preset)
    try:
        result = run_split(
            melodies,
            split,
            config,
            options,
            seed=args.seed,
            strategy=strategy,
            progress=bar,
            meta=meta,
        )
    finally:
        bar.close()
    report = result.report
    from nabi_music.bundle import save_bundle

    save_bundle(result.bundle, out)
    print(
        f"trained {args.preset}: {len(report.logs['loss'])} epochs in {report.seconds:.1f} s, "
        f"best epoch {report.best_epoch} (validation loss "
        f"{report.logs['val_loss'][report.best_epoch - 1]:.4f}), "
        f"{report.notes_per_second:.0f} notes/s"
    )
    rates = report.logs.get("learning_rate", ())
    if rates and rates[-1] != rates[0]:
        print(f"learning rate {rates[0]:g}, fell to {rates[-1]:g} on validation plateaus")
    print(f"held-out test songs: {result.model.songs} songs, {result.model.notes} notes")
    for line in _table([(args.preset, result.model), (_ngram_name(options), result.ngram)]):
        print(line)
    print(f"wrote {out}")
    _write_json(args.json, result.to_dict())
    return 0


# --- nabi evaluate ----------------------------------------------------------------


def cmd_evaluate(args: argparse.Namespace) -> int:
    from nabi_music.cli import _quiet_tensorflow

    if not Path(args.bundle).is_file():
        raise InputError(f"{args.bundle}: no such bundle file")
    _quiet_tensorflow()
    from nabi_music.bundle import load_bundle
    from nabi_music.corpus import read_corpus, take
    from nabi_music.crossval import CorpusOptions, prepare, score_network, score_ngram
    from nabi_music.notes import Melody

    bundle = load_bundle(args.bundle)
    meta = bundle.meta
    if "corpus_options" not in meta or "songs" not in meta:
        raise InputError(
            f"{args.bundle}: not trained on a corpus (no corpus options or training songs "
            "recorded); train it with `nabi train --corpus`"
        )
    options = _options(args, CorpusOptions.from_dict(meta["corpus_options"]))
    train = [Melody.from_codes(s["codes"]) for s in meta["songs"]]
    if args.corpus:
        songs = prepare(read_corpus(args.corpus), options)
        where = " ".join(args.corpus)
    else:
        if "corpus" not in meta or "split" not in meta:
            raise InputError(f"{args.bundle}: records no corpus split; give --corpus PATH")
        everything = prepare(read_corpus(meta["corpus"], **meta.get("read_options", {})), options)
        songs = take(everything, meta["split"]["test"])
        where = f"the held-out test songs of {' '.join(meta['corpus'])}"
    known = [s for s in songs if not bundle.vocabulary.unknown(s.codes)]
    skipped = len(songs) - len(known)
    if not known:
        raise InputError(f"no song of {where} is written in codes the bundle knows")
    seen = {" ".join(m.codes) for m in train}
    overlap = sum(1 for s in known if " ".join(s.codes) in seen)
    model = score_network(bundle, known)
    start = 0 if bundle.config.start_padded else bundle.config.window
    ngram = score_ngram(train, known, bundle.vocabulary, options, start)
    print(f"{where}: {model.songs} songs, {model.notes} notes scored")
    if skipped:
        print(f"skipped {skipped} song(s) holding codes the bundle never saw")
    if overlap:
        print(f"note: {overlap} of these songs are also among the bundle's training songs")
    for line in _table([(bundle.config.preset, model), (_ngram_name(options), ngram)]):
        print(line)
    _write_json(
        args.json,
        {
            "bundle": str(args.bundle),
            "songs": where,
            "skipped_songs": skipped,
            "training_songs_among_them": overlap,
            "options": options.to_dict(),
            "model": model.to_dict(),
            "ngram": ngram.to_dict(),
        },
    )
    return 0
