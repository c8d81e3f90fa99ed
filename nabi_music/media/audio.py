"""MIDI to audio: 44.1 kHz MP3 (or WAV) played by a General MIDI SoundFont instrument.

The synthesiser is ``midirenderer`` (PyPI; a Rust SoundFont synthesiser in a
self-contained wheel, no system library) with the TimGM6mb General MIDI
SoundFont that ``pretty_midi`` ships. The melody's instrument is replaced by
the one asked for (piano by default), a short release is kept after the last
note so it rings out, the sound is resampled to 44.1 kHz and its peak set to
-1 dBFS. When no SoundFont synthesiser can load, :func:`synthesize_files`
falls back to pretty_midi's plain sine synthesis and says so in its result.

Two formats (:data:`AUDIO_FORMATS`): ``mp3`` (the default; mono, LAME's VBR quality 2,
about 95 kbit/s for a piano melody, which every browser plays) and ``wav`` (16-bit PCM,
as the synthesiser made it: stereo). MP3 is encoded by libsndfile's LAME encoder
through ``soundfile``, which loads only when an MP3 is written (``nabi --help`` starts
without libsndfile).
"""

from __future__ import annotations

import importlib.util
import io
import os
import shutil
import wave
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nabi_music.errors import InputError, RenderError
from nabi_music.fileio import atomic_write

SAMPLE_RATE = 44100
RELEASE_SECONDS = 1.0
"""Sound kept after the last note ends, so that it rings out instead of stopping dead."""
PEAK = 10 ** (-1 / 20)
"""Peak level of the written audio: -1 dBFS."""
AUDIO_FORMATS = {
    "mp3": "44.1 kHz mono MP3 (VBR, LAME quality 2)",
    "wav": "44.1 kHz 16-bit WAV",
}
"""The audio formats written, by name (the file's suffix), and what each holds."""
DEFAULT_AUDIO_FORMAT = "mp3"
MP3_QUALITY = 0.2
"""libsndfile's compression level of the MP3's variable bitrate: LAME's ``-V 2``. The
SoundFont's piano has almost nothing above 4 kHz; on 나비야 the decoded MP3 differs from
the WAV by 43 dB below the signal (-V 4: 39 dB, a quarter smaller; -V 0: 48 dB, a third
larger). Pre-echo on piano attacks is what lower qualities give away first."""
SOUNDFONT_ENGINE = "soundfont"
SINE_ENGINE = "sine"

INSTRUMENTS = {
    "piano": 0,
    "bright-piano": 1,
    "harpsichord": 6,
    "celesta": 8,
    "glockenspiel": 9,
    "music-box": 10,
    "vibraphone": 11,
    "marimba": 12,
    "xylophone": 13,
    "organ": 19,
    "accordion": 21,
    "harmonica": 22,
    "guitar": 24,
    "violin": 40,
    "viola": 41,
    "cello": 42,
    "harp": 46,
    "strings": 48,
    "choir": 52,
    "trumpet": 56,
    "horn": 60,
    "sax": 65,
    "oboe": 68,
    "clarinet": 71,
    "flute": 73,
    "recorder": 74,
    "ocarina": 79,
}
"""Short names for ``--instrument``; any General MIDI name or number 0-127 works too."""


@dataclass(frozen=True)
class Synthesized:
    """One audio file written: its path, length, and how it was made."""

    source: Path
    path: Path
    seconds: float
    engine: str
    """``soundfont`` or ``sine`` (the fallback)."""
    detail: str
    """The SoundFont and instrument, or why the fallback was used."""


def instrument_program(name: str | int) -> int:
    """The General MIDI program (0-127) of ``name``: a short name (``piano``,
    ``violin``, ``flute`` ...), a General MIDI name (``Acoustic Grand Piano``),
    or a number."""
    text = str(name).strip()
    if text.isdigit():
        program = int(text)
        if 0 <= program <= 127:
            return program
    key = text.lower().replace(" ", "-").replace("_", "-")
    if key in INSTRUMENTS:
        return INSTRUMENTS[key]
    import pretty_midi

    for program in range(128):
        if pretty_midi.program_to_instrument_name(program).lower() == text.lower():
            return program
    raise InputError(
        f"unknown instrument {text!r}: expected a General MIDI program number 0-127, "
        f"a General MIDI name such as 'Acoustic Grand Piano', or one of "
        f"{', '.join(INSTRUMENTS)}"
    )


def instrument_name(program: int) -> str:
    """The General MIDI name of ``program`` (``Acoustic Grand Piano`` for 0)."""
    import pretty_midi

    return str(pretty_midi.program_to_instrument_name(program))


def default_soundfont() -> Path | None:
    """pretty_midi's TimGM6mb General MIDI SoundFont, when installed."""
    spec = importlib.util.find_spec("pretty_midi")
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        path = Path(location) / "TimGM6mb.sf2"
        if path.is_file():
            return path
    return None


