"""The ``nabi`` command: its parser, one subcommand per command group, and the error
handling every command shares.

``nabi --help`` loads neither TensorFlow nor music21; each command starts what it
needs when it runs (:mod:`nabi_music.backend`). Errors print one line on stderr
and exit 2 for bad usage or input, 1 for other failures; ``--debug`` adds the
traceback.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import traceback
import warnings
from collections.abc import Sequence

from nabi_music.cli.common import err, show_warning
from nabi_music.cli.corpus import add_evaluate_command
from nabi_music.cli.generate import add_generate_command
from nabi_music.cli.scores import add_inspect_command, add_render_command
from nabi_music.cli.tutorial import add_predict_command, add_song_command, add_train_command
from nabi_music.errors import NabiError, NabiWarning
from nabi_music.readers import limits


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nabi",
        description="Read melodies, train the 나비야 tutorial's models, and write what they "
        "predict as MIDI and LilyPond.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_inspect_command(sub)
    add_train_command(sub)
    add_evaluate_command(sub)
    add_predict_command(sub)
    add_song_command(sub)
    add_render_command(sub)
    add_generate_command(sub)
    for command in sub.choices.values():
        command.add_argument(
            "--limit",
            action="append",
            default=[],
            metavar="NAME=N",
            help="raise a limit on what a score may ask (repeatable; "
            f"{', '.join(f'{n}={getattr(limits.Limits(), n)}' for n in limits.NAMES)})",
        )
    return parser


class Terminated(BaseException):
    """The process was asked to stop (SIGTERM), as ``timeout``, CI runners and process
    managers ask: raised so that every ``finally`` runs (LilyPond's process group is
    stopped, temporary files go) before ``nabi`` exits."""


def _terminate(signum: int, frame: object) -> None:
    raise Terminated


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate) if in_main else None
    try:
        return _run(args)
    finally:
        if in_main:
            signal.signal(signal.SIGTERM, previous)


def _run(args: argparse.Namespace) -> int:
    with warnings.catch_warnings():
        warnings.simplefilter("always", NabiWarning)
        warnings.showwarning = show_warning
        try:
            with limits.raised(**dict(limits.parse_limit(t) for t in args.limit)):
                return int(args.func(args))
        except NabiError as error:
            if args.debug:
                traceback.print_exc()
            err(f"error: {error}")
            return error.exit_code
        except KeyboardInterrupt:
            err("interrupted")
            return 130
        except Terminated:
            err("terminated")
            return 128 + signal.SIGTERM
        except Exception as error:  # an unexpected failure: one line unless --debug
            if args.debug:
                traceback.print_exc()
            err(f"error: {type(error).__name__}: {error} (run with --debug for the traceback)")
            return 1


if __name__ == "__main__":
    sys.exit(main())
