"""The MIDI reader: Standard MIDI Files through mido, in time linear in length."""

from __future__ import annotations

from pathlib import Path

import mido
import pytest
from helpers import assert_reads_or_refuses
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nabi_music.errors import NabiWarning
from nabi_music.readers import read


def _write_midi(path: Path, notes, *, tempo=None, program=None, lead=0, type1=True) -> None:
    """A MIDI file: a conductor track (tempo, 3/4) and, for type 1, one melody track."""
    mid = mido.MidiFile(type=1 if type1 else 0, ticks_per_beat=480)
    conductor = mido.MidiTrack()
    mid.tracks.append(conductor)
    if tempo is not None:
        conductor.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(tempo)))
    conductor.append(mido.MetaMessage("time_signature", numerator=3, denominator=4))
    track = conductor
    if type1:
        track = mido.MidiTrack()
        mid.tracks.append(track)
    if program is not None:
        track.append(mido.Message("program_change", program=program, time=0))
    wait = lead
    for pitches, ticks in notes:
        for p in pitches:
            track.append(mido.Message("note_on", note=p, velocity=80, time=wait))
            wait = 0
        for i, p in enumerate(pitches):
            track.append(mido.Message("note_off", note=p, velocity=0, time=ticks if i == 0 else 0))
    mid.save(path)


def test_midi_file_gives_notes_tempo_metre_and_program(tmp_path):
    path = tmp_path / "tune.mid"
    # G4 quarter, two E4 eighths, F4 half tied over the bar line by music21 -> one f2
    _write_midi(path, [([67], 480), ([64], 240), ([64], 240), ([65], 960)], tempo=90, program=73)
    [melody] = read(path)
    assert melody.codes == ["g4", "e8", "e8", "f2"]  # music21's padding rest is dropped
    assert (melody.tempo, melody.time_signature, melody.program) == (90, "3/4", 73)
    assert melody.title == "tune"


def test_midi_leading_silence_is_a_rest_and_chords_give_their_top_note(tmp_path):
    path = tmp_path / "chords.midi"
    _write_midi(path, [([60, 64, 67], 480), ([62], 480)], lead=480, type1=False)
    with pytest.warns(NabiWarning, match="chord"):
        [melody] = read(path)
    assert melody.codes == ["r4", "g4", "d4"]
    assert (melody.tempo, melody.program) == (None, None)


def test_midi_keeps_32nd_notes_and_triplets(tmp_path):
    from nabi_music.music.notes import Melody
    from nabi_music.writers import write_midi

    melody = Melody.from_codes("c32 d32 e16 f8 g8*2/3 a8*2/3 b8*2/3 c'4 r4 d'2")
    [back] = read(write_midi(melody, tmp_path / "fine.mid"))
    assert back.codes == melody.codes


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=st.binary(max_size=200), valid_header=st.booleans())
def test_any_midi_bytes_read_or_raise_a_nabi_error(tmp_path, body, valid_header):
    head = b"MThd\x00\x00\x00\x06\x00\x01\x00\x01\x01\xe0MTrk" if valid_header else b""
    path = tmp_path / "any.mid"
    path.write_bytes(head + len(body).to_bytes(4, "big") + body if head else body or b"x")
    assert_reads_or_refuses(path)


def test_midi_drums_are_not_melody_and_flat_keys_spell_flats(tmp_path):
    mid = mido.MidiFile(type=0, ticks_per_beat=480)
    track = mido.MidiTrack()
    mid.tracks.append(track)
    track.append(mido.MetaMessage("key_signature", key="Bb"))
    for channel, note in ((9, 36), (0, 70), (0, 63)):
        track.append(mido.Message("note_on", channel=channel, note=note, velocity=80, time=0))
        track.append(mido.Message("note_off", channel=channel, note=note, velocity=0, time=480))
    path = tmp_path / "flats.mid"
    mid.save(path)
    [melody] = read(path)
    assert melody.codes == ["r4", "bes4", "ees4"]  # the drum's beat is silence here
    assert melody.key == "Bb major"
