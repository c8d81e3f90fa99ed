"""Benchmark: does a long melody cost time and memory in proportion to its length?

For 1,000, 5,000 and 20,000 notes (a seeded random melody in 4/4 with rests, dotted
notes and ties), each size in a fresh process so its peak memory is its own:

- write the melody as ``.txt``, ``.ly``, ``.musicxml`` and ``.mid`` (timed: "write in");
- read each back (``read``), and check the codes came back;
- encode and cut into windows of 4;
- train ``stateful-lstm`` for one epoch (one weight update per window; TensorFlow is
  imported and the model built before the clock starts, XLA compilation is inside);
- predict one step and the full song, and write the outputs (MIDI, LilyPond, MusicXML).

Prints wall-clock and CPU seconds per stage, microseconds per note (flat when growth is
linear) and the peak resident memory after each stage (RSS: a process holding
TensorFlow starts near 600 MB). Run: ``.venv/bin/python bench/scale.py
[--sizes 1000,5000,20000]``.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

STAGES = (
    "write in",
    "read .txt",
    "read .ly",
    "read .musicxml",
    "read .mid",
    "windows",
    "train 1 epoch",
    "predict",
    "write out",
)


def melody_of(n: int):  # -> Melody
    """A seeded random melody of ``n`` notes: C major, 4/4, with rests and dotted notes."""
    import numpy as np

    from nabi_music.music.notes import Melody

    rng = np.random.default_rng(n)
    pitches = ["c", "d", "e", "f", "g", "a", "b", "c'", "d'", "e'"]
    durations = ["8", "8", "4", "4", "4.", "2", "16"]
    codes, step = [], 4
    for _ in range(n):
        if rng.random() < 0.05 and codes and not codes[-1].startswith("r"):
            codes.append("r" + str(rng.choice(["4", "8"])))  # one rest at a time: the
            continue  # readers join rests that follow each other
        step = int(np.clip(step + rng.integers(-2, 3), 0, len(pitches) - 1))
        codes.append(pitches[step] + str(rng.choice(durations)))
    return Melody.from_codes(codes, title=f"{n} notes", key="C major", time_signature="4/4")


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_one(n: int) -> dict[str, list[float]]:
    """Every stage for one size: {stage: [wall seconds, CPU seconds, peak MB after it]}."""
    from nabi_music.backend import quiet_tensorflow
    from nabi_music.errors import NabiWarning

    warnings.simplefilter("ignore", NabiWarning)
    quiet_tensorflow()
    from nabi_music.data.encoding import Vocabulary
    from nabi_music.data.windows import make_windows
    from nabi_music.models.presets import preset
    from nabi_music.prediction.tutorial import predict
    from nabi_music.readers import read
    from nabi_music.training.tutorial import train_preset
    from nabi_music.writers import write_lilypond, write_midi, write_musicxml

    melody = melody_of(n)
    results: dict[str, list[float]] = {}

    def timed(stage: str, fn):
        start, cpu = time.perf_counter(), time.process_time()
        value = fn()
        results[stage] = [time.perf_counter() - start, time.process_time() - cpu, peak_mb()]
        return value

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)

        def write_inputs() -> None:
            (folder / "m.txt").write_text(" ".join(melody.codes), encoding="utf-8")
            write_lilypond(melody, folder / "m.ly", lyrics=False)
            write_musicxml(melody, folder / "m.musicxml")
            write_midi(melody, folder / "m.mid")

        timed("write in", write_inputs)
        for suffix in (".txt", ".ly", ".musicxml", ".mid"):
            [back] = timed(f"read {suffix}", lambda s=suffix: read(folder / f"m{s}"))
            if suffix != ".mid":  # MIDI has no spelling and no final rest
                assert back.codes == melody.codes, suffix
            else:
                assert len(back.notes) >= 0.9 * len(melody.notes)
        vocabulary = Vocabulary.from_melodies([melody])
        config = preset("stateful-lstm").with_options(epochs=1)
        timed("windows", lambda: make_windows([vocabulary.encode(melody.codes)], config.window))
        bundle = timed(
            "train 1 epoch",
            lambda: train_preset([melody], config, vocabulary=vocabulary, seed=1),
        )
        prediction = timed("predict", lambda: predict(bundle, melody))

        def write_outputs() -> None:
            for mode in ("one_step", "full_song"):
                predicted = prediction.as_melody(mode)
                write_midi(predicted, folder / f"{mode}.mid")
                write_lilypond(predicted, folder / f"{mode}.ly")
                write_musicxml(predicted, folder / f"{mode}.musicxml")

        timed("write out", write_outputs)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,5000,20000", help="note counts, comma-separated")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # one size, JSON out
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one)))
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    table: dict[int, dict[str, list[float]]] = {}
    for n in sizes:
        out = subprocess.run(
            [sys.executable, __file__, "--one", str(n)], capture_output=True, text=True
        )
        if out.returncode != 0:
            sys.exit(f"size {n} failed:\n{out.stderr[-2000:]}")
        table[n] = json.loads(out.stdout.strip().splitlines()[-1])
    for column, title in ((0, "wall-clock"), (1, "CPU (all threads)")):
        print(f"{title} seconds per stage (µs per note in brackets: flat when linear)")
        print(f"{'stage':<16}" + "".join(f"{n:>22,}" for n in sizes))
        for stage in STAGES:
            cells = [
                f"{table[n][stage][column]:9.3f} s ({table[n][stage][column] / n * 1e6:7.1f})"
                for n in sizes
            ]
            print(f"{stage:<16}" + "".join(f"{c:>22}" for c in cells))
        print()
    print("peak resident memory after each stage (MB)")
    print(f"{'stage':<16}" + "".join(f"{n:>10,}" for n in sizes))
    for stage in STAGES:
        print(f"{stage:<16}" + "".join(f"{table[n][stage][2]:>10.0f}" for n in sizes))


if __name__ == "__main__":
    main()
