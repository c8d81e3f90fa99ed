"""Write what ``nabi generate`` composed: each melody as MIDI, LilyPond (engraved to
PDF/PNG), MusicXML and WAV, everything as ``generated.json``, and the report page."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from nabi_music import writers
from nabi_music.errors import InputError
from nabi_music.fileio import atomic_write
from nabi_music.media.publish import MediaOptions, publish
from nabi_music.pages.generate import write_composition_page
from nabi_music.prediction.compose import Composition
from nabi_music.writers import write
from nabi_music.writers.lilypond import bars_per_line
from nabi_music.writers.notation import Notation

FORMATS = ("mid", "ly", "pdf", "png", "musicxml", "wav", "html")
"""``html``: the report page (``index.html``) showing the melodies and their statistics."""


JSON_NAME = "generated.json"


@dataclass(frozen=True)
class Written:
    """The files :func:`write_composition` made, and the formats it had to leave out."""

    files: tuple[Path, ...]
    skipped: tuple[str, ...]
    notes: tuple[str, ...] = ()


def available_formats() -> dict[str, str | None]:
    """Each format and why it cannot be written here (None: it can)."""
    missing: dict[str, str | None] = dict.fromkeys(FORMATS)
    if ".musicxml" not in writers.WRITERS:
        missing["musicxml"] = "no MusicXML writer (nabi_music.writers.musicxml) is installed"
    return missing


def check_formats(formats: Sequence[str]) -> list[str]:
    wanted = list(dict.fromkeys(f.strip().lower().lstrip(".") for f in formats if f.strip()))
    unknown = [f for f in wanted if f not in FORMATS]
    if unknown or not wanted:
        raise InputError(
            f"cannot write {', '.join(unknown) or 'no format'}: "
            f"expected some of {', '.join(FORMATS)}"
        )
    if any(f in ("pdf", "png") for f in wanted) and "ly" not in wanted:
        wanted.append("ly")  # PDF and PNG are engraved from the .ly file
    if "wav" in wanted and "mid" not in wanted:
        wanted.append("mid")  # WAV is synthesised from the MIDI file
    return wanted


def write_composition(
    composition: Composition,
    out_dir: str | os.PathLike[str],
    formats: Sequence[str] = FORMATS,
    *,
    stem: str = "melody",
    instrument: str | int = "piano",
    notation: Notation | None = None,
) -> Written:
    """Write every melody (``<stem>_01.mid`` ...), ``generated.json`` and, with the
    ``html`` format, the report page ``index.html`` into ``out_dir``. The scores are
    engraved and the audio synthesised by :func:`nabi_music.media.publish.publish`.
    The scores are in the ``instrumental`` style (beams by the metre) unless
    ``notation`` says otherwise, every melody with the same number of bars a line."""
    notation = notation or Notation(style="instrumental")
    line_bars = bars_per_line([g.melody for g in composition.melodies], notation.style)

    wanted = check_formats(formats)
    why = available_formats()
    skipped = [f"{f}: {why[f]}" for f in wanted if why.get(f)]
    wanted = [f for f in wanted if not why.get(f)]
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files: dict[int, dict[str, str]] = {}
    written: list[Path] = []
    lys: list[Path] = []
    midis: list[Path] = []
    sampling = composition.request.sampling
    setting = f"{composition.preset} · seed {composition.request.seed} · temperature " + (
        f"{sampling.temperature:g}" + (f" · top-k {sampling.top_k}" if sampling.top_k else "")
    )
    for g in composition.melodies:
        name = f"{stem}_{g.index:02d}"
        made: dict[str, str] = {}
        if "mid" in wanted:
            path = write(g.melody, out / f"{name}.mid")
            midis.append(path)
            made["mid"] = str(path)
        if "ly" in wanted:
            path = write(
                g.melody,
                out / f"{name}.ly",
                subtitle=setting,
                subsubtitle="; ".join(composition.constraints) or None,
                primer=g.primer_notes,
                style=notation.style,
                line_bars=line_bars,
            )
            lys.append(path)
            made["ly"] = str(path)
        if "musicxml" in wanted:
            path = write(
                g.melody, out / f"{name}.musicxml", primer=g.primer_notes, style=notation.style
            )
            made["musicxml"] = str(path)
        files[g.index] = made
        written.extend(Path(p) for p in made.values())
    engraved = tuple(f for f in ("pdf", "png") if f in wanted)
    media = publish(
        [*lys, *midis],
        MediaOptions(
            render=bool(engraved),
            formats=engraved,
            audio="wav" in wanted,
            instrument=instrument,
            report=False,
        ),
    )
    for source in (*lys, *midis):
        for f in media.made_from.get(source, ()):
            files[_index_of(source)][f.suffix.lstrip(".")] = str(f)
            written.append(f)
    notes = [*media.warnings, *media.fallbacks]
    engine_label = media.audio_label
    data = composition.to_dict(files)
    data["skipped_formats"] = skipped
    json_path = out / JSON_NAME
    with atomic_write(json_path) as tmp:
        tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    written.append(json_path)
    if "html" in wanted:
        facts = [("audio", f"{engine_label}, 44.1 kHz WAV")] if engine_label else []
        written.append(write_composition_page(composition, out, files, facts))
    return Written(tuple(written), tuple(skipped), tuple(dict.fromkeys(notes)))


def _index_of(path: Path) -> int:
    return int(path.stem.rsplit("_", 1)[1])
