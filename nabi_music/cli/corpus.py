"""``nabi train --corpus`` and ``nabi evaluate``: their options and what they print
(the work is :mod:`nabi_music.runs.corpus`): tables on standard output, progress
bars on standard error."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from nabi_music.cli.common import fit_bar
from nabi_music.cli.terminal import shown_path
from nabi_music.errors import InputError
from nabi_music.evaluation.crossval import CorpusOptions
from nabi_music.evaluation.members import MIX as MIXTURE_NAME
from nabi_music.evaluation.scores import behind
from nabi_music.models.ngram import SMOOTHINGS
from nabi_music.models.presets import CORPUS_PRESETS
from nabi_music.runs.corpus import (
    DEFAULT_PARTS,
    MIXTURE,
    check_bundle_path,
    check_train_request,
    corpus_options,
    corpus_split,
    evaluate_bundle,
    folds_json,
    load_corpus,
    split_fractions,
    train_folds,
    train_mixture,
    train_split,
    write_json,
)
from nabi_music.training.fit import STRATEGIES

CORPUS_PRESET_NAMES = (*CORPUS_PRESETS, MIXTURE)
"""The corpus presets, from the registry (:data:`nabi_music.models.presets.CORPUS_PRESETS`),
and the mixture of networks and n-grams (``--parts``)."""
STRATEGY_NAMES = STRATEGIES


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
    p.add_argument(
        "--members",
        type=int,
        help="networks trained side by side, their predictions averaged (default: the "
        "preset's, 3; 1 trains one network, three times faster)",
    )
    p.add_argument(
        "--parts",
        help=f"--preset {MIXTURE}: the parts mixed, comma-separated (default {DEFAULT_PARTS}; "
        "the members of `nabi crossval`)",
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
        choices=SMOOTHINGS,
        help="smoothing of the n-gram baseline (default witten-bell)",
    )


def add_evaluate_command(sub: Any) -> None:
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


# --- tables -----------------------------------------------------------------------

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


def _say_behind(name: str, model: Any, baseline_name: str, baseline: Any) -> None:
    """Say on which figures the model does worse than the n-gram, if any."""
    worse = behind(model, baseline)
    if worse:
        print(f"note: {name} does worse than the {baseline_name} on {', '.join(worse)}")


def _ngram_name(options: CorpusOptions) -> str:
    return f"{options.ngram_order}-gram ({options.smoothing})"


def _write_json(path: str | None, data: dict[str, Any]) -> None:
    if write_json(path, data) is not None:
        print(f"wrote {shown_path(path)}")


# --- nabi train --corpus ----------------------------------------------------------


def cmd_train_corpus(args: argparse.Namespace, read_options: dict[str, Any]) -> int:
    out = check_train_request(args.preset, args.scores, args.output, args.folds)
    validation, test = split_fractions(args.split)
    options = corpus_options(
        transpose=getattr(args, "transpose", None),
        normalize_key=getattr(args, "normalize_key", False),
        pitch_only=getattr(args, "pitch_only", False),
        ngram_order=args.ngram_order,
        smoothing=args.smoothing,
    )
    if args.folds is None:
        check_bundle_path(out)
    if args.preset == MIXTURE:
        return _train_mixture(args, out, options, read_options, validation, test)
    if args.parts:
        raise InputError(f"--parts names the parts of --preset {MIXTURE}")
    corpus = load_corpus(
        args.corpus,
        args.preset,
        options=options,
        read_options=read_options,
        strategy=args.strategy,
        epochs=args.epochs,
        window=args.window,
        members=args.members,
    )
    print(
        f"corpus: {len(corpus.melodies)} song{'s' if len(corpus.melodies) != 1 else ''}, "
        f"{corpus.notes} notes from {' '.join(args.corpus)}"
        + (" (key normalised)" if options.normalize_key else "")
        + (" (pitch only)" if options.pitch_only else "")
    )
    bars: list[Any] = []
    if args.folds is not None:
        print(f"{args.folds}-fold cross-validation by song, seed {args.seed}")

        def progress_for(i: int) -> Any:
            bars.append(fit_bar(f"fold {i + 1}/{args.folds}", args.quiet))
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
            cv = train_folds(
                corpus, args.folds, seed=args.seed, progress_for=progress_for, on_fold=on_fold
            )
        finally:
            for bar in bars:
                bar.close()
        per_fold = [f.model.bits for f in cv.folds]
        print()
        print(f"all {args.folds} folds, every song held out once ({cv.model.notes} notes):")
        for line in _table([(args.preset, cv.model), (_ngram_name(options), cv.ngram)]):
            print(line)
        _say_behind(args.preset, cv.model, _ngram_name(options), cv.ngram)
        print(
            f"mean of the fold figures: {args.preset} {sum(per_fold) / len(per_fold):.3f} "
            f"bits/note, {_ngram_name(options)} "
            f"{sum(f.ngram.bits for f in cv.folds) / len(cv.folds):.3f}"
        )
        _write_json(args.json, folds_json(corpus, args.seed, cv))
        return 0

    split = corpus_split(corpus, args.seed, validation, test)
    print(
        f"split by song (seed {args.seed}): {len(split.train)} train, "
        f"{len(split.validation)} validation, {len(split.test)} test"
    )
    bar = fit_bar(args.preset, args.quiet)
    try:
        result = train_split(corpus, split, out, seed=args.seed, progress=bar)
    finally:
        bar.close()
    report = result.report
    members = corpus.config.members
    ensemble = f" ({members} networks side by side, averaged)" if members > 1 else ""
    print(
        f"trained {args.preset}{ensemble}: {len(report.logs['loss'])} epochs in "
        f"{report.seconds:.1f} s, "
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
    _say_behind(args.preset, result.model, _ngram_name(options), result.ngram)
    print(f"wrote {shown_path(out)}")
    _write_json(args.json, result.to_dict())
    return 0


def _train_mixture(
    args: argparse.Namespace,
    out: Any,
    options: CorpusOptions,
    read_options: dict[str, Any],
    validation: float,
    test: float,
) -> int:
    if args.members is not None:
        raise InputError(f"--members sets an ensemble's size; a {MIXTURE}'s parts are --parts")
    if args.window is not None or args.strategy != "default":
        raise InputError(f"--window and --strategy are for the corpus presets, not a {MIXTURE}")
    bars: list[Any] = []

    def progress_for(label: str) -> Any:
        bars.append(fit_bar(label.rsplit(" ", 1)[-1], args.quiet))
        return bars[-1]

    try:
        trained = train_mixture(
            args.corpus,
            args.parts or DEFAULT_PARTS,
            out,
            options=options,
            read_options=read_options,
            seed=args.seed,
            validation=validation,
            test=test,
            epochs=args.epochs,
            progress_for=progress_for,
        )
    finally:
        for bar in bars:
            bar.close()
    split = trained.split
    print(
        f"split by song (seed {args.seed}): {len(split.train)} train, "
        f"{len(split.validation)} validation, {len(split.test)} test"
        + (" (key normalised)" if options.normalize_key else "")
        + (" (pitch only)" if options.pitch_only else "")
    )
    config = trained.bundle.config
    chosen = ", ".join(
        f"{p.name}{f' (order {p.order})' if p.order else ''} {p.weight:.2f}" for p in config.parts
    )
    print(f"mixture chosen on the validation songs: {chosen}")
    for name, info in trained.info.items():
        if "epochs" in info:
            print(f"trained {name}: {info['epochs']} epochs in {info['seconds']:.1f} s")
    print(f"held-out test songs: {trained.scores[MIXTURE_NAME].songs} songs")
    rows = [(name, s) for name, s in trained.scores.items()]
    for line in _table([*rows, (_ngram_name(options), trained.ngram)]):
        print(line)
    _say_behind(MIXTURE_NAME, trained.scores[MIXTURE_NAME], _ngram_name(options), trained.ngram)
    print(f"wrote {shown_path(out)}")
    _write_json(args.json, trained.to_dict())
    return 0


# --- nabi evaluate ----------------------------------------------------------------


def cmd_evaluate(args: argparse.Namespace) -> int:
    e = evaluate_bundle(
        args.bundle, args.corpus, ngram_order=args.ngram_order, smoothing=args.smoothing
    )
    print(f"{e.where}: {e.model.songs} songs, {e.model.notes} notes scored")
    if e.skipped:
        print(f"skipped {e.skipped} song(s) holding codes the bundle never saw")
    if e.overlap:
        print(f"note: {e.overlap} of these songs are also among the bundle's training songs")
    for line in _table([(e.bundle.config.preset, e.model), (_ngram_name(e.options), e.ngram)]):
        print(line)
    _say_behind(e.bundle.config.preset, e.model, _ngram_name(e.options), e.ngram)
    _write_json(args.json, e.to_dict(args.bundle))
    return 0
