"""See and hear a song run: engrave its ``.ly`` files, synthesise its MIDI files,
plot its training and write its report page.

:func:`publish_song` takes what :func:`nabi_music.song.run_song` wrote and adds,
beside each ``.ly``, its PDF and cropped PNG (SVG on request); beside each
``.mid``, a 44.1 kHz WAV; in the song folder ``history.json`` (every preset's
per-epoch figures), ``loss.png``, ``accuracy.png`` and ``index.html``. It
returns the files and the seconds each stage took.
"""

from __future__ import annotations

import json
import platform
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from nabi_music.fileio import atomic_write
from nabi_music.report import (
    PresetView,
    ReportData,
    ScoreView,
    copy_hangul_font,
    relative_url,
    write_report,
)

if TYPE_CHECKING:
    from nabi_music.song import PresetResult, SongResult

MODE_LABELS = {"one_step": "one-step prediction", "full_song": "full-song prediction"}


@dataclass(frozen=True)
class MediaOptions:
    """What to make after the MIDI and LilyPond files are written."""

    render: bool = True
    formats: tuple[str, ...] = ("pdf", "png")
    audio: bool = True
    instrument: str | int = "piano"
    report: bool = True
    jobs: int = 2
    timeout: float = 120.0


@dataclass(frozen=True)
class Published:
    files: tuple[Path, ...]
    timings: dict[str, float] = field(default_factory=dict)
    report: Path | None = None
    audio_engine: str | None = None
    """``soundfont``, or ``sine`` when no SoundFont synthesiser could load."""
    audio_detail: str = ""
    warnings: tuple[str, ...] = ()


def publish_song(result: SongResult, options: MediaOptions | None = None) -> Published:
    """Render, synthesise, plot and report ``result`` (see the module docstring)."""
    options = options or MediaOptions()
    media = publish_files(result.files, options)
    timings = dict(media.timings)
    files = list(media.files)
    report = None
    if options.report:
        start = time.perf_counter()
        history = _write_history(result)
        from nabi_music.plots import plot_histories

        plots = plot_histories(
            {p.preset: p.bundle.history for p in result.presets},
            result.folder,
            title=result.melody.title or result.song,
        )
        report = _write_page(
            result, plots, media.audio_engine, media.audio_detail, options, timings
        )
        files += [history, *plots, report]
        timings["report"] = time.perf_counter() - start
    return Published(
        tuple(files), timings, report, media.audio_engine, media.audio_detail, media.warnings
    )


def publish_files(files: Sequence[Path], options: MediaOptions | None = None) -> Published:
    """Engrave the ``.ly`` files and synthesise the ``.mid`` files among ``files``."""
    options = options or MediaOptions()
    timings: dict[str, float] = {}
    made: list[Path] = []
    warnings: list[str] = []
    lys = [f for f in files if f.suffix == ".ly"]
    midis = [f for f in files if f.suffix == ".mid"]

    formats = list(options.formats)
    if options.report and "png" not in formats:
        formats.append("png")
    if options.render and lys:
        from nabi_music.render import render_files

        start = time.perf_counter()
        rendered = render_files(lys, formats, jobs=options.jobs, timeout=options.timeout)
        timings["render"] = time.perf_counter() - start
        for r in rendered:
            made += r.files
            warnings += [f"{r.source.name}: {w}" for w in r.warnings]

    engine, detail = None, ""
    if options.audio and midis:
        from nabi_music.audio import synthesize_files

        start = time.perf_counter()
        waves = synthesize_files(midis, instrument=options.instrument)
        timings["synthesise"] = time.perf_counter() - start
        made += [w.path for w in waves]
        engine = "sine" if any(w.engine == "sine" for w in waves) else "soundfont"
        detail = next((w.detail for w in waves if w.engine == engine), "")
    return Published(tuple(made), timings, None, engine, detail, tuple(warnings))


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
    def rel(suffix: str) -> str | None:
        path = stem.with_suffix(suffix)
        return relative_url(path, folder) if path.is_file() else None

    links = tuple(
        (name, url)
        for name, url in (
            ("PDF", rel(".pdf")),
            ("SVG", rel(".svg")),
            ("MIDI", rel(".mid")),
            ("LilyPond", rel(".ly")),
            ("WAV", rel(".wav")),
        )
        if url
    )
    return ScoreView(label, caption, rel(".png"), rel(".wav"), links, wrong)


def _preset_view(result: SongResult, p: PresetResult) -> PresetView:
    scores = []
    for mode, label in MODE_LABELS.items():
        comparison = p.prediction.one_step if mode == "one_step" else p.prediction.full_song
        wrong = tuple(
            (i + 1, comparison.predicted[i], expected)
            for i, expected in sorted(comparison.wrong.items())
        )
        stem = result.folder / p.preset / mode
        scores.append(_media(result.folder, stem, label, comparison.describe(), wrong))
    s = p.summary()
    last = s["last_epoch"]
    return PresetView(
        p.preset,
        float(s["one_step_accuracy"]),
        float(s["full_song_accuracy"]),
        int(s["epochs"]),
        float(s["train_seconds"]),
        tuple(scores),
        kept_epoch=int(s["kept_epoch"]),
        last_epoch=(float(last["one_step_accuracy"]), float(last["full_song_accuracy"])),
    )


def _write_page(
    result: SongResult,
    plots: tuple[Path, Path],
    engine: str | None,
    detail: str,
    options: MediaOptions,
    timings: dict[str, float],
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
    data = ReportData(
        hangul_font=copy_hangul_font(folder, result.melody.title or result.song),
        title=result.melody.title or result.song,
        song=result.song,
        notes=len(result.melody.notes),
        original=original,
        presets=presets,
        plots=plot_views,
        facts=tuple(_facts(result, engine, detail, options, {**result.timings, **timings})),
    )
    return write_report(data, folder / "index.html")


def _facts(
    result: SongResult,
    engine: str | None,
    detail: str,
    options: MediaOptions,
    timings: dict[str, float],
) -> list[tuple[str, str]]:
    from importlib.metadata import PackageNotFoundError, version

    from nabi_music.render import lilypond_version

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
    if engine is not None:
        label = "SoundFont" if engine == "soundfont" else "plain synthesis (fallback)"
        facts.append(("audio", f"{label}: {detail}, 44.1 kHz WAV"))
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
