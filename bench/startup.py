"""How long does each ``nabi`` command take as a whole process, now and at an earlier
commit? (Start-up included: the import of TensorFlow alone took about 5 s.)

    .venv/bin/python bench/startup.py                    # against the commit before the
    .venv/bin/python bench/startup.py --before REF --runs 5   # TensorFlow-free bundles

The earlier commit is checked out in a temporary git worktree and run with the same
virtual environment (``PYTHONPATH``), so the two differ only in nabi_music's code. Two
bundles are trained first (few epochs: the figures are about time, not music): a
``stateful-lstm`` on 나비야 and a ``corpus-lstm`` on 20 kinder songs. Each command runs
``--runs`` times for each version, alternated, after one warm-up each; the table shows
the median wall-clock seconds and their ratio.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BEFORE = "eaba4ee~1"
"""The last commit whose bundles were loaded by Keras (TensorFlow started)."""


def make_bundles(folder: Path) -> dict[str, Path]:
    """A tutorial bundle and a corpus bundle, trained by the code of this checkout."""
    paths = {"song": folder / "stateful.nabi", "corpus": folder / "corpus.nabi"}
    nabi = [sys.executable, "-m", "nabi_music.cli"]
    score = str(ROOT / "scores" / "nabiya.ly")
    kinder = str(ROOT / "tests" / "data" / "kinder_20.abc")
    commands = [
        [*nabi, "train", score, "--preset", "stateful-lstm", "--epochs", "50"],
        [*nabi, "train", "--corpus", kinder, "--preset", "corpus-lstm", "--epochs", "2"],
    ]
    for command, out in zip(commands, paths.values(), strict=True):
        subprocess.run([*command, "-o", str(out), "--quiet"], check=True, cwd=ROOT)
    return paths


def timed(command: list[str], env: dict[str, str], cwd: Path) -> float:
    """Seconds of one run; ``cwd`` outside both checkouts (``python -m`` puts the current
    folder first on the path)."""
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", default=BEFORE, help=f"the earlier commit (default {BEFORE})")
    parser.add_argument("--runs", type=int, default=5, help="runs of each command (default 5)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        old = folder / "before"
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(old), args.before],
            check=True,
            cwd=ROOT,
            capture_output=True,
        )
        try:
            bundles = make_bundles(folder)
            nabi = [sys.executable, "-m", "nabi_music.cli"]
            score = str(ROOT / "scores" / "nabiya.ly")
            out = str(folder / "out")
            commands = {
                "nabi --help": ["--help"],
                "nabi inspect": ["inspect", score],
                "nabi predict (no media)": [
                    "predict", str(bundles["song"]), score, "--no-media", "--out", out,
                ],
                "nabi generate (1 melody, all files)": [
                    "generate", str(bundles["corpus"]), "--length", "32", "--out", out,
                ],
                "nabi evaluate": ["evaluate", str(bundles["corpus"])],
            }  # fmt: skip
            versions = {
                "before": {**os.environ, "PYTHONPATH": str(old)},
                "now": {**os.environ, "PYTHONPATH": str(ROOT)},
            }
            print(f"median wall-clock seconds of {args.runs} runs; before = {args.before}")
            print(f"{'command':<38}{'before':>8}{'now':>8}{'ratio':>8}")
            for name, command in commands.items():
                times: dict[str, list[float]] = {v: [] for v in versions}
                for env in versions.values():
                    timed([*nabi, *command], env, folder)  # warm-up: page cache, bytecode
                for _ in range(args.runs):
                    for version, env in versions.items():
                        times[version].append(timed([*nabi, *command], env, folder))
                before, now = (statistics.median(times[v]) for v in versions)
                print(f"{name:<38}{before:>8.2f}{now:>8.2f}{before / now:>7.1f}x", flush=True)
        finally:
            subprocess.run(
                ["git", "worktree", "remove", "--force", str(old)], cwd=ROOT, capture_output=True
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
