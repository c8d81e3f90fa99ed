"""The whole tutorial experiment on one melody: what ``make song`` runs.

For each preset: train on the melody, predict it one step at a time and as a
full song from its first window, and write under ``<out>/<song>/<preset>/``
``one_step.mid``, ``full_song.mid``, ``one_step.ly``, ``full_song.ly`` (wrong
notes in red under the original), ``one_step.musicxml``, ``full_song.musicxml``
(wrong notes in red) and ``model.nabi``. Beside them: ``original.mid``,
``original.ly``, ``original.musicxml`` and ``summary.json`` with every preset's
figures.

With media options, :func:`publish_song` then engraves and synthesises every file
(:func:`nabi_music.media.publish.publish`) and adds in the song folder
``history.json`` (every preset's per-epoch figures), ``loss.png``,
``accuracy.png`` and the report page ``index.html``, which links every file.

``summary.json`` and the page hold the command that repeats the run: as ``nabi song``
was given it, or for a run started from Python the equivalent command built from the
options (:func:`song_command`).
"""

from __future__ import annotations

import json
import os
import platform
import shlex
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from nabi_music.data.encoding import choose_vocabulary
from nabi_music.errors import InputError
from nabi_music.fileio import atomic_write, safe_name
from nabi_music.media.audio import DEFAULT_AUDIO_FORMAT
from nabi_music.media.plots import plot_histories
from nabi_music.media.publish import MediaOptions, Published, publish
from nabi_music.media.render import lilypond_version
from nabi_music.models.bundle import Bundle, save_bundle
from nabi_music.models.presets import CORPUS_PRESETS, PRESETS, preset
from nabi_music.music.notes import Melody
from nabi_music.pages.frame import ScoreView, file_urls, relative_url, score_view
from nabi_music.pages.song import PresetView, ReportData, write_report
from nabi_music.prediction.tutorial import Prediction, last_epoch_scorer, predict
from nabi_music.training.loop import Progress
from nabi_music.training.tutorial import DEFAULT_SEED, train_preset
from nabi_music.writers.lilypond import bars_per_line, write_lilypond
from nabi_music.writers.midi import write_midi
from nabi_music.writers.musicxml import write_musicxml
from nabi_music.writers.notation import Notation

MODES = {"one_step": "one-step prediction", "full_song": "full-song prediction"}
COMMAND_LINE = "command line"
PYTHON = "python"
"""Where a run was started (``started_from`` in ``summary.json``)."""


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
    command: str | None = None
    """The command that repeats the run (None: none can, the melody is in no file)."""
    started_from: str = PYTHON
    """``command line`` (``command`` is as given) or ``python`` (it is built)."""


def song_name(path: str | Path) -> str:
    """The folder name of a score: its file stem (``scores/nabiya.ly`` -> ``nabiya``)."""
    return safe_name(Path(str(path).removeprefix("corpus:")).stem)


def write_prediction(
    prediction: Prediction,
    folder: Path,
    preset_name: str,
    notation: Notation | None = None,
    line_bars: int | None = None,
) -> tuple[Path, ...]:
    """The MIDI, highlighted LilyPond and coloured MusicXML files of both modes; each
    score shows the original above the prediction unless ``notation`` says not."""
    notation = notation or Notation()
    melody = prediction.melody
    if line_bars is None:
        line_bars = page_line_bars(prediction.melody, [prediction], notation)
    written = []
    for mode, label in MODES.items():
        comparison = prediction.one_step if mode == "one_step" else prediction.full_song
        predicted = prediction.as_melody(mode)
        marks = {"wrong": comparison.wrong, "primer": comparison.primer, "style": notation.style}
        written.append(write_midi(predicted, folder / f"{mode}.mid"))
        written.append(
            write_lilypond(
                predicted,
                folder / f"{mode}.ly",
                subsubtitle=f"{preset_name} — {label}: {comparison.describe()}",
                reference=melody if notation.original_staff else None,
                line_bars=line_bars,
                **marks,
            )
        )
        written.append(write_musicxml(predicted, folder / f"{mode}.musicxml", **marks))
    return tuple(written)


