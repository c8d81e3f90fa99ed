"""The one media pipeline: engrave any set of ``.ly`` files and synthesise any set of
MIDI files, for ``nabi song``, ``nabi predict`` and ``nabi generate`` alike.

:func:`publish` adds, beside each ``.ly``, its PDF and cropped PNG (SVG on
request) and, beside each ``.mid``, its audio: a 44.1 kHz MP3, or a WAV on request
(``audio_format``). It returns the files made (and which source each came from),
LilyPond's warnings, the audio engine and the seconds each stage took.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from nabi_music.media.audio import (
    AUDIO_FORMATS,
    DEFAULT_AUDIO_FORMAT,
    check_audio_format,
    synthesize_files,
)
from nabi_music.media.render import render_files


@dataclass(frozen=True)
class MediaOptions:
    """What to make after the MIDI and LilyPond files are written."""

    render: bool = True
    formats: tuple[str, ...] = ("pdf", "png")
    audio: bool = True
    instrument: str | int = "piano"
    audio_format: str = DEFAULT_AUDIO_FORMAT
    """``mp3`` (mono, every browser plays it) or ``wav``."""
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
    made_from: dict[Path, tuple[Path, ...]] = field(default_factory=dict)
    """Each ``.ly`` or ``.mid`` source -> the files made from it."""
    fallbacks: tuple[str, ...] = ()
    """``<audio file name>: <detail>`` of each audio file made without the SoundFont."""
    audio_format: str | None = None
    """The format of the audio files (``mp3``, ``wav``), None without audio."""

    @property
    def audio_label(self) -> str:
        """The audio engine in words (``SoundFont: ...``), or empty without audio."""
        if self.audio_engine is None:
            return ""
        kind = "SoundFont" if self.audio_engine == "soundfont" else "plain synthesis (fallback)"
        return f"{kind}: {self.audio_detail}"

    @property
    def audio_fact(self) -> str:
        """The audio engine and format in words, for a page's facts; empty without audio."""
        if self.audio_engine is None:
            return ""
        return f"{self.audio_label}, {AUDIO_FORMATS.get(self.audio_format or '', 'audio')}"


def publish(files: Sequence[Path], options: MediaOptions | None = None) -> Published:
    """Engrave the ``.ly`` files and synthesise the ``.mid`` files among ``files``."""
    options = options or MediaOptions()
    if options.audio:
        check_audio_format(options.audio_format)  # before any work
    timings: dict[str, float] = {}
    made: list[Path] = []
    made_from: dict[Path, tuple[Path, ...]] = {}
    warnings: list[str] = []
    lys = [Path(f) for f in files if Path(f).suffix == ".ly"]
    midis = [Path(f) for f in files if Path(f).suffix == ".mid"]

    formats = list(options.formats)
    if options.report and "png" not in formats:
        formats.append("png")
    if options.render and lys and formats:
        start = time.perf_counter()
        rendered = render_files(lys, formats, jobs=options.jobs, timeout=options.timeout)
        timings["render"] = time.perf_counter() - start
        for ly, r in zip(lys, rendered, strict=True):
            made += r.files
            made_from[ly] = tuple(r.files)
            warnings += [f"{r.source.name}: {w}" for w in r.warnings]

    engine, detail = None, ""
    fallbacks: list[str] = []
    if options.audio and midis:
        start = time.perf_counter()
        waves = synthesize_files(
            midis, audio_format=options.audio_format, instrument=options.instrument
        )
        timings["synthesise"] = time.perf_counter() - start
        made += [w.path for w in waves]
        for midi, w in zip(midis, waves, strict=True):
            made_from[midi] = (w.path,)
            if w.engine != "soundfont":
                fallbacks.append(f"{w.path.name}: {w.detail}")
        engine = "sine" if any(w.engine == "sine" for w in waves) else "soundfont"
        detail = next((w.detail for w in waves if w.engine == engine), "")
    return Published(
        tuple(made),
        timings,
        None,
        engine,
        detail,
        tuple(warnings),
        made_from,
        tuple(fallbacks),
        options.audio_format if engine is not None else None,
    )
