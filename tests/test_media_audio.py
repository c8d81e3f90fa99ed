"""MIDI to audio with the real SoundFont synthesiser: rate, length, loudness, instrument,
and the MP3 every page plays (mono, close to the WAV, a fifteenth of its size)."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest
import soundfile
from helpers import NABIYA

from nabi_music.errors import InputError
from nabi_music.media import audio
from nabi_music.media.audio import (
    PEAK,
    SAMPLE_RATE,
    Synthesized,
    instrument_program,
    resample,
    synthesize,
    synthesize_files,
)
from nabi_music.music.notes import Melody
from nabi_music.writers.midi import write_midi

TEMPO = 100
MELODY_SECONDS = 32 * 60 / TEMPO  # 54 notes, 32 quarters


def read_wav(path: Path) -> tuple[int, np.ndarray]:
    with wave.open(str(path)) as w:
        rate, channels = w.getframerate(), w.getnchannels()
        assert w.getsampwidth() == 2
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    return rate, data.reshape(-1, channels).astype(float) / 32768.0


@pytest.fixture(scope="module")
def midi(tmp_path_factory: pytest.TempPathFactory) -> Path:
    melody = Melody.from_codes(NABIYA, title="나비야", time_signature="2/4", tempo=TEMPO)
    return write_midi(melody, tmp_path_factory.mktemp("audio") / "nabiya.mid")


@pytest.fixture(scope="module")
def wav(midi: Path) -> Synthesized:
    return synthesize(midi, audio_format="wav")


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(x**2))) if len(x) else 0.0


def test_soundfont_audio_is_44k1_loud_and_lasts_the_melody_plus_release(
    midi: Path, wav: Synthesized
) -> None:
    made = wav
    assert made.engine == "soundfont"
    assert "TimGM6mb" in made.detail and "Acoustic Grand Piano" in made.detail
    assert made.path == midi.with_suffix(".wav")
    rate, x = read_wav(made.path)
    assert rate == SAMPLE_RATE == 44100
    seconds = len(x) / rate
    assert seconds == pytest.approx(made.seconds)
    assert MELODY_SECONDS + 0.5 <= seconds <= MELODY_SECONDS + 1.5
    assert np.abs(x).max() == pytest.approx(10 ** (-1 / 20), abs=0.01)  # peak -1 dBFS
    # sound all through the melody: every second is far from silent
    for second in range(int(MELODY_SECONDS)):
        assert rms(x[second * rate : (second + 1) * rate]) > 0.01, second
    # the release rings out and fades: the last note is quieter at the end than at its onset
    tail = x[int(MELODY_SECONDS * rate) :]
    assert 0 < rms(tail[-rate // 10 :]) < rms(tail[: rate // 10])


def test_the_first_note_is_heard_at_its_pitch(midi: Path) -> None:
    _, x = read_wav(synthesize(midi, midi.with_name("pitch.wav")).path)
    first = x[int(0.05 * SAMPLE_RATE) : int(0.25 * SAMPLE_RATE)].mean(axis=1)  # g8 = G4
    spectrum = np.abs(np.fft.rfft(first * np.hanning(len(first))))
    peak = np.fft.rfftfreq(len(first), 1 / SAMPLE_RATE)[spectrum.argmax()]
    assert min(abs(peak - 392.0 * k) for k in (1, 2, 3)) < 12  # G4 or a harmonic of it


def test_instruments_sound_different(midi: Path, tmp_path: Path) -> None:
    (piano,) = synthesize_files([midi], [tmp_path / "piano.wav"], instrument="piano")
    violin = synthesize(midi, tmp_path / "violin.wav", instrument="violin")
    assert "Violin" in violin.detail
    _, a = read_wav(piano.path)
    _, b = read_wav(violin.path)
    n = min(len(a), len(b))
    assert rms(a[:n] - b[:n]) > 0.05


def test_instrument_names(tmp_path: Path) -> None:
    assert instrument_program("piano") == 0
    assert instrument_program("Flute") == 73
    assert instrument_program("Acoustic Grand Piano") == 0
    assert instrument_program("40") == 40
    assert instrument_program(42) == 42
    with pytest.raises(InputError, match="unknown instrument 'kazoo'"):
        instrument_program("kazoo")
    with pytest.raises(InputError, match="unknown instrument '128'"):
        instrument_program(128)


def test_falls_back_to_plain_synthesis_and_says_so(
    midi: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audio, "default_soundfont", lambda: None)
    made = synthesize(midi, tmp_path / "sine.wav")
    assert made.engine == "sine"
    assert "plain sine synthesis" in made.detail and "no SoundFont" in made.detail
    rate, x = read_wav(made.path)
    assert rate == SAMPLE_RATE
    assert MELODY_SECONDS + 0.5 <= len(x) / rate <= MELODY_SECONDS + 1.5
    assert rms(x) > 0.01


def test_unreadable_midi_is_an_input_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.mid"
    bad.write_bytes(b"not midi")
    with pytest.raises(InputError, match=r"bad\.mid: not a readable MIDI file"):
        synthesize(bad)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.mid"]


def test_resample_keeps_a_tone_and_the_length() -> None:
    t = np.arange(48000) / 48000
    tone = np.sin(2 * np.pi * 440 * t)[:, None]
    out = resample(tone, 48000, 44100)
    assert out.shape == (44100, 1)
    expected = np.sin(2 * np.pi * 440 * np.arange(44100) / 44100)
    assert np.abs(out[1000:-1000, 0] - expected[1000:-1000]).max() < 1e-3


def test_the_same_melody_is_synthesised_once_and_written_twice(midi: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.mid"
    copy.write_bytes(midi.read_bytes())
    first, second = synthesize_files([midi, copy], [tmp_path / "a.wav", tmp_path / "b.wav"])
    assert (tmp_path / "a.wav").read_bytes() == (tmp_path / "b.wav").read_bytes()
    assert second.seconds == first.seconds and second.source == copy


def test_mp3_by_default_mono_as_long_as_the_wav_and_close_to_it(
    midi: Path, wav: Synthesized
) -> None:
    made = synthesize(midi)
    assert made.path == midi.with_suffix(".mp3") and made.seconds == wav.seconds
    x, rate = soundfile.read(made.path, dtype="float64")
    assert rate == SAMPLE_RATE and x.ndim == 1  # mono
    _, stereo = read_wav(wav.path)
    ref = stereo.mean(axis=1)
    assert len(x) == len(ref)  # the LAME header trims the encoder's delay and padding
    gain = float(np.dot(x, ref) / np.dot(ref, ref))
    snr = 10 * np.log10(np.sum((gain * ref) ** 2) / np.sum((x - gain * ref) ** 2))
    assert snr > 38, snr  # LAME -V 2 on the SoundFont piano: 43 dB
    assert np.abs(x).max() == pytest.approx(PEAK, abs=0.03)
    kbits = made.path.stat().st_size * 8 / made.seconds / 1000
    assert 60 < kbits < 130, kbits  # the WAV: 1411 kbit/s
    assert wav.path.stat().st_size > 12 * made.path.stat().st_size


def test_an_unknown_audio_format_is_refused_before_anything_is_written(
    midi: Path, tmp_path: Path
) -> None:
    with pytest.raises(
        InputError, match=r"x\.ogg: cannot write audio as \.ogg; expected \.mp3 or \.wav"
    ):
        synthesize(midi, tmp_path / "x.ogg")
    with pytest.raises(InputError, match="unknown audio format 'flac': expected mp3 or wav"):
        synthesize(midi, audio_format="flac")
    with pytest.raises(InputError, match=r"expected \.wav"):
        synthesize(midi, tmp_path / "x.mp3", audio_format="wav")
    assert list(tmp_path.iterdir()) == []