def page_line_bars(melody: Melody, predictions: Sequence[Prediction], notation: Notation) -> int:
    """Bars per line for every score of one run: the original's and each prediction's."""
    melodies = [melody] + [p.as_melody(mode) for p in predictions for mode in MODES]
    reference = melody if notation.original_staff else None
    return bars_per_line(melodies, notation.style, reference=reference)


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
    notation: Notation | None = None,
    command: str | None = None,
) -> SongResult:
    """Train every preset on ``melody`` and write its outputs under ``out_root/song``.

    Each model keeps its best epoch's weights (``keep="best"``) or its last
    (``keep="last"``): see :func:`nabi_music.training.tutorial.train_preset`.

    With ``media``, also engrave, synthesise, plot and write the report page
    (:func:`publish_song`). ``notation``: the scores' style, and whether each
    prediction's score shows the original above it. ``command``: the command line the
    run was given (the ``nabi`` command passes it); without it the run records the
    equivalent command.
    """
    notation = notation or Notation()
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
            score_last=last_epoch_scorer(melody),
        )

    # The presets train side by side, one per core: each compiled loop runs on the
    # thread that calls it, and each is deterministic on its own.
    start = time.perf_counter()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    with ThreadPoolExecutor(max(1, min(len(configs), cores or 1))) as pool:
        bundles = list(pool.map(train, range(len(configs))))
    timings["train"] = time.perf_counter() - start
    predictions = []
    for bundle in bundles:
        start = time.perf_counter()
        predictions.append(predict(bundle, melody))
        timings["predict"] += time.perf_counter() - start
    line_bars = page_line_bars(melody, predictions, notation)
    for config, bundle, prediction in zip(configs, bundles, predictions, strict=True):
        start = time.perf_counter()
        preset_dir = folder / config.preset
        preset_dir.mkdir(parents=True, exist_ok=True)
        files = write_prediction(prediction, preset_dir, config.preset, notation, line_bars)
        files += (save_bundle(bundle, preset_dir / "model.nabi"),)
        results.append(PresetResult(config.preset, bundle, prediction, files))
        timings["write"] += time.perf_counter() - start
    start = time.perf_counter()
    folder.mkdir(parents=True, exist_ok=True)
    originals = (
        write_midi(melody, folder / "original.mid"),
        write_lilypond(
            melody,
            folder / "original.ly",
            subsubtitle="the original melody",
            style=notation.style,
            line_bars=line_bars,
        ),
        write_musicxml(melody, folder / "original.musicxml", style=notation.style),
    )
    summary_path = folder / "summary.json"
    started_from = COMMAND_LINE if command is not None else PYTHON
    if command is None:
        command = song_command(
            melody, presets, out_root, song=song, epochs=epochs, seed=seed, window=window,
            until_perfect=until_perfect, keep=keep, vocabulary=vocabulary, media=media,
            notation=notation,
        )  # fmt: skip
    summary = {
        "song": song,
        "title": melody.title,
        "source": melody.source,
        "seed": seed,
        "keep": keep,
        "command": command,
        "started_from": started_from,
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
        command=command,
        started_from=started_from,
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


# --- media and the report page -------------------------------------------------


def publish_song(result: SongResult, options: MediaOptions | None = None) -> Published:
    """Render, synthesise, plot and report ``result`` (see the module docstring)."""
    options = options or MediaOptions()
    media = publish(result.files, options)
    timings = dict(media.timings)
    files = list(media.files)
    report = None
    if options.report:
        start = time.perf_counter()
        history = _write_history(result)
        plots = plot_histories(
            {p.preset: p.bundle.history for p in result.presets},
            result.folder,
            title=result.melody.title or result.song,
        )
        written = (*result.files, *files, history, *plots)
        report = _write_page(result, plots, media, timings, written)
        files += [history, *plots, report]
        timings["report"] = time.perf_counter() - start
    return replace(media, files=tuple(files), timings=timings, report=report)


def _write_history(result: SongResult) -> Path:
    path = result.folder / "history.json"
    data = {p.preset: p.bundle.history.to_dict() for p in result.presets}
    with atomic_write(path) as tmp:
        tmp.write_text(json.dumps(data) + "\n", encoding="utf-8")
    return path


def _media(
    folder: Path,
    stem: Path,
    label: str,
    caption: str,
    wrong: tuple[tuple[int, str, str], ...] = (),
) -> ScoreView:
    return score_view(stem, folder, label, caption, wrong)


def _preset_view(result: SongResult, p: PresetResult) -> PresetView:
    scores = []
    for mode, label in MODES.items():
        comparison = p.prediction.one_step if mode == "one_step" else p.prediction.full_song
        wrong = tuple(
            (i + 1, comparison.predicted[i], expected)
            for i, expected in sorted(comparison.wrong.items())
        )
        stem = result.folder / p.preset / mode
        scores.append(_media(result.folder, stem, label, comparison.describe(), wrong))
    s = p.summary()
    last = s["last_epoch"]
    bundle = next((f for f in p.files if f.suffix == ".nabi" and f.is_file()), None)
    return PresetView(
        p.preset,
        float(s["one_step_accuracy"]),
        float(s["full_song_accuracy"]),
        int(s["epochs"]),
        float(s["train_seconds"]),
        tuple(scores),
        kept_epoch=int(s["kept_epoch"]),
        last_epoch=(float(last["one_step_accuracy"]), float(last["full_song_accuracy"])),
        bundle=relative_url(bundle, result.folder) if bundle else None,
    )


def _write_page(
    result: SongResult,
    plots: tuple[Path, Path],
    media: Published,
    timings: dict[str, float],
    written: Sequence[Path] = (),
) -> Path:
    folder = result.folder
    original = _media(folder, folder / "original", "the original melody", "")
    presets = tuple(_preset_view(result, p) for p in result.presets)
    plot_views = (
        (
            "Training loss of every preset per epoch (log scale); a ring marks the kept epoch",
            relative_url(plots[0], folder),
        ),
        (
            "Training accuracy of every preset per epoch; a ring marks the kept epoch",
            relative_url(plots[1], folder),
        ),
    )
    page = folder / "index.html"
    data = ReportData(
        title=result.melody.title or result.song,
        song=result.song,
        notes=len(result.melody.notes),
        original=original,
        presets=presets,
        plots=plot_views,
        facts=tuple(_facts(result, media, {**result.timings, **timings})),
        command=result.command,
        command_note=_command_note(result),
        files=file_urls(written, page),
    )
    return write_report(data, page)


def _command_note(result: SongResult) -> str:
    if result.started_from == COMMAND_LINE:
        return (
            "The command that made this run, as it was given (also in summary.json): run "
            "it in the same folder to make the same files (same seed, same versions, same "
            "kind of processor)."
        )
    if result.command is None:
        return (
            "This run was started from Python (nabi_music.runs.song.run_song) with a "
            "melody that no score file holds, so no nabi command repeats it; original.ly "
            "beside this page holds the melody."
        )
    return (
        "This run was started from Python (nabi_music.runs.song.run_song), not by a "
        "command; this nabi command runs the same experiment with the same options "
        "(reading the score's first melody with the default reading options)."
    )


def song_command(
    melody: Melody,
    presets: Sequence[str],
    out_root: str | os.PathLike[str],
    *,
    song: str | None = None,
    epochs: int | None = None,
    seed: int = DEFAULT_SEED,
    window: int | None = None,
    until_perfect: bool = False,
    keep: str = "best",
    vocabulary: str = "data",
    media: MediaOptions | None = None,
    notation: Notation | None = None,
) -> str | None:
    """The ``nabi song`` command (shell-quoted) that runs :func:`run_song` with these
    options on the file the melody was read from; None when it was read from no file,
    or its folder name would differ from ``song``. Options at their defaults are left
    out, except the seed."""
    source = melody.source or ""
    if not (source.startswith("corpus:") or Path(source).is_file()):
        return None
    if song is not None and song != song_name(source):
        return None
    args = ["nabi", "song", source]
    tutorial = [name for name in PRESETS if name not in CORPUS_PRESETS]
    if list(presets) != tutorial:
        args += ["--presets", ",".join(presets)]
    if epochs is not None:
        args += ["--epochs", str(epochs)]
    args += ["--seed", str(seed)]
    if window is not None:
        args += ["--window", str(window)]
    if until_perfect:
        args.append("--until-perfect")
    if keep != "best":
        args += ["--keep", keep]
    if vocabulary != "data":
        args += ["--vocabulary", vocabulary]
    if media is None:
        args.append("--no-media")
    else:
        if str(media.instrument) != "piano":
            args += ["--instrument", str(media.instrument)]
        if "svg" in media.formats:
            args.append("--svg")
        if media.audio_format != DEFAULT_AUDIO_FORMAT:
            args += ["--audio-format", media.audio_format]
    notation = notation or Notation()
    if notation.style != Notation().style:
        args += ["--notation", notation.style]
    if not notation.original_staff:
        args.append("--no-original-staff")
    if Path(out_root) != Path("outputs"):
        args += ["--out", os.fspath(out_root)]
    return shlex.join(args)


def _facts(
    result: SongResult, media: Published, timings: dict[str, float]
) -> list[tuple[str, str]]:
    def pkg(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:
            return "not installed"

    bundles = [p.bundle for p in result.presets]
    first = bundles[0] if bundles else None
    seeds = sorted({b.seed for b in bundles})
    windows = sorted({b.config.window for b in bundles})
    versions = first.versions if first else {}
    facts = [
        ("melody", f"{result.melody.title or result.song} ({result.melody.source or '-'})"),
        ("notes", str(len(result.melody.notes))),
        ("seed", ", ".join(map(str, seeds)) or "-"),
        ("window", ", ".join(f"{w} notes" for w in windows) or "-"),
        ("epochs", ", ".join(f"{b.config.preset} {b.history.epochs}" for b in bundles) or "-"),
        (
            "kept weights",
            ", ".join(
                f"{b.config.preset} epoch {b.history.kept_epoch} ({b.history.keep})"
                for b in bundles
            )
            or "-",
        ),
    ]
    if media.audio_engine is not None:
        facts.append(("audio", media.audio_fact))
    facts += [
        ("nabi_music", versions.get("nabi_music") or pkg("nabi_music")),
        ("TensorFlow", versions.get("tensorflow") or pkg("tensorflow")),
        ("Keras", versions.get("keras") or pkg("keras")),
        ("music21", pkg("music21")),
        ("LilyPond", lilypond_version()),
        ("Python", platform.python_version()),
    ]
    if timings:
        facts.append(("seconds per stage", ", ".join(f"{k} {v:.1f}" for k, v in timings.items())))
    return facts
