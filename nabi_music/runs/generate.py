"""Write what ``nabi generate`` composed: each melody as MIDI, LilyPond (engraved to
PDF/PNG), MusicXML and MP3 (or WAV), everything as ``generated.json``, and the report
page, which links every file and shows the command that repeats the run."""

from __future__ import annotations

import json
import os
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from nabi_music import writers
from nabi_music.errors import InputError
from nabi_music.fileio import atomic_write
from nabi_music.media.audio import AUDIO_FORMATS
from nabi_music.media.publish import MediaOptions, publish
from nabi_music.pages.generate import write_composition_page
from nabi_music.prediction.compose import AUTO_KEY, Composition
from nabi_music.writers import write
from nabi_music.writers.lilypond import bars_per_line
from nabi_music.writers.notation import Notation

FORMATS = ("mid", "ly", "pdf", "png", "musicxml", "mp3", "wav", "html")
"""``html``: the report page (``index.html``) showing the melodies and their statistics;
``mp3`` and ``wav``: the audio."""
DEFAULT_FORMATS = tuple(f for f in FORMATS if f != "wav")
"""Every format but WAV: the audio is MP3 unless WAV is asked for."""
DEFAULT_OUT = "outputs/generated"


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
    if any(f in AUDIO_FORMATS for f in wanted) and "mid" not in wanted:
        wanted.append("mid")  # the audio is synthesised from the MIDI file
    return wanted


def write_composition(
    composition: Composition,
    out_dir: str | os.PathLike[str],
    formats: Sequence[str] = DEFAULT_FORMATS,
    *,
    stem: str = "melody",
    instrument: str | int = "piano",
    notation: Notation | None = None,
    command: str | None = None,
) -> Written:
    """Write every melody (``<stem>_01.mid`` ...), ``generated.json`` and, with the
    ``html`` format, the report page ``index.html`` into ``out_dir``. The scores are
    engraved and the audio synthesised by :func:`nabi_music.media.publish.publish`.
    The scores are in the ``instrumental`` style (beams by the metre) unless
    ``notation`` says otherwise, every melody with the same number of bars a line.

    ``command``: the command line the run was given (``nabi generate`` passes it);
    without it ``generated.json`` and the page hold the equivalent command
    (:func:`generate_command`)."""
    notation = notation or Notation(style="instrumental")
    line_bars = bars_per_line([g.melody for g in composition.melodies], notation.style)
    form = composition.request.song_form
    if form is not None and form.phrase_bars <= line_bars:
        line_bars = form.phrase_bars  # a phrase a line

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
    audio = [f for f in AUDIO_FORMATS if f in wanted]
    medias = [
        publish(
            [*lys, *midis] if k == 0 else midis,
            MediaOptions(
                render=bool(engraved) and k == 0,
                formats=engraved,
                audio=bool(audio),
                audio_format=audio[k] if audio else "mp3",
                instrument=instrument,
                report=False,
            ),
        )
        for k in range(max(1, len(audio)))
    ]
    notes: list[str] = []
    audio_facts: list[str] = []
    for media in medias:
        for source in (*lys, *midis):
            for f in media.made_from.get(source, ()):
                files[_index_of(source)][f.suffix.lstrip(".")] = str(f)
                written.append(f)
        notes += [*media.warnings, *media.fallbacks]
        if media.audio_fact:
            audio_facts.append(media.audio_fact)
    started_from = "command line" if command is not None else "python"
    if command is None:
        command = generate_command(
            composition, formats, instrument=instrument, out_dir=out_dir, notation=notation
        )
    data = composition.to_dict(files)
    data["skipped_formats"] = skipped
    data["command"] = command
    data["started_from"] = started_from
    json_path = out / JSON_NAME
    with atomic_write(json_path) as tmp:
        tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    written.append(json_path)
    if "html" in wanted:
        facts = [("audio", "; ".join(audio_facts))] if audio_facts else []
        note = (
            "The command that made this run, as it was given (also in generated.json): run "
            "it in the same folder to compose the same melodies."
            if started_from == "command line"
            else "This run was started from Python (nabi_music.runs.generate."
            "write_composition), not by a command; this nabi command composes the same "
            "melodies, where BUNDLE is the model's bundle file (a .nabi of preset "
            f"{composition.preset})."
        )
        written.append(
            write_composition_page(
                composition,
                out,
                files,
                facts,
                command=command,
                command_note=note,
                written=written,
            )
        )
    return Written(tuple(written), tuple(skipped), tuple(dict.fromkeys(notes)))


def generate_command(
    composition: Composition,
    formats: Sequence[str] = DEFAULT_FORMATS,
    *,
    instrument: str | int = "piano",
    out_dir: str | os.PathLike[str] = DEFAULT_OUT,
    bundle: str = "BUNDLE",
    notation: Notation | None = None,
) -> str:
    """The ``nabi generate`` command (shell-quoted) that composes ``composition`` again
    from ``bundle``. Options at their defaults are left out, except the seed."""
    request = composition.request
    args = ["nabi", "generate", bundle]
    primers = {g.primer.origin: g.primer for g in composition.melodies}
    if len(primers) == 1:
        primer = next(iter(primers.values()))
        if primer.score is not None:
            args += ["--primer", primer.origin]
        elif primer.origin == "codes":
            args += ["--primer", " ".join(primer.codes)]
    if request.length is not None:
        args += ["--length", str(request.length)]
    if request.bars is not None:
        args += ["--bars", str(request.bars)]
    if request.sampling.temperature != 1.0:
        args += ["--temperature", f"{request.sampling.temperature:g}"]
    if request.sampling.top_k:
        args += ["--top-k", str(request.sampling.top_k)]
    args += ["--seed", str(request.seed)]
    if request.count != 1:
        args += ["--count", str(request.count)]
    if request.key == AUTO_KEY:
        args.append("--key")
    elif request.key:
        args += ["--key", request.key]
    if request.pitch_range:
        args += ["--range", request.pitch_range]
    if request.whole_bars and request.bars is None:
        args.append("--whole-bars")
    args += [
        flag
        for flag, on in (("--ties", request.ties), ("--end-on-tonic", request.end_on_tonic))
        if on
    ]
    if request.time_signature:
        args += ["--time-signature", request.time_signature]
    form = request.song_form
    if form is not None:
        args += ["--form", form.letters]
        if request.phrase_bars is not None:
            args += ["--phrase-bars", str(request.phrase_bars)]
        if request.vary is not None:
            args += ["--vary", f"{request.vary:g}"]
    if request.no_syncopation:
        args.append("--no-syncopation")
    named = list(dict.fromkeys(f.strip().lower().lstrip(".") for f in formats if f.strip()))
    if set(named) != set(DEFAULT_FORMATS):
        args += ["--formats", ",".join(named)]
    if str(instrument) != "piano":
        args += ["--instrument", str(instrument)]
    if notation is not None and notation.style != "instrumental":
        args += ["--notation", notation.style]
    if os.fspath(out_dir) != DEFAULT_OUT:
        args += ["--out", os.fspath(out_dir)]
    return shlex.join(args)


def _index_of(path: Path) -> int:
    return int(path.stem.rsplit("_", 1)[1])
