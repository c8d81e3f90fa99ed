"""Benchmark: does a long melody cost time and memory in proportion to its length?

For 1,000, 5,000, 20,000 and 100,000 notes (a seeded random melody in 4/4 with rests
and dotted notes), each size in a fresh process so its peak memory is its own:

- write the melody as ``.txt``, ``.ly``, ``.musicxml``, ``.abc`` and ``.mid`` (timed:
  "write in"; the ABC text is written here, notes across a bar line tied);
- read each back (``read``; the garbage left by the read before is collected first,
  untimed), and check the codes came back. A size over the readers'
  limits (100,000 notes of this melody are 24,000 bars, over the 10,000 of ``bars``) is
  first read as a user would, and its refusal printed with the time it took; then read
  again with the limits raised to fit, so that the table shows what reading costs (those
  cells are marked ``*``);
- up to ``--train-up-to`` notes (20,000): encode and cut into windows of 4; train
  ``stateful-lstm`` for one epoch (one weight update per window; TensorFlow is imported
  and the model built before the clock starts, XLA compilation is inside); predict one
  step and the full song, and write the outputs (MIDI, LilyPond, MusicXML).

Prints wall-clock and CPU seconds per stage, microseconds per note (flat when growth is
linear) and the peak resident memory after each stage (RSS: a process holding
TensorFlow starts near 600 MB). Run: ``.venv/bin/python bench/scale.py
[--sizes 1000,5000,20000,100000] [--train-up-to 20000]``.
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

READ = (".txt", ".ly", ".musicxml", ".abc", ".mid")
STAGES = (
    "write in",
    *(f"read {suffix}" for suffix in READ),
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


def abc_of(melody) -> str:  # -> str; melody: Melody
    """The melody as one ABC tune in 4/4 (L:1/16), a note across a bar line tied over it.

    The benchmark's melodies are in C major with plain and dotted values: one letter, an
    octave mark and a length in sixteenths spell each note."""
    lines = [f"X:1\nT:{melody.title}\nM:4/4\nL:1/16\nK:C\n"]
    position, bar, out = 0, 16, []
    for note in melody.notes:
        left = int(note.duration * 4)
        if note.pitch is None:
            name = "z"
        else:
            step = note.pitch.step.upper()
            name = step if note.pitch.octave == 4 else step.lower() + "'" * (note.pitch.octave - 5)
        while left:
            part = min(left, bar - position)
            left -= part
            out.append(f"{name}{part}{'-' if left and note.pitch is not None else ''}")
            position += part
            if position == bar:
                out.append("|")
                position = 0
    lines.append(" ".join(out) + "\n")
    return "".join(lines)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_one(n: int, train_up_to: int) -> dict[str, list[float]]:
    """Every stage for one size: {stage: [wall seconds, CPU seconds, peak MB after it,
    1.0 if read with raised limits]}; refusals under {"refused <stage>": [seconds, ...]}."""
    from nabi_music.backend import quiet_tensorflow
    from nabi_music.errors import InputError, NabiWarning

    warnings.simplefilter("ignore", NabiWarning)
    if n <= train_up_to:
        quiet_tensorflow()
    from nabi_music.readers import limits, read
    from nabi_music.writers import write_lilypond, write_midi, write_musicxml

    melody = melody_of(n)
    results: dict[str, list[float]] = {}
    refusals: dict[str, str] = {}

    def timed(stage: str, fn, raised: bool = False):
        start, cpu = time.perf_counter(), time.process_time()
        value = fn()
        wall, used = time.perf_counter() - start, time.process_time() - cpu
        results[stage] = [wall, used, peak_mb(), float(raised)]
        return value

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)

        def write_inputs() -> None:
            (folder / "m.txt").write_text(" ".join(melody.codes), encoding="utf-8")
            write_lilypond(melody, folder / "m.ly", lyrics=False)
            write_musicxml(melody, folder / "m.musicxml")
            (folder / "m.abc").write_text(abc_of(melody), encoding="utf-8")
            write_midi(melody, folder / "m.mid")

        timed("write in", write_inputs)
        for suffix in READ:
            stage, path = f"read {suffix}", folder / f"m{suffix}"
            gc.collect()  # the garbage of the read before is not this read's cost
            start = time.perf_counter()
            try:
                [back] = timed(stage, lambda p=path: read(p))
            except InputError as refusal:  # over a limit: say so, then measure the read
                refusals[stage] = f"refused in {time.perf_counter() - start:.2f} s: {refusal}"
                megabytes = path.stat().st_size // 1_000_000 + 1
                with limits.raised(notes=2 * n, bars=n, file_mb=max(megabytes, 20)):
                    [back] = timed(stage, lambda p=path: read(p), raised=True)
            if suffix != ".mid":  # MIDI has no spelling and no final rest
                assert back.codes == melody.codes, suffix
            else:
                assert len(back.notes) >= 0.9 * len(melody.notes)
        if n <= train_up_to:
            _train_and_predict(melody, folder, timed)
    return {**results, **{f"refused {k}": [v] for k, v in refusals.items()}}


def _train_and_predict(melody, folder: Path, timed) -> None:
    """Windows, one epoch of ``stateful-lstm``, prediction and the outputs, each timed."""
    from nabi_music.data.encoding import Vocabulary
    from nabi_music.data.windows import make_windows
    from nabi_music.models.presets import preset
    from nabi_music.prediction.tutorial import predict
    from nabi_music.training.tutorial import train_preset
    from nabi_music.writers import write_lilypond, write_midi, write_musicxml

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", default="1000,5000,20000,100000", help="note counts, comma-separated"
    )
    parser.add_argument(
        "--train-up-to", type=int, default=20000, help="train and predict up to this size"
    )
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # one size, JSON out
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one, args.train_up_to)))
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    table: dict[int, dict[str, list]] = {}
    for n in sizes:
        out = subprocess.run(
            [sys.executable, __file__, "--one", str(n), "--train-up-to", str(args.train_up_to)],
            capture_output=True,
            text=True,
        )
        if out.returncode != 0:
            sys.exit(f"size {n} failed:\n{out.stderr[-2000:]}")
        table[n] = json.loads(out.stdout.strip().splitlines()[-1])
    for column, title in ((0, "wall-clock"), (1, "CPU (all threads)")):
        print(f"{title} seconds per stage (µs per note in brackets: flat when linear)")
        print(f"{'stage':<16}" + "".join(f"{n:>24,}" for n in sizes))
        for stage in STAGES:
            cells = []
            for n in sizes:
                row = table[n].get(stage)
                if row is None:
                    cells.append("-")
                    continue
                mark = "*" if row[3] else " "
                cells.append(f"{row[column]:9.3f} s ({row[column] / n * 1e6:7.1f}){mark}")
            print(f"{stage:<16}" + "".join(f"{c:>24}" for c in cells))
        print()
    print("peak resident memory after each stage (MB)")
    print(f"{'stage':<16}" + "".join(f"{n:>10,}" for n in sizes))
    for stage in STAGES:
        cells = [f"{table[n][stage][2]:.0f}" if stage in table[n] else "-" for n in sizes]
        print(f"{stage:<16}" + "".join(f"{c:>10}" for c in cells))
    refused = [(n, k, v[0]) for n in sizes for k, v in table[n].items() if k.startswith("refused")]
    if refused:
        print("\n* read with the limits raised to fit; with the default limits it was refused:")
        for n, key, line in refused:
            print(f"  {n:,} notes, {key.removeprefix('refused ')}: {line}")


if __name__ == "__main__":
    main()
