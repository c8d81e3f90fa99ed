"""``nabi crossval``: its options and what it prints (the work is
:func:`nabi_music.runs.corpus.run_crossval`): a line per fold and task while it
runs, the tables at the end, progress bars on standard error."""

from __future__ import annotations

import argparse
from typing import Any

from nabi_music.cli.common import add_reading_options, fit_bar, read_options
from nabi_music.cli.terminal import shown_path
from nabi_music.evaluation.benchmark import FoldResult
from nabi_music.evaluation.members import DEFAULT_MEMBERS, NETWORKS, figures
from nabi_music.fileio import check_out_file
from nabi_music.runs.corpus import DEFAULT_CACHE, check_crossval_request, run_crossval


def add_crossval_command(sub: Any) -> None:
    p = sub.add_parser(
        "crossval",
        help="K-fold cross-validation by song of networks, n-grams and their mixture: "
        "bits per note and accuracy of the pitch and of the whole code",
        description="Cross-validate members by song on a corpus, on two tasks: the pitch "
        "of every note (rests left out) and the whole code (pitch and duration). Prints "
        "the tables; --json writes every figure, fold by fold.",
    )
    p.add_argument(
        "--corpus",
        nargs="+",
        required=True,
        metavar="SPEC",
        help="files, folders, globs or corpus:PATHs (e.g. corpus:essenFolksong/kinder0.abc)",
    )
    p.add_argument("--folds", type=int, default=10, help="folds by song (default 10)")
    p.add_argument(
        "--members",
        dest="member_names",  # not the ensemble size `nabi train --members` checks
        default=DEFAULT_MEMBERS,
        help=f"comma-separated (default {DEFAULT_MEMBERS}): metre (the metre-aware "
        "network: steps, lengths and each note's place in the bar; degrees from the tonic "
        f"with --key-normalise), networks ({', '.join(NETWORKS)}, or a corpus preset's "
        "name), ngram (order chosen on "
        "validation songs) or ngram-N, interval-ngram or interval-ngram-N, and mix (the "
        "mixture of the other members)",
    )
    p.add_argument(
        "--key-normalise",
        "--normalize-key",
        dest="key_normalise",
        action="store_true",
        help="move every song to C major or A minor first (default: songs in their own "
        "keys, as the published pitch-only figures)",
    )
    p.add_argument("--seed", type=int, default=1, help="seed of the folds and the networks")
    p.add_argument("--epochs", type=int, help="at most this many epochs per network")
    p.add_argument("--json", metavar="FILE", help="write every figure as JSON")
    p.add_argument("--table", metavar="FILE", help="write the printed tables to FILE too")
    p.add_argument(
        "--cache",
        default=DEFAULT_CACHE,
        metavar="DIR",
        help=f"keep each member's predictions here, keyed by code version, corpus and "
        f"settings, and reuse them (default {DEFAULT_CACHE})",
    )
    p.add_argument("--no-cache", action="store_true", help="compute everything, keep nothing")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    add_reading_options(p)
    p.set_defaults(func=cmd_crossval)


def cmd_crossval(args: argparse.Namespace) -> int:
    members = check_crossval_request(args.member_names, args.epochs)
    if args.table:
        check_out_file(args.table, "--table")
    bars: list[Any] = []

    def progress_for(label: str) -> Any:
        bars.append(fit_bar(label, args.quiet))
        return bars[-1]

    def on_fold(task: str, i: int, fold: dict[str, FoldResult]) -> None:
        for bar in bars:
            bar.close()
        bars.clear()
        shown = []
        for name, result in fold.items():
            info = result.info
            extra = []
            if "epochs" in info:
                extra.append(f"{info['epochs']} ep")
            if "order" in info:
                extra.append(f"order {info['order']}")
            if "weights" in info:
                extra.append(" ".join(f"{k} {w:.2f}" for k, w in info["weights"].items()))
            extra.append(
                f"{info.get('seconds', 0):.0f} s" + (" cached" if info.get("cached") else "")
            )
            shown.append(
                f"{name} {figures(result.scores, task)['bits_pooled']:.3f} ({', '.join(extra)})"
            )
        print(f"{task} fold {i + 1:>2}/{args.folds}: " + "  ".join(shown), flush=True)

    try:
        bench = run_crossval(
            args.corpus,
            members,
            folds=args.folds,
            seed=args.seed,
            key_normalise=args.key_normalise,
            read_options=read_options(args),
            cache=None if args.no_cache else args.cache,
            json_path=args.json,
            table_path=args.table,
            progress_for=progress_for,
            on_fold=on_fold,
        )
    finally:
        for bar in bars:
            bar.close()
    print()
    print(bench.tables())
    cache = bench.cache
    if cache is not None and cache.folder is not None:
        print(
            f"\npredictions: {cache.hits} reused, {cache.misses} computed, kept in "
            f"{shown_path(cache.folder)} (code version {cache.code[:12]})"
        )
    print(f"{bench.seconds:.0f} s")
    for path in (args.json, args.table):
        if path:
            print(f"wrote {shown_path(path)}")
    return 0
