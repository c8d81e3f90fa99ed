"""``nabi train``, ``nabi predict`` and ``nabi song``: the tutorial's experiment on
score files (``nabi train --corpus`` goes on in :mod:`nabi_music.cli.corpus`)."""

from __future__ import annotations

import argparse
from typing import Any

from nabi_music import backend
from nabi_music.cli.common import (
    add_media_arguments,
    add_notation_arguments,
    add_reading_options,
    add_training_options,
    media_options,
    notation_of,
    print_media,
    progress_bar,
    read_one,
    read_options,
    training_options,
)
from nabi_music.cli.corpus import CORPUS_PRESET_NAMES, add_corpus_options, cmd_train_corpus
from nabi_music.cli.terminal import shown_path
from nabi_music.errors import InputError, printable
from nabi_music.fileio import check_out_dir
from nabi_music.models.presets import PRESETS
from nabi_music.prediction.tutorial import MAP_UNKNOWN
from nabi_music.readers import read
from nabi_music.runs.predict import predict_score
from nabi_music.runs.song import run_song, song_name
from nabi_music.runs.train import check_preset, train_to_bundle

PRESET_NAMES = tuple(name for name in PRESETS if name not in CORPUS_PRESET_NAMES)
"""The tutorial's presets, from the registry (:data:`nabi_music.models.presets.PRESETS`)."""


def add_train_command(sub: Any) -> None:
    p = sub.add_parser("train", help="train one preset and save it as a bundle")
    p.add_argument("scores", nargs="*", help="score files to train on (or use --corpus)")
    p.add_argument("--preset", required=True, choices=PRESET_NAMES + CORPUS_PRESET_NAMES)
    p.add_argument("-o", "--output", help="bundle file to write (default PRESET.nabi)")
    add_training_options(p)
    add_reading_options(p)
    add_corpus_options(p)
    p.set_defaults(func=cmd_train)


def add_predict_command(sub: Any) -> None:
    p = sub.add_parser("predict", help="predict a score with a trained bundle")
    p.add_argument("bundle", help="a .nabi bundle written by `nabi train` or `nabi song`")
    p.add_argument("score", help="the score whose melody to predict")
    p.add_argument("--out", default="outputs", help="output folder (default outputs)")
    add_media_arguments(p, "and nothing else")
    add_notation_arguments(p, "vocal")
    p.add_argument(
        "--map-unknown",
        choices=MAP_UNKNOWN,
        default="error",
        help="codes the model never saw: an error (default), or each mapped to the "
        "nearest known code by pitch, then duration (with a warning listing them)",
    )
    add_reading_options(p)
    p.set_defaults(func=cmd_predict)


def add_song_command(sub: Any) -> None:
    p = sub.add_parser("song", help="the whole experiment on one melody (what `make song` runs)")
    p.add_argument("score", help="the score whose (first) melody to learn")
    p.add_argument(
        "--presets",
        default=",".join(PRESET_NAMES),
        help=f"comma-separated presets (default {','.join(PRESET_NAMES)})",
    )
    p.add_argument("--out", default="outputs", help="output folder (default outputs)")
    add_media_arguments(p, "and the models, no report page")
    add_notation_arguments(p, "vocal")
    add_training_options(p)
    add_reading_options(p)
    p.set_defaults(func=cmd_song)


def cmd_train(args: argparse.Namespace) -> int:
    if args.corpus:
        return cmd_train_corpus(args, read_options(args))
    if not args.scores:
        raise InputError("nothing to train on: give score files, or --corpus PATH...")
    if args.members is not None:
        raise InputError("--members trains an ensemble of a corpus preset; give --corpus PATH...")
    check_preset(args.preset)
    melodies = [m for path in args.scores for m in read(path, **read_options(args))]
    progress = progress_bar(args.preset, quiet=args.quiet)
    try:
        bundle, out, scored = train_to_bundle(
            melodies, args.preset, args.output, progress=progress, **training_options(args)
        )
    finally:
        progress.close()
    history = bundle.history
    kept = history.kept_epoch
    first = printable(melodies[0].title or melodies[0].source or "the first melody")
    print(
        f"trained {args.preset} on {len(melodies)} "
        f"{'melody' if len(melodies) == 1 else 'melodies'}: {history.epochs} epochs "
        f"in {history.seconds:.1f} s; kept the weights of epoch {kept} ({args.keep}): training "
        f"loss {history.loss[kept - 1]:.4f}, on {first} one-step "
        f"{scored.one_step.accuracy:.0%}, full-song {scored.full_song.accuracy:.0%}"
    )
    if kept != history.epochs:
        last = history.last
        print(
            f"the last epoch ({history.epochs}): loss {last['loss']:.4f}, one-step "
            f"{last['one_step_accuracy']:.0%}, full-song {last['full_song_accuracy']:.0%}"
        )
    print(f"wrote {shown_path(out)}")
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    melody = read_one(args.score, args)
    options = media_options(args, report=False)
    run = predict_score(
        args.bundle,
        melody,
        args.score,
        args.out,
        map_unknown=args.map_unknown,
        media=options,
        notation=notation_of(args),
    )
    print(f"one-step:  {run.prediction.one_step.describe()}")
    print(f"full-song: {run.prediction.full_song.describe()}")
    for f in run.files:
        print(f"wrote {shown_path(f)}")
    print_media(run.media, run.media.timings if run.media else {})
    return 0


def cmd_song(args: argparse.Namespace) -> int:
    melody = read_one(args.score, args)
    check_out_dir(args.out)
    presets = [p.strip() for p in args.presets.split(",") if p.strip()]
    backend.quiet_tensorflow()
    bars: list[Any] = []

    def progress_for(name: str) -> Any:  # each preset trains in its own thread
        bars.append(progress_bar(name, stop=getattr(args, "stop", None), quiet=args.quiet))
        return bars[-1]

    try:
        result = run_song(
            melody,
            presets,
            args.out,
            song=song_name(args.score),
            progress_for=progress_for,
            media=media_options(args),
            notation=notation_of(args),
            command=getattr(args, "command_line", None),
            **training_options(args),
        )
    finally:
        for bar in bars:
            bar.close()
    print()
    print(f"{printable(melody.title or result.song)}: {len(melody.notes)} notes, seed {args.seed}")
    header = (
        f"{'preset':<18}{'one-step':>10}{'full-song':>11}{'kept epoch':>14}{'train s':>9}"
        f"   last epoch"
    )
    print(header)
    print("-" * len(header))
    for r in result.presets:
        s = r.summary()
        last = s["last_epoch"]
        print(
            f"{r.preset:<18}{s['one_step_accuracy']:>10.0%}{s['full_song_accuracy']:>11.0%}"
            f"{s['kept_epoch']:>6} of {s['epochs']:<4}{s['train_seconds']:>9.1f}"
            f"   {last['one_step_accuracy']:.0%} / {last['full_song_accuracy']:.0%}"
        )
    print(
        f"(the weights of the {args.keep} epoch; last epoch: one-step / full-song of its weights)"
    )
    print()
    print("wrote:")
    for f in result.files:
        print(f"  {shown_path(f)}")
    print_media(result.media, result.timings)
    return 0
