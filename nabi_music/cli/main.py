"""The ``nabi`` command: its parser, one subcommand per command group, and the error
handling every command shares.

``nabi --help`` loads neither TensorFlow nor music21; each command starts what it
needs when it runs (:mod:`nabi_music.backend`). Errors print one line on stderr
and exit 2 for bad usage or input, 1 for other failures; ``--debug`` adds the
traceback.
"""

from __future__ import annotations

import argparse
import re
import shlex
import sys
import traceback
import warnings
from collections.abc import Sequence
from typing import NoReturn

from nabi_music.cli.common import show_warning
from nabi_music.cli.corpus import add_evaluate_command
from nabi_music.cli.crossval import add_crossval_command
from nabi_music.cli.generate import add_generate_command
from nabi_music.cli.options import check_options
from nabi_music.cli.scores import add_inspect_command, add_render_command
from nabi_music.cli.terminal import (
    TERMINATED,
    Stop,
    Terminated,
    err,
    quiet_stdout,
    safe_output,
)
from nabi_music.cli.tutorial import add_predict_command, add_song_command, add_train_command
from nabi_music.errors import NabiError, NabiWarning
from nabi_music.readers import limits
from nabi_music.version import __version__


class Parser(argparse.ArgumentParser):
    """argparse's parser, with a usage error as one short line (exit 2), not the usage."""

    def error(self, message: str) -> NoReturn:
        err(f"error: {message} (see {self.prog} --help)")
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="nabi",
        description="Read melodies from scores (LilyPond, MusicXML, MIDI, ABC, note codes); "
        "train the 나비야 tutorial's models on a song or corpus models on many; predict, "
        "evaluate and compose; write MIDI, LilyPond and MusicXML, engraved scores and audio.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    parser.add_argument("--version", action="version", version=f"nabi {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_inspect_command(sub)
    add_train_command(sub)
    add_evaluate_command(sub)
    add_crossval_command(sub)
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


def main(argv: Sequence[str] | None = None) -> int:
    """Run one ``nabi`` command: its exit code (0, 1, 2, or 143 after SIGTERM)."""
    stop = Stop()
    with safe_output():
        try:
            with stop.installed():
                code = _run(build_parser(), argv, stop)
        except Terminated:
            code = TERMINATED
        if stop.asked.is_set():
            err("terminated")
            return TERMINATED
        return code


RANGE_OPTIONS = ("--transpose",)
"""Options whose value may start with a minus sign (``--transpose -5..6``)."""
_NEGATIVE_RANGE = re.compile(r"-\d+(\.\.-?\d+)?")


def joined_ranges(argv: Sequence[str]) -> list[str]:
    """``--transpose -5..6`` as ``--transpose=-5..6``, so that argparse does not take the
    range for an option."""
    out: list[str] = []
    for arg in argv:
        if out and out[-1] in RANGE_OPTIONS and _NEGATIVE_RANGE.fullmatch(arg):
            out[-1] = f"{out[-1]}={arg}"
        else:
            out.append(arg)
    return out


def _run(parser: argparse.ArgumentParser, argv: Sequence[str] | None, stop: Stop) -> int:
    given = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(joined_ranges(given))
    args.stop = stop
    args.command_line = shlex.join(["nabi", *given])  # what the report pages show
    with warnings.catch_warnings():
        warnings.simplefilter("always", NabiWarning)
        warnings.showwarning = show_warning
        try:
            with limits.raised(**dict(limits.parse_limit(t) for t in args.limit)):
                check_options(args)  # every option, before any work
                return int(args.func(args))
        except Terminated:
            return TERMINATED
        except NabiError as error:
            if stop.asked.is_set():  # the signal, turned into an error on its way up
                return TERMINATED
            if args.debug:
                traceback.print_exc()
            err(f"error: {error}")
            return error.exit_code
        except KeyboardInterrupt:
            err("interrupted")
            return 130
        except BrokenPipeError:  # `nabi inspect x | head`: the reader has seen enough
            quiet_stdout()
            return 0
        except Exception as error:  # an unexpected failure: one line unless --debug
            if stop.asked.is_set():
                return TERMINATED
            if args.debug:
                traceback.print_exc()
            err(f"error: {type(error).__name__}: {error} (run with --debug for the traceback)")
            return 1


if __name__ == "__main__":
    sys.exit(main())