def check_audio_format(name: str) -> str:
    """``name`` if it is an audio format nabi_music writes (``mp3``, ``wav``); else an
    :class:`InputError`."""
    if name not in AUDIO_FORMATS:
        raise InputError(f"unknown audio format {name!r}: expected {' or '.join(AUDIO_FORMATS)}")
    return name


def synthesize_files(
    midis: Sequence[str | os.PathLike[str]],
    outputs: Sequence[str | os.PathLike[str]] | None = None,
    *,
    audio_format: str | None = None,
    instrument: str | int = "piano",
    soundfont: str | os.PathLike[str] | None = None,
    release: float = RELEASE_SECONDS,
) -> list[Synthesized]:
    """Synthesise each MIDI file to an audio file: ``outputs``, whose suffixes (``.mp3``,
    ``.wav``) name their formats, or by default the MIDI's path with the suffix of
    ``audio_format`` (``mp3`` unless given).

    The SoundFont is loaded once for all files. Raises :class:`InputError` for an
    unknown instrument or format, or a MIDI file that cannot be read, before any
    file is written.
    """
    program = instrument_program(instrument)
    if audio_format is not None:
        check_audio_format(audio_format)
    allowed = [audio_format] if audio_format else list(AUDIO_FORMATS)
    sources = [Path(m) for m in midis]
    if outputs is None:
        suffix = "." + (audio_format or DEFAULT_AUDIO_FORMAT)
        targets = [s.with_suffix(suffix) for s in sources]
    else:
        targets = [Path(o) for o in outputs]
    if len(targets) != len(sources):
        raise InputError(f"{len(sources)} MIDI files but {len(targets)} audio paths")
    for target in targets:
        kind = target.suffix.lstrip(".").lower()
        if kind not in allowed:
            raise InputError(
                f"{target}: cannot write audio as {target.suffix or 'a file without suffix'}; "
                f"expected {' or '.join('.' + f for f in allowed)}"
            )
    engine = _SoundFontEngine.load(soundfont)
    results = []
    done: dict[tuple[bytes, str], Synthesized] = {}  # the same MIDI is synthesised once
    for src, dest in zip(sources, targets, strict=True):
        try:
            midi_bytes = src.read_bytes()
        except OSError as err:
            raise InputError(f"cannot read the MIDI file {src}: {err}") from err
        midi = _prepare_midi(midi_bytes, program, release, where=str(src))
        kind = dest.suffix.lstrip(".").lower()
        same = done.get((midi, kind))
        if same is not None:
            with atomic_write(dest) as tmp:
                shutil.copyfile(same.path, tmp)
            results.append(Synthesized(src, dest, same.seconds, same.engine, same.detail))
            continue
        samples, detail, engine_kind = None, "", SINE_ENGINE
        if isinstance(engine, _SoundFontEngine):
            try:
                samples = engine.render(midi)
                detail = f"{engine.name}, {instrument_name(program)}"
                engine_kind = SOUNDFONT_ENGINE
            except RenderError as err:
                detail = f"plain sine synthesis: the SoundFont synthesiser failed ({err})"
        else:
            detail = f"plain sine synthesis: {engine}"
        if samples is None:
            samples = _sine(midi, release)
        if kind == "mp3":
            _write_mp3(dest, _normalise(samples.mean(axis=1, keepdims=True)))
        else:
            _write_wav(dest, _normalise(samples))
        results.append(Synthesized(src, dest, len(samples) / SAMPLE_RATE, engine_kind, detail))
        done[(midi, kind)] = results[-1]
    return results


def synthesize(
    midi: str | os.PathLike[str],
    output: str | os.PathLike[str] | None = None,
    *,
    audio_format: str | None = None,
    instrument: str | int = "piano",
    soundfont: str | os.PathLike[str] | None = None,
    release: float = RELEASE_SECONDS,
) -> Synthesized:
    """:func:`synthesize_files` for one file."""
    return synthesize_files(
        [midi],
        None if output is None else [output],
        audio_format=audio_format,
        instrument=instrument,
        soundfont=soundfont,
        release=release,
    )[0]


# --- the pieces -------------------------------------------------------------------


