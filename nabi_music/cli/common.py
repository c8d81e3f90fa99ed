"""What every ``nabi`` command shares: one-line errors and warnings (made printable by
:mod:`nabi_music.cli.terminal`), the reading, training and media options and their
checks, progress bars, and the media lines printed at the end."""

from __future__ import annotations

import argparse
from typing import Any

from nabi_music.cli.progress import EpochBar
from nabi_music.cli.terminal import Stop, err, shown_path
from nabi_music.data.encoding import VOCABULARIES
from nabi_music.errors import InputError, NabiWarning
from nabi_music.media.audio import AUDIO_FORMATS, DEFAULT_AUDIO_FORMAT, instrument_program
from nabi_music.media.publish import MediaOptions, Published
from nabi_music.music.notes import Melody
from nabi_music.readers import read
from nabi_music.training.loop import KEEPS
from nabi_music.writers.notation import STYLES, Notation


def show_warning(message: Any, category: type, *_: Any, **__: Any) -> None:
    if issubclass(category, NabiWarning):
        err(f"warning: {message}")


def read_options(args: argparse.Namespace) -> dict[str, Any]:
    """``read()`` keywords from ``--part`` and ``--no-repeats``."""
    return {"part": getattr(args, "part", None), "repeats": not getattr(args, "no_repeats", False)}


def read_one(path: str, args: argparse.Namespace | None = None) -> Melody:
    melodies = read(path, **(read_options(args) if args is not None else {}))
    if not melodies:
        raise InputError(f"{path}: no melody found")
    return melodies[0]


def progress_bar(label: str, stop: Stop | None = None, quiet: bool = False) -> Any:
    """``progress(done, total, loss, accuracy)`` for the training loop, with ``.close()``;
    with ``stop``, it ends a training in a worker thread once SIGTERM is received."""
    bar = EpochBar(label, quiet)

    def update(done: int, total: int, loss: float, acc: float) -> None:
        if stop is not None:
            stop.check()
        bar.update(done, total, loss=f"{loss:.4f}", acc=f"{acc:.0%}")
        if done >= total:
            bar.close()

    update.close = bar.close  # type: ignore[attr-defined]
    return update


def fit_bar(label: str, quiet: bool = False) -> Any:
    """``progress(done, total, logs)`` for Keras fit, with ``.close()``."""
    bar = EpochBar(label, quiet)

    def update(done: int, total: int, logs: dict[str, float]) -> None:
        bar.update(
            done,
            total,
            loss=f"{logs.get('loss', float('nan')):.4f}",
            val_loss=f"{logs.get('val_loss', float('nan')):.4f}",
        )

    update.close = bar.close  # type: ignore[attr-defined]
    return update


def add_reading_options(p: argparse.ArgumentParser) -> None:
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


def add_training_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--quiet",
        action="store_true",
        help="no progress (by default a bar on a terminal, else a line every few seconds)",
    )
    p.add_argument(
        "--epochs",
        type=int,
        help="epochs (default: the preset's: 2000 for the tutorial's, at most 150 for the "
        "corpus presets, which stop on a plateau)",
    )
    p.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    p.add_argument(
        "--window",
        type=int,
        help="notes per window (default: the preset's: 4 for the tutorial's, 32 for the "
        "corpus presets)",
    )
    p.add_argument(
        "--until-perfect",
        action="store_true",
        help="stop as soon as one-step and full-song accuracy are both 100%%",
    )
    p.add_argument(
        "--keep",
        choices=KEEPS,
        default="best",
        help="the weights to keep: those of the best epoch (default: highest one-step "
        "accuracy, then lowest training loss) or of the last epoch",
    )
    p.add_argument(
        "--vocabulary",
        choices=VOCABULARIES,
        default="data",
        help="codes built from the data (default) or the tutorial's fixed 14",
    )


def training_options(args: argparse.Namespace) -> dict[str, Any]:
    """The training keywords of ``nabi train`` and ``nabi song`` from their options."""
    return {
        "epochs": args.epochs,
        "window": args.window,
        "vocabulary": args.vocabulary,
        "seed": args.seed,
        "until_perfect": args.until_perfect,
        "keep": args.keep,
    }


def media_options(args: argparse.Namespace, report: bool = True) -> MediaOptions | None:
    if args.no_media:
        return None
    instrument_program(args.instrument)  # an unknown name fails before training
    formats = ("pdf", "png", "svg") if args.svg else ("pdf", "png")
    return MediaOptions(
        formats=formats, instrument=args.instrument, audio_format=args.audio_format, report=report
    )


INSTRUMENT_HELP = (
    "General MIDI instrument of the audio: piano (default), violin, flute, ..., "
    "a General MIDI name or a program number 0-127"
)


def add_instrument_argument(p: argparse.ArgumentParser, help: str = INSTRUMENT_HELP) -> None:
    p.add_argument("--instrument", default="piano", help=help)


AUDIO_FORMAT_HELP = (
    "the audio's format: mp3 (default: mono, about 100 kbit/s, every browser plays it) "
    "or wav (16-bit stereo, about 15 times larger)"
)


def add_audio_format_argument(
    p: argparse.ArgumentParser, default: str | None = DEFAULT_AUDIO_FORMAT
) -> None:
    p.add_argument(
        "--audio-format", choices=tuple(AUDIO_FORMATS), default=default, help=AUDIO_FORMAT_HELP
    )


def add_media_arguments(p: argparse.ArgumentParser, what: str) -> None:
    add_instrument_argument(p)
    add_audio_format_argument(p)
    p.add_argument("--svg", action="store_true", help="also engrave every score as SVG")
    p.add_argument(
        "--no-media",
        action="store_true",
        help=f"write only MIDI, LilyPond {what}: no engraving or audio",
    )


def print_media(media: Published | None, timings: dict[str, float]) -> None:
    if media is None:
        return
    for warning in media.warnings:
        err(f"warning: {warning}")
    if media.audio_engine == "sine":
        err(f"warning: audio made by {media.audio_detail}")
    elif media.audio_engine:
        print(f"audio: {media.audio_detail}")
    if timings:
        print("seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in timings.items()))
    if media.report is not None:
        print(f"report: {shown_path(media.report)}")


def add_notation_arguments(
    p: argparse.ArgumentParser, default: str, *, original: bool = True
) -> None:
    """``--notation`` (and ``--no-original-staff`` where scores show predictions)."""
    p.add_argument(
        "--notation",
        choices=STYLES,
        default=default,
        help="vocal: flags and each note's code under it, as the tutorial's score; "
        f"instrumental: beams by the metre (default {default})",
    )
    if original:
        p.add_argument(
            "--no-original-staff",
            action="store_true",
            help="engrave each prediction alone, without the original above it",
        )


def notation_of(args: argparse.Namespace) -> Notation:
    return Notation(args.notation, not getattr(args, "no_original_staff", False))
