"""The whole tutorial experiment on one melody: what ``make song`` runs.

For each preset: train on the melody, predict it one step at a time and as a
full song from its first window, and write under ``<out>/<song>/<preset>/``
``one_step.mid``, ``full_song.mid``, ``one_step.ly``, ``full_song.ly`` (wrong
notes in red) and ``model.nabi``. Beside them: ``original.mid``,
``original.ly`` and ``summary.json`` with every preset's figures.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from nabi_music.bundle import Bundle, save_bundle
from nabi_music.errors import InputError
from nabi_music.experiment import DEFAULT_SEED, Prediction, choose_vocabulary, predict, train_preset
from nabi_music.fileio import atomic_write, safe_name
from nabi_music.notes import Melody
from nabi_music.presets import preset
from nabi_music.publish import MediaOptions, Published, publish_song
from nabi_music.training import Progress
from nabi_music.writers.lilypond import write_lilypond
from nabi_music.writers.midi import write_midi

MODES = {"one_step": "one-step prediction", "full_song": "full-song prediction"}


@dataclass(frozen=True)
class PresetResult:
    preset: str
    bundle: Bundle
    prediction: Prediction
    files: tuple[Path, ...]

    def summary(self) -> dict[str, Any]:
        """The kept model's figures, the epoch it is from, and the last epoch's figures."""
        history = self.bundle.history
        last = history.last
        return {
            "one_step_accuracy": round(self.prediction.one_step.accuracy, 4),
            "full_song_accuracy": round(self.prediction.full_song.accuracy, 4),
            "train_seconds": round(history.seconds, 2),
            "epochs": history.epochs,
            "kept_epoch": history.kept_epoch,
            "keep": history.keep,
            "last_epoch": {
                "epoch": int(last.get("epoch", history.epochs)),
                **{k: round(v, 4) for k, v in last.items() if k.endswith("_accuracy")},
                "loss": last.get("loss"),
            },
        }


@dataclass(frozen=True)
class SongResult:
    song: str
    melody: Melody
    folder: Path
    presets: tuple[PresetResult, ...]
    files: tuple[Path, ...]
    timings: dict[str, float] = field(default_factory=dict)
    """Seconds spent per stage: train, predict, write (and render, synthesise, report)."""
    media: Published | None = None


def song_name(path: str | Path) -> str:
    """The folder name of a score: its file stem (``scores/nabiya.ly`` -> ``nabiya``)."""
    return safe_name(Path(str(path).removeprefix("corpus:")).stem)


def write_prediction(prediction: Prediction, folder: Path, preset_name: str) -> tuple[Path, ...]:
    """The MIDI and highlighted LilyPond files of both modes."""
    written = []
    for mode, label in MODES.items():
        comparison = prediction.one_step if mode == "one_step" else prediction.full_song
        melody = prediction.as_melody(mode)
        written.append(write_midi(melody, folder / f"{mode}.mid"))
        written.append(
            write_lilypond(
                melody,
                folder / f"{mode}.ly",
                wrong=comparison.wrong,
                title=melody.title,
                subtitle=f"{preset_name} — {label}",
                subsubtitle=comparison.describe(),
                primer=comparison.primer,
            )
        )
    return tuple(written)


def run_song(
    melody: Melody,
    presets: Sequence[str],
    out_root: str | Path,
    *,
    song: str,
    epochs: int | None = None,
    seed: int = DEFAULT_SEED,
    window: int | None = None,
    until_perfect: bool = False,
    keep: str = "best",
    vocabulary: str = "data",
    progress_for: Callable[[str], Progress | None] | None = None,
    media: MediaOptions | None = None,
) -> SongResult:
    """Train every preset on ``melody`` and write its outputs under ``out_root/song``.

    Each model keeps its best epoch's weights (``keep="best"``) or its last
    (``keep="last"``): see :func:`nabi_music.experiment.train_preset`.

    With ``media``, also engrave, synthesise, plot and write the report page
    (:func:`nabi_music.publish.publish_song`).
    """
    configs = [preset(name).with_options(epochs=epochs, window=window) for name in presets]
    if not configs:
        raise InputError("no preset chosen; expected one or more of mlp, lstm, ...")
    longest = max(c.window for c in configs)
    if len(melody.notes) < longest + 1:
        raise InputError(
            f"{melody.source}: the melody has {len(melody.notes)} notes; "
            f"a window of {longest} needs at least {longest + 1}"
        )
    vocab = choose_vocabulary(vocabulary, [melody])
    vocab.encode(melody.codes, where=melody.source or "the melody")
    folder = Path(out_root) / song
    results = []
    timings = dict.fromkeys(("train", "predict", "write"), 0.0)
    progresses = [progress_for(c.preset) if progress_for else None for c in configs]

    def train(k: int) -> Bundle:
        return train_preset(
            [melody],
            configs[k],
            vocabulary=vocab,
            seed=seed,
            until_perfect=until_perfect,
            keep=keep,
            progress=progresses[k],
        )

    # The presets train side by side, one per core: each compiled loop runs on the
    # thread that calls it, and each is deterministic on its own.
    start = time.perf_counter()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    with ThreadPoolExecutor(max(1, min(len(configs), cores or 1))) as pool:
        bundles = list(pool.map(train, range(len(configs))))
    timings["train"] = time.perf_counter() - start
    for config, bundle in zip(configs, bundles, strict=True):
        start = time.perf_counter()
        prediction = predict(bundle, melody)
        timings["predict"] += time.perf_counter() - start
        start = time.perf_counter()
        preset_dir = folder / config.preset
        preset_dir.mkdir(parents=True, exist_ok=True)
        files = write_prediction(prediction, preset_dir, config.preset)
        files += (save_bundle(bundle, preset_dir / "model.nabi"),)
        results.append(PresetResult(config.preset, bundle, prediction, files))
        timings["write"] += time.perf_counter() - start
    start = time.perf_counter()
    folder.mkdir(parents=True, exist_ok=True)
    originals = (
        write_midi(melody, folder / "original.mid"),
        write_lilypond(melody, folder / "original.ly", subtitle="the original melody"),
    )
    summary_path = folder / "summary.json"
    summary = {
        "song": song,
        "title": melody.title,
        "source": melody.source,
        "seed": seed,
        "keep": keep,
        "presets": {r.preset: r.summary() for r in results},
    }
    with atomic_write(summary_path) as tmp:
        tmp.write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    timings["write"] += time.perf_counter() - start
    result = SongResult(
        song=song,
        melody=melody,
        folder=folder,
        presets=tuple(results),
        files=(*originals, *(f for r in results for f in r.files), summary_path),
        timings=timings,
    )
    if media is None:
        return result
    published = publish_song(result, media)
    return replace(
        result,
        files=result.files + published.files,
        timings={**timings, **published.timings},
        media=published,
    )
