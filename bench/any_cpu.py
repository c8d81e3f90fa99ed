"""Benchmark: the tutorial's stateful presets under other CPUs' rounding.

XLA and oneDNN pick their kernels for the host's instruction set, so the same
seed follows a different float trajectory on another CPU. This runs
``nabi song scores/nabiya.ly --no-media`` for the two stateful presets at the
tutorial's 2000 epochs, for each seed, on the host and under instruction-set
ceilings (``XLA_FLAGS=--xla_cpu_max_isa=...`` with ``ONEDNN_MAX_CPU_ISA=...``),
two runs at a time, and prints each run's kept epoch and the one-step and
full-song accuracy of the kept weights beside those of the last epoch's.

Run: ``.venv/bin/python bench/any_cpu.py [--seeds 1,2,3] [--presets a,b]``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CEILINGS = {
    "host": {},
    "AVX2": {"XLA_FLAGS": "--xla_cpu_max_isa=AVX2", "ONEDNN_MAX_CPU_ISA": "AVX2"},
    "AVX": {"XLA_FLAGS": "--xla_cpu_max_isa=AVX", "ONEDNN_MAX_CPU_ISA": "AVX"},
    "SSE4_2": {"XLA_FLAGS": "--xla_cpu_max_isa=SSE4_2", "ONEDNN_MAX_CPU_ISA": "SSE41"},
}
"""Instruction-set ceilings: XLA's name, and oneDNN's for the same level."""


def run(ceiling: str, seed: int, presets: str, out: Path) -> dict:
    """One ``nabi song`` run in a fresh process under ``ceiling``: its summary.json, with
    each preset's per-epoch one-step accuracy (from its bundle) as ``one_step_history``."""
    env = {k: v for k, v in os.environ.items() if k not in ("XLA_FLAGS", "ONEDNN_MAX_CPU_ISA")}
    env.update(CEILINGS[ceiling], TF_CPP_MIN_LOG_LEVEL="3")
    folder = out / f"{ceiling}-{seed}"
    song = [sys.executable, "-m", "nabi_music.cli", "song", str(ROOT / "scores" / "nabiya.ly")]
    result = subprocess.run(
        [*song, "--presets", presets, "--seed", str(seed), "--no-media", "--out", str(folder)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if result.returncode:
        raise SystemExit(f"{ceiling} seed {seed}: nabi song failed:\n{result.stderr}")
    summary = json.loads((folder / "nabiya" / "summary.json").read_text(encoding="utf-8"))
    for name, figures in summary["presets"].items():
        with zipfile.ZipFile(folder / "nabiya" / name / "model.nabi") as bundle:
            history = json.loads(bundle.read("config.json"))["history"]
        figures["one_step_history"] = history["one_step_accuracy"]
    return summary


def relapses(one_step: list[float]) -> int:
    """Epochs after the first at 100% one-step accuracy whose weights fall below it."""
    first = one_step.index(1.0) if 1.0 in one_step else len(one_step)
    return sum(a < 1.0 for a in one_step[first:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--ceilings", default=",".join(CEILINGS))
    parser.add_argument("--presets", default="stateful-lstm,stateful-lstm-2f")
    args = parser.parse_args()
    grid = [(c, int(s)) for s in args.seeds.split(",") for c in args.ceilings.split(",")]
    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(2) as pool:
        summaries = list(pool.map(lambda cs: run(*cs, args.presets, Path(tmp)), grid))
    print(
        f"{'ceiling':<8}{'seed':>5}  {'preset':<18}{'kept epoch':>11}{'kept':>13}{'last':>13}"
        f"{'first 100%':>12}{'relapses':>10}"
    )
    for (ceiling, seed), summary in zip(grid, summaries, strict=True):
        for name, s in summary["presets"].items():
            last = s["last_epoch"]
            kept = f"{s['one_step_accuracy']:.0%} / {s['full_song_accuracy']:.0%}"
            lasts = f"{last['one_step_accuracy']:.0%} / {last['full_song_accuracy']:.0%}"
            ones = s["one_step_history"]
            first = ones.index(1.0) + 1 if 1.0 in ones else "-"
            print(
                f"{ceiling:<8}{seed:>5}  {name:<18}{s['kept_epoch']:>11}{kept:>13}{lasts:>13}"
                f"{first:>12}{relapses(ones):>10}"
            )
    print(
        "kept, last: one-step / full-song accuracy of the kept weights and of the last "
        "epoch's;\nrelapses: epochs after the first at 100% one-step whose weights fall below it"
    )


if __name__ == "__main__":
    main()
