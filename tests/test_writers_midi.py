"""MIDI writer: a melody written with write_midi and read back with pretty_midi and mido."""

from __future__ import annotations

import os
from pathlib import Path

import mido
import pretty_midi
import pytest

from nabi_music.errors import InputError
from nabi_music.music.keys import parse_key
from nabi_music.music.notes import Melody
from nabi_music.writers import write, write_midi

CODES = "g8 e8 e4 r4 fis'4. c4~ c8"


def _melody(**meta: object) -> Melody:
    base: dict[str, object] = {
        "title": "t",
        "tempo": 100,
        "program": 40,
        "time_signature": "2/4",
        "key": "G major",
    }
    base.update(meta)
    return Melody.from_codes(CODES, **base)


def _notes(pm: pretty_midi.PrettyMIDI) -> list[tuple[int, float, float]]:
    (instrument,) = pm.instruments
    return [(n.pitch, n.start, n.end) for n in instrument.notes]


def test_write_midi_round_trips_through_pretty_midi(tmp_path: Path) -> None:
    path = write_midi(_melody(), tmp_path / "t.mid")
    assert path == tmp_path / "t.mid"
    pm = pretty_midi.PrettyMIDI(str(path))

    # One quarter lasts 0.6 s at 100 BPM. The rest (1.2-1.8 s) is a gap and
    # c4~ c8 sounds as one note of 0.9 s.
    expected = [
        (67, 0.0, 0.3),
        (64, 0.3, 0.6),
        (64, 0.6, 1.2),
        (78, 1.8, 2.7),
        (60, 2.7, 3.6),
    ]
    got = _notes(pm)
    assert [p for p, _, _ in got] == [p for p, _, _ in expected]
    for (_, start, end), (_, want_start, want_end) in zip(got, expected, strict=True):
        assert start == pytest.approx(want_start, abs=1e-6)
        assert end == pytest.approx(want_end, abs=1e-6)

    (instrument,) = pm.instruments
    assert instrument.program == 40
    assert not instrument.is_drum
    assert {n.velocity for n in instrument.notes} == {90}
    times, tempi = pm.get_tempo_changes()
    assert list(times) == [0.0]
    assert tempi[0] == pytest.approx(100.0)
    assert [(ts.numerator, ts.denominator, ts.time) for ts in pm.time_signature_changes] == [
        (2, 4, 0.0)
    ]
    assert [(ks.key_number, ks.time) for ks in pm.key_signature_changes] == [(7, 0.0)]


def test_write_midi_meta_events_as_mido_sees_them(tmp_path: Path) -> None:
    mid = mido.MidiFile(str(write_midi(_melody(), tmp_path / "t.mid")))
    metas = {m.type: m for track in mid.tracks for m in track if m.is_meta}
    assert metas["set_tempo"].tempo == 600_000
    assert (metas["time_signature"].numerator, metas["time_signature"].denominator) == (2, 4)
    assert metas["key_signature"].key == "G"
    programs = [m.program for track in mid.tracks for m in track if m.type == "program_change"]
    assert programs == [40]


def test_write_midi_defaults_tempo_120_and_piano(tmp_path: Path) -> None:
    melody = _melody(tempo=None, program=None, time_signature=None, key=None)
    pm = pretty_midi.PrettyMIDI(str(write_midi(melody, tmp_path / "d.mid")))
    assert pm.get_tempo_changes()[1][0] == pytest.approx(120.0)
    assert pm.instruments[0].program == 0
    assert pm.key_signature_changes == []
    # At 120 BPM a quarter lasts 0.5 s: the tied c starts after 4.5 quarters.
    pitch, start, end = _notes(pm)[-1]
    assert (pitch, start, end) == (60, pytest.approx(2.25), pytest.approx(3.0))


def test_ties_join_only_notes_that_sound_the_same_key(tmp_path: Path) -> None:
    melody = Melody.from_codes("cis4~ des4 d4~ e4 e8*2/3 e8*2/3 e8*2/3", tempo=60)
    pm = pretty_midi.PrettyMIDI(str(write_midi(melody, tmp_path / "ties.mid")))
    third = 1 / 3
    assert _notes(pm) == [
        (61, 0.0, 2.0),
        (62, 2.0, 3.0),
        (64, 3.0, 4.0),
        (64, 4.0, pytest.approx(4 + third)),
        (64, pytest.approx(4 + third), pytest.approx(4 + 2 * third)),
        (64, pytest.approx(4 + 2 * third), pytest.approx(5.0)),
    ]


def test_korean_title_does_not_break_the_file(tmp_path: Path) -> None:
    melody = _melody(title="나비야")
    pm = pretty_midi.PrettyMIDI(str(write_midi(melody, tmp_path / "나비야.mid")))
    assert len(_notes(pm)) == 5


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("C major", 0),
        ("a minor", 21),
        ("F# major", 6),
        ("Bb major", 10),
        ("B- major", 10),
        ("bes minor", 22),
        ("Es major", 3),
        ("e", 16),
        ("G", 7),
    ],
)
def test_key_names_map_to_midi_key_numbers(text: str, number: int) -> None:
    assert parse_key(text).midi_key_number == number


@pytest.mark.parametrize(
    "meta",
    [{"key": "H dorian"}, {"time_signature": "2/3"}, {"tempo": 0}, {"program": 128}],
)
def test_bad_meta_is_an_input_error_and_writes_nothing(tmp_path: Path, meta: dict) -> None:
    with pytest.raises(InputError):
        write_midi(_melody(**meta), tmp_path / "bad.mid")
    assert os.listdir(tmp_path) == []


def test_write_picks_the_midi_writer_from_the_extension(tmp_path: Path) -> None:
    path = write(_melody(), tmp_path / "t.MIDI")
    assert len(_notes(pretty_midi.PrettyMIDI(str(path)))) == 5
    with pytest.raises(InputError, match="unknown extension"):
        write(_melody(), tmp_path / "t.wav")
