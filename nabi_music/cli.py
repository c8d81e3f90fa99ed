"""The ``nabi`` command.

Only argparse and nabi_music's error types are imported at start-up, so that
``nabi --help`` answers at once; each command imports what it needs (music21,
TensorFlow) when it runs. Errors print one line on stderr and exit 2 for bad
usage or input, 1 for other failures; ``--debug`` adds the traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from nabi_music.corpus_cli import (
    CORPUS_PRESET_NAMES,
    add_corpus_options,
    add_evaluate_parser,
    cmd_train_corpus,
)
from nabi_music.errors import InputError, NabiError, NabiWarning

PRESET_NAMES = ("mlp", "lstm", "stateful-lstm", "stateful-lstm-2f")
KEEPS = ("best", "last")
MAP_UNKNOWN = ("error", "nearest")


XLA_FLAGS = "--xla_llvm_disable_expensive_passes=true"
"""Halves XLA's compile time of the training loop here, with the same step time."""


def _quiet_tensorflow() -> None:
    """Import TensorFlow with its C++ start-up chatter kept off the user's terminal.

    TensorFlow 2.21 logs through absl before any log level applies, so the
    standard error stream is closed for the duration of the import itself.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    os.environ.setdefault("XLA_FLAGS", XLA_FLAGS)
    if "tensorflow" in sys.modules:
        return
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        import keras  # noqa: F401
        import tensorflow  # noqa: F401
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def _err(message: str) -> None:
    print(f"nabi: {message}", file=sys.stderr)


def _show_warning(message: Any, category: type, *_: Any, **__: Any) -> None:
    if issubclass(category, NabiWarning):
        _err(f"warning: {message}")


def _read_options(args: argparse.Namespace) -> dict[str, Any]:
    """``read()`` keywords from ``--part`` and ``--no-repeats``."""
    return {"part": getattr(args, "part", None), "repeats": not getattr(args, "no_repeats", False)}


def _read_one(path: str, args: argparse.Namespace | None = None) -> Any:
    from nabi_music.readers import read

    melodies = read(path, **(_read_options(args) if args is not None else {}))
    if not melodies:
        raise InputError(f"{path}: no melody found")
    return melodies[0]


def _check_out_dir(out: str) -> None:
    """Refuse an output folder that cannot be made or written, before any work is done."""
    path = Path(out)
    probe = path
    while not probe.exists() and probe.parent != probe:
        probe = probe.parent
    if probe.exists() and not probe.is_dir():
        what = "is a file" if probe == path else f"cannot be made: {probe} is a file"
        raise InputError(f"--out {out}: {what}; expected a folder to write into")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise InputError(f"--out {out}: cannot write into {probe} (permission denied)")


def _progress_bar(label: str) -> Any:
    """``progress(done, total, loss, accuracy)`` for the training loop, with ``.close()``."""
    from nabi_music.progress import EpochBar

    bar = EpochBar(label)

    def update(done: int, total: int, loss: float, acc: float) -> None:
        bar.update(done, total, loss=f"{loss:.4f}", acc=f"{acc:.0%}")
        if done >= total:
            bar.close()

    update.close = bar.close  # type: ignore[attr-defined]
    return update


# --- commands ---------------------------------------------------------------


def cmd_inspect(args: argparse.Namespace) -> int:
    from nabi_music.readers import read, read_report

    if args.summary:
        from nabi_music.readers.summary import format_summary, summarize

        found, skipped = read_report(args.file, **_read_options(args))
        summary = summarize(found, skipped)
        if args.json:
            print(json.dumps(summary.to_dict(), ensure_ascii=False, indent=1))
        else:
            print("\n".join(format_summary(args.file, summary)))
        return 0
    melodies = read(args.file, **_read_options(args))
    if args.json:
        data = {
            "melodies": [
                {
                    "title": m.title,
                    "key": m.key,
                    "time_signature": m.time_signature,
                    "tempo": m.tempo,
                    "codes": m.codes,
                }
                for m in melodies
            ]
        }
        print(json.dumps(data, ensure_ascii=False, indent=1))
        return 0
    for k, m in enumerate(melodies, start=1):
        if len(melodies) > 1:
            print(f"--- melody {k} of {len(melodies)}")
        print(f"title:          {m.title or '-'}")
        print(f"key:            {m.key or '-'}")
        print(f"time signature: {m.time_signature or '-'}")
        print(f"tempo:          {'-' if m.tempo is None else f'{m.tempo:g} per quarter'}")
        print(f"notes:          {len(m.notes)}")
        print(f"codes:          {' '.join(m.codes)}")
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from nabi_music.readers import read

    if args.corpus:
        return cmd_train_corpus(args, _read_options(args))
    if not args.scores:
        raise InputError("nothing to train on: give score files, or --corpus PATH...")
    if args.preset in CORPUS_PRESET_NAMES:
        raise InputError(f"{args.preset} trains on a corpus: use --corpus PATH...")
    melodies = [m for path in args.scores for m in read(path, **_read_options(args))]
    _quiet_tensorflow()
    from nabi_music.bundle import save_bundle
    from nabi_music.experiment import choose_vocabulary, predict, train_preset
    from nabi_music.presets import preset

    config = preset(args.preset).with_options(epochs=args.epochs, window=args.window)
    vocabulary = choose_vocabulary(args.vocabulary, melodies)
    out = Path(args.output or f"{args.preset}.nabi")
    if out.exists() and out.is_dir():
        raise InputError(f"{out}: is a folder; expected a bundle file name")
    if not out.parent.exists():
        raise InputError(f"{out.parent}: no such folder for the bundle")
    progress = _progress_bar(args.preset)
    bundle = train_preset(
        melodies,
        config,
        vocabulary=vocabulary,
        seed=args.seed,
        until_perfect=args.until_perfect,
        keep=args.keep,
        progress=progress,
    )
    progress.close()
    save_bundle(bundle, out)
    history = bundle.history
    kept = history.kept_epoch
    scored = predict(bundle, melodies[0])
    first = melodies[0].title or melodies[0].source or "the first melody"
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
    print(f"wrote {out}")
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    melody = _read_one(args.score, args)
    options = _media_options(args, report=False)
    _check_out_dir(args.out)
    if not Path(args.bundle).is_file():
        raise InputError(f"{args.bundle}: no such bundle file")
    _quiet_tensorflow()
    from nabi_music.bundle import load_bundle
    from nabi_music.experiment import map_unknown_codes, predict
    from nabi_music.song import song_name, write_prediction

    bundle = load_bundle(args.bundle)
    unknown = bundle.vocabulary.unknown(melody.codes)
    if unknown and args.map_unknown == "nearest":
        melody, _ = map_unknown_codes(melody, bundle.vocabulary)
    elif unknown:
        raise InputError(
            f"{args.score} holds codes the model never saw: {' '.join(dict.fromkeys(unknown))}; "
            "use --map-unknown nearest to map each to the nearest code the model knows"
        )
    prediction = predict(bundle, melody)
    name = bundle.config.preset
    folder = Path(args.out) / song_name(args.score) / name
    folder.mkdir(parents=True, exist_ok=True)
    files = write_prediction(prediction, folder, name)
    media = None
    if options is not None:
        from nabi_music.publish import publish_files

        media = publish_files(files, options)
        files += media.files
    print(f"one-step:  {prediction.one_step.describe()}")
    print(f"full-song: {prediction.full_song.describe()}")
    for f in files:
        print(f"wrote {f}")
    _print_media(media, media.timings if media else {})
    return 0


def cmd_song(args: argparse.Namespace) -> int:
    melody = _read_one(args.score, args)
    _check_out_dir(args.out)
    presets = [p.strip() for p in args.presets.split(",") if p.strip()]
    _quiet_tensorflow()
    from nabi_music.song import run_song, song_name

    bars: list[Any] = []

    def progress_for(name: str) -> Any:
        bars.append(_progress_bar(name))
        return bars[-1]

    try:
        result = run_song(
            melody,
            presets,
            args.out,
            song=song_name(args.score),
            epochs=args.epochs,
            seed=args.seed,
            window=args.window,
            until_perfect=args.until_perfect,
            keep=args.keep,
            vocabulary=args.vocabulary,
            progress_for=progress_for,
            media=_media_options(args),
        )
    finally:
        for bar in bars:
            bar.close()
    print()
    print(f"{melody.title or result.song}: {len(melody.notes)} notes, seed {args.seed}")
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
        f"(the weights of the {'best' if args.keep == 'best' else 'last'} epoch; "
        "last epoch: one-step / full-song of its weights)"
    )
    print()
    print("wrote:")
    for f in result.files:
        print(f"  {f}")
    _print_media(result.media, result.timings)
    return 0


def _media_options(args: argparse.Namespace, report: bool = True) -> Any:
    if args.no_media:
        return None
    from nabi_music.audio import instrument_program
    from nabi_music.publish import MediaOptions

    instrument_program(args.instrument)  # an unknown name fails before training
    formats = ("pdf", "png", "svg") if args.svg else ("pdf", "png")
    return MediaOptions(formats=formats, instrument=args.instrument, report=report)


def _add_media_arguments(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument(
        "--instrument",
        default="piano",
        help="General MIDI instrument of the audio: piano (default), violin, flute, ..., "
        "a General MIDI name or a program number 0-127",
    )
    p.add_argument("--svg", action="store_true", help="also engrave every score as SVG")
    p.add_argument(
        "--no-media",
        action="store_true",
        help=f"write only MIDI, LilyPond {what}: no engraving or audio",
    )


def _print_media(media: Any, timings: dict[str, float]) -> None:
    if media is None:
        return
    for warning in media.warnings:
        _err(f"warning: {warning}")
    if media.audio_engine == "sine":
        _err(f"warning: audio made by {media.audio_detail}")
    elif media.audio_engine:
        print(f"audio: {media.audio_detail}")
    if timings:
        print("seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in timings.items()))
    if media.report is not None:
        print(f"report: {media.report}")


def cmd_render(args: argparse.Namespace) -> int:
    from nabi_music.render import render_files

    formats = [f for f in ("pdf", "png", "svg") if getattr(args, f)] or ["pdf", "png"]
    out_dirs = [args.out] * len(args.files) if args.out else None
    results = render_files(
        args.files, formats, out_dirs=out_dirs, trusted=args.trust, timeout=args.timeout
    )
    for rendered in results:
        for warning in rendered.warnings:
            _err(f"{rendered.source.name}: {warning}")
        for f in rendered.files:
            print(f"wrote {f}")
    return 0


# --- the parser ---------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nabi",
        description="Read melodies, train the 나비야 tutorial's models, and write what they "
        "predict as MIDI and LilyPond.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def reading_options(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--part",
            help="the part (staff) to read: a number from 1 or a part name "
            "(default: the first part with notes; its top voice)",
        )
        p.add_argument(
            "--no-repeats",
            action="store_true",
            help="keep repeats in the written order (default: played out as heard)",
        )

    p = sub.add_parser("inspect", help="print the melodies a score holds")
    p.add_argument(
        "file", help="a score: .ly .musicxml .xml .mxl .mid .midi .abc .txt or corpus:PATH"
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument(
        "--summary",
        action="store_true",
        help="print figures: melodies read and skipped (and why), notes, codes, range",
    )
    reading_options(p)
    p.set_defaults(func=cmd_inspect)

    def training_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--epochs", type=int, help="epochs (default: the preset's, 2000)")
        p.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
        p.add_argument("--window", type=int, help="notes per window (default 4)")
        p.add_argument(
            "--until-perfect",
            action="store_true",
            help="stop as soon as one-step and full-song accuracy are both 100%%",
        )
        p.add_argument(
            "--keep",
            choices=KEEPS,
            default="best",
            help="the tutorial presets' weights to keep: those of the best epoch (default: "
            "highest one-step accuracy, then lowest training loss) or of the last epoch",
        )
        p.add_argument(
            "--vocabulary",
            choices=("data", "tutorial"),
            default="data",
            help="codes built from the data (default) or the tutorial's fixed 14",
        )

    p = sub.add_parser("train", help="train one preset and save it as a bundle")
    p.add_argument("scores", nargs="*", help="score files to train on (or use --corpus)")
    p.add_argument("--preset", required=True, choices=PRESET_NAMES + CORPUS_PRESET_NAMES)
    p.add_argument("-o", "--output", help="bundle file to write (default PRESET.nabi)")
    training_options(p)
    reading_options(p)
    add_corpus_options(p)
    p.set_defaults(func=cmd_train)

    add_evaluate_parser(sub)

    p = sub.add_parser("predict", help="predict a score with a trained bundle")
    p.add_argument("bundle", help="a .nabi bundle written by `nabi train` or `nabi song`")
    p.add_argument("score", help="the score whose melody to predict")
    p.add_argument("--out", default="outputs", help="output folder (default outputs)")
    _add_media_arguments(p, "and nothing else")
    p.add_argument(
        "--map-unknown",
        choices=MAP_UNKNOWN,
        default="error",
        help="codes the model never saw: an error (default), or each mapped to the "
        "nearest known code by pitch, then duration (with a warning listing them)",
    )
    reading_options(p)
    p.set_defaults(func=cmd_predict)

    p = sub.add_parser("song", help="the whole experiment on one melody (what `make song` runs)")
    p.add_argument("score", help="the score whose (first) melody to learn")
    p.add_argument(
        "--presets",
        default=",".join(PRESET_NAMES),
        help=f"comma-separated presets (default {','.join(PRESET_NAMES)})",
    )
    p.add_argument("--out", default="outputs", help="output folder (default outputs)")
    _add_media_arguments(p, "and the models, no report page")
    training_options(p)
    reading_options(p)
    p.set_defaults(func=cmd_song)

    p = sub.add_parser("render", help="engrave .ly files with LilyPond (PDF, PNG, SVG)")
    p.add_argument("files", nargs="+", help="LilyPond files")
    p.add_argument("--pdf", action="store_true", help="write a PDF (default: PDF and PNG)")
    p.add_argument("--png", action="store_true", help="write a PNG cropped to the music")
    p.add_argument("--svg", action="store_true", help="write an SVG cropped to the music")
    p.add_argument("--out", help="output folder (default: beside each .ly file)")
    p.add_argument(
        "--trust",
        action="store_true",
        help="render files with embedded Scheme code too (LilyPond runs it: only for "
        "files you trust)",
    )
    p.add_argument(
        "--timeout", type=float, default=120.0, help="seconds before LilyPond is stopped"
    )
    p.set_defaults(func=cmd_render)

    from nabi_music.cli_generate import add_generate_command

    add_generate_command(sub)

    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    with warnings.catch_warnings():
        warnings.simplefilter("always", NabiWarning)
        warnings.showwarning = _show_warning
        try:
            return int(args.func(args))
        except NabiError as err:
            if args.debug:
                traceback.print_exc()
            _err(f"error: {err}")
            return err.exit_code
        except KeyboardInterrupt:
            _err("interrupted")
            return 130
        except Exception as err:  # an unexpected failure: one line unless --debug
            if args.debug:
                traceback.print_exc()
            _err(f"error: {type(err).__name__}: {err} (run with --debug for the traceback)")
            return 1


if __name__ == "__main__":
    sys.exit(main())
