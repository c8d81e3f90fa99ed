"""Benchmark: where ``make song`` spends its time, stage by stage.

Runs what ``nabi song scores/nabiya.ly`` runs (read, train, predict, write,
render, synthesise, report) into a temporary folder and prints the seconds of
each stage. Then it renders the same ``.ly`` files two ways, side by side:

- one LilyPond process per file with LilyPond's default (PostScript and
  Ghostscript) back end, writing PDF and PNG: the plain way;
- nabi_music's :func:`nabi_music.media.render.render_files`: all files in two
  parallel LilyPond processes with the Cairo back end (PDF and cropped PNG).

Run: ``.venv/bin/python bench/stages.py [--epochs N] [--presets a,b] [--no-compare]``.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from nabi_music.backend import quiet_tensorflow
from nabi_music.media.render import lilypond_executable, render_files
from nabi_music.readers import read

ROOT = Path(__file__).resolve().parent.parent
STAGES = ("read", "train", "predict", "write", "render", "synthesise", "report")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--score", default=str(ROOT / "scores" / "nabiya.ly"))
    parser.add_argument("--presets", default="mlp,lstm,stateful-lstm,stateful-lstm-2f")
    parser.add_argument("--epochs", type=int, help="epochs (default: the presets', 2000)")
    parser.add_argument("--no-compare", action="store_true", help="skip the render comparison")
    args = parser.parse_args()

    quiet_tensorflow()
    from nabi_music.media.publish import MediaOptions
    from nabi_music.runs.song import run_song, song_name

    with tempfile.TemporaryDirectory(prefix="nabi-bench-") as tmp:
        start = time.perf_counter()
        melody = read(args.score)[0]
        read_seconds = time.perf_counter() - start
        start = time.perf_counter()
        result = run_song(
            melody,
            [p for p in args.presets.split(",") if p],
            tmp,
            song=song_name(args.score),
            epochs=args.epochs,
            media=MediaOptions(),
        )
        total = read_seconds + time.perf_counter() - start
        timings = {"read": read_seconds, **result.timings}
        lys = [f for f in result.files if f.suffix == ".ly"]
        mids = [f for f in result.files if f.suffix == ".mid"]

        print(f"make song on {melody.title or result.song}: {len(lys)} .ly, {len(mids)} .mid")
        print(f"{'stage':<12}{'seconds':>9}{'share':>8}")
        print("-" * 29)
        for stage in STAGES:
            seconds = timings.get(stage, 0.0)
            print(f"{stage:<12}{seconds:>9.2f}{seconds / total:>8.0%}")
        print("-" * 29)
        print(f"{'total':<12}{total:>9.2f}")

        if not args.no_compare:
            print()
            compare_rendering(lys, Path(tmp))


def compare_rendering(lys: list[Path], tmp: Path) -> None:
    plain = tmp / "plain"
    plain.mkdir()
    copies = []
    for k, ly in enumerate(lys):
        copy = plain / f"{k}-{ly.name}"
        shutil.copyfile(ly, copy)
        copies.append(copy)
    exe = str(lilypond_executable())
    start = time.perf_counter()
    for copy in copies:
        subprocess.run(
            [exe, "--pdf", "--png", copy.name],
            cwd=plain,
            check=True,
            capture_output=True,
        )
    plain_seconds = time.perf_counter() - start

    start = time.perf_counter()
    render_files(lys, ("pdf", "png"), jobs=2)
    ours = time.perf_counter() - start

    print(f"render {len(lys)} .ly files to PDF and PNG")
    print(f"{'':<44}{'seconds':>9}")
    print(f"{'one process per file, PostScript back end':<44}{plain_seconds:>9.2f}")
    print(f"{'nabi_music: 2 processes, Cairo back end':<44}{ours:>9.2f}")
    print(f"{'ratio':<44}{plain_seconds / ours:>8.1f}x")


if __name__ == "__main__":
    main()