class _SoundFontEngine:
    """midirenderer with one SoundFont's bytes."""

    def __init__(self, module: Any, data: bytes, name: str) -> None:
        self.module = module
        self.data = data
        self.name = name

    @classmethod
    def load(cls, soundfont: str | os.PathLike[str] | None) -> _SoundFontEngine | str:
        """The engine, or the reason (text) why there is none."""
        path = Path(soundfont) if soundfont is not None else default_soundfont()
        if path is None:
            return "no SoundFont found (pretty_midi's TimGM6mb.sf2 is missing)"
        try:
            data = path.read_bytes()
        except OSError as err:
            if soundfont is not None:
                raise InputError(f"cannot read the SoundFont {path}: {err}") from err
            return f"cannot read the SoundFont {path}: {err}"
        try:
            import midirenderer
        except ImportError as err:
            return f"the SoundFont synthesiser 'midirenderer' cannot load ({err})"
        return cls(midirenderer, data, f"{path.name} SoundFont (midirenderer)")

    def render(self, midi: bytes) -> Any:
        try:
            wav_bytes = self.module.render_wave_from(self.data, midi)
        except BaseException as err:  # pyo3 panics derive from BaseException
            if isinstance(err, (KeyboardInterrupt, SystemExit)):
                raise
            raise RenderError(f"{type(err).__name__}: {err}") from err
        with wave.open(io.BytesIO(wav_bytes)) as w:
            rate, channels, width = w.getframerate(), w.getnchannels(), w.getsampwidth()
            frames = w.readframes(w.getnframes())
        if width != 2:
            raise RenderError(f"unexpected {8 * width}-bit output from the synthesiser")
        samples = np.frombuffer(frames, dtype="<i2").reshape(-1, channels) / 32768.0
        return resample(samples, rate, SAMPLE_RATE)


def resample(samples: Any, rate: int, target: int) -> Any:
    """``samples`` (frames x channels) from ``rate`` to ``target`` Hz, band-limited (FFT)."""
    x = np.asarray(samples, dtype=np.float64)
    if rate == target or len(x) == 0:
        return x
    n = len(x)
    padded = -(-n // rate) * rate  # whole seconds: both lengths are then whole numbers
    m = padded // rate * target
    spectrum = np.fft.rfft(x, n=padded, axis=0)
    keep = min(spectrum.shape[0], m // 2 + 1)
    out = np.zeros((m // 2 + 1, *x.shape[1:]), dtype=spectrum.dtype)
    out[:keep] = spectrum[:keep]
    y = np.fft.irfft(out, n=m, axis=0) * (m / padded)
    return y[: round(n * target / rate)]


def _prepare_midi(data: bytes, program: int, release: float, where: str) -> bytes:
    """The MIDI file with ``program`` on every melodic channel and ``release``
    seconds of silence after its last event."""
    import mido

    try:
        mid = mido.MidiFile(file=io.BytesIO(data))
    except Exception as err:  # mido raises OSError, EOFError, ValueError, KeyError ...
        raise InputError(f"{where}: not a readable MIDI file ({err})") from err
    used = set()
    tempo = 500_000
    for track in mid.tracks:
        for msg in track:
            if msg.type == "program_change" and msg.channel != 9:
                msg.program = program
            elif msg.type == "note_on" and msg.channel != 9:
                used.add(msg.channel)
            elif msg.type == "set_tempo":
                tempo = msg.tempo
    target = mid.tracks[-1] if mid.tracks else mid.add_track()
    for channel in sorted(used):
        target.insert(0, mido.Message("program_change", channel=channel, program=program, time=0))
    end = None
    if target and target[-1].type == "end_of_track":
        end = target.pop()
    ticks = round(release * 1_000_000 / tempo * mid.ticks_per_beat)
    target.append(mido.MetaMessage("marker", text="release", time=(end.time if end else 0) + ticks))
    target.append(mido.MetaMessage("end_of_track", time=0))
    buffer = io.BytesIO()
    mid.save(file=buffer)
    return buffer.getvalue()


def _sine(midi: bytes, release: float) -> Any:
    import pretty_midi

    pm = pretty_midi.PrettyMIDI(io.BytesIO(midi))
    mono = pm.synthesize(fs=SAMPLE_RATE)
    total = round((pm.get_end_time() + release) * SAMPLE_RATE)
    out = np.zeros(max(total, len(mono)))
    out[: len(mono)] = mono
    return out[:, None]


def _normalise(samples: Any) -> Any:
    peak = float(np.max(np.abs(samples))) if len(samples) else 0.0
    return samples * (PEAK / peak) if peak > 0 else samples


def _write_mp3(path: Path, samples: Any) -> None:
    """``samples`` (frames x 1) as a mono VBR MP3 (:data:`MP3_QUALITY`), by libsndfile."""
    import soundfile

    try:
        with atomic_write(path) as tmp:
            soundfile.write(
                str(tmp),
                np.asarray(samples, dtype=np.float32),
                SAMPLE_RATE,
                format="MP3",
                subtype="MPEG_LAYER_III",
                bitrate_mode="VARIABLE",
                compression_level=MP3_QUALITY,
            )
    except (RuntimeError, ValueError) as err:  # no MP3 encoder in this libsndfile
        raise RenderError(
            f"cannot encode {path.name} as MP3 ({err}); write WAV instead "
            "(audio_format='wav', --audio-format wav)"
        ) from err


def _write_wav(path: Path, samples: Any) -> None:
    data = np.clip(np.round(samples * 32767.0), -32768, 32767).astype("<i2")
    with atomic_write(path) as tmp, wave.open(str(tmp), "wb") as w:
        w.setnchannels(data.shape[1])
        w.setsampwidth(2)
        w.setframerate(SAMPLE_RATE)
        w.writeframes(data.tobytes())
