"""Upbeats (``Melody.pickup``): every reader gives the length of an opening short bar as
the file writes it, and None when the first bar is full; the MIDI writer keeps it."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
import zipfile
from fractions import Fraction
from pathlib import Path

import mido
import pytest
from helpers import DATA, NABIYA_LY, SCORES, read_quietly

from nabi_music import backend
from nabi_music.music.notes import Melody
from nabi_music.readers import read
from nabi_music.writers.midi import write_midi


def _corpus_file(name: str) -> Path:
    return Path(str(backend.music21("corpus").getWork(name)))


# --- LilyPond ----------------------------------------------------------------------


def _partial(text: str) -> Fraction:
    """The length of the file's ``\\partial N`` (dots allowed), in quarters."""
    found = re.search(r"\\partial\s+(\d+)(\.*)", text)
    assert found is not None
    base = Fraction(4, int(found.group(1)))
    return base * (2 - Fraction(1, 2 ** len(found.group(2))))


def test_lilypond_partial_is_the_pickup():
    path = DATA / "upbeat.ly"
    [melody] = read(path)
    assert melody.pickup == _partial(path.read_text(encoding="utf-8"))
    assert melody.pickup == melody.notes[0].duration  # the upbeat's one note


@pytest.mark.parametrize(
    ("music", "pickup"),
    [
        (r"\time 6/8 \partial 4. g8 a b | c4. d |", Fraction(3, 2)),
        (r"\time 2/4 \partial 2 g4 a | c2 |", None),  # a whole bar: no short bar
        (r"\time 2/4 g4 a | \partial 8 c8 | d2 |", None),  # not at the start
        (r"\partial 4 g4 | c1 |", Fraction(1)),  # 4/4 when no \time is written
    ],
)
def test_lilypond_pickup_only_for_an_opening_short_bar(tmp_path, music, pickup):
    path = tmp_path / "t.ly"
    path.write_text(f"\\relative c'' {{ {music} }}\n", encoding="utf-8")
    [melody] = read_quietly(path)
    assert melody.pickup == pickup
    if pickup is not None:
        assert pickup == _partial(music)


def test_nabiya_starts_with_a_full_bar():
    text = NABIYA_LY.read_text(encoding="utf-8")
    assert "\\partial" not in text
    [melody] = read(NABIYA_LY)
    assert melody.pickup is None


# --- ABC ---------------------------------------------------------------------------

_NOTE = re.compile(r"[_^=]*[A-Ga-gz][,']*(\d*)")


def _first_bar(tune: str) -> tuple[Fraction, Fraction]:
    """(the first bar's length, a bar's length) in quarters, from an Essen tune's text:
    its notes before the first bar line that follows a note, each of its digits (or 1)
    times ``L:``."""
    fields = dict(re.findall(r"^([A-Z]):\s*(.*)$", tune, re.MULTILINE))
    unit = Fraction(fields["L"].strip()) * 4
    meter = Fraction(fields["M"].strip()) * 4
    music = tune[tune.index("K:") :].split("\n", 1)[1]
    bars = [b for b in music.split("|") if _NOTE.search(b)]
    length = sum((int(n or 1) * unit for n in _NOTE.findall(bars[0])), Fraction(0))
    return length, meter


def test_every_kinder0_tune_has_its_first_bars_upbeat():
    """Essen tunes write an upbeat as the notes before the first bar line (``G2 | d2d2e2e2``):
    each tune's pickup is that bar's written length when it is shorter than a bar."""
    path = _corpus_file("essenFolksong/kinder0.abc")
    tunes = path.read_text(encoding="utf-8").split("X:")[1:]
    melodies = read_quietly(path)
    assert len(melodies) == len(tunes)
    upbeats = 0
    for melody, tune in zip(melodies, tunes, strict=True):
        length, bar = _first_bar(tune)
        assert melody.pickup == (length if length < bar else None), melody.title
        upbeats += melody.pickup is not None
    assert 50 < upbeats < len(tunes)  # many of them, and not all
    assert [m.pickup for m in read_quietly("corpus:essenFolksong/kinder0.abc")] == [
        m.pickup for m in melodies
    ]


def test_abc_upbeat_of_a_small_file():
    path = DATA / "header.abc"
    [melody] = read(path)
    length, bar = _first_bar(path.read_text(encoding="utf-8"))
    assert length < bar
    assert melody.pickup == length == Fraction(1, 2)


# --- MusicXML ----------------------------------------------------------------------


def _first_measure(xml: str) -> tuple[Fraction, Fraction]:
    """(the first measure's length, a bar's length) in quarters, from the MusicXML text:
    the durations of its notes (chord notes once) over the divisions."""
    part = ET.fromstring(xml).find("part")
    assert part is not None
    measure = part.find("measure")
    assert measure is not None
    divisions = int(measure.findtext("attributes/divisions") or 1)
    beats = int(measure.findtext("attributes/time/beats") or 4)
    beat_type = int(measure.findtext("attributes/time/beat-type") or 4)
    length = sum(
        int(note.findtext("duration") or 0)
        for note in measure.iterfind("note")
        if note.find("chord") is None and (note.findtext("voice") or "1") == "1"
    )
    return Fraction(length, divisions), Fraction(4 * beats, beat_type)


def test_musicxml_implicit_bar_is_the_pickup():
    path = DATA / "header.musicxml"
    length, bar = _first_measure(path.read_text(encoding="utf-8"))
    assert length < bar
    [melody] = read(path)
    assert melody.pickup == length


def test_chorale_in_the_corpus_starts_with_its_upbeat():
    path = _corpus_file("bach/bwv66.6")
    with zipfile.ZipFile(path) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".xml") and "META" not in n)
        xml = archive.read(name).decode("utf-8")
    assert '<measure implicit="yes" number="0">' in xml
    length, bar = _first_measure(xml)
    assert length < bar
    [melody] = read_quietly("corpus:bach/bwv66.6")
    assert melody.pickup == length


def test_musicxml_full_first_bar_has_no_pickup():
    path = SCORES / "twinkle.musicxml"
    length, bar = _first_measure(path.read_text(encoding="utf-8"))
    assert length == bar
    assert read(path)[0].pickup is None


# --- note codes --------------------------------------------------------------------


def test_note_code_bar_lines_give_the_upbeat():
    path = DATA / "upbeat.txt"
    [melody] = read(path)
    music = " ".join(line.split("%")[0] for line in path.read_text(encoding="utf-8").splitlines())
    first = music.split("|")[0].split()
    assert melody.pickup == sum((n.duration for n in melody.notes[: len(first)]), Fraction(0))
    assert melody.pickup == Fraction(1, 2)


def test_note_codes_with_a_full_first_bar_or_no_bar_lines_have_no_pickup(tmp_path):
    assert read(SCORES / "nabiya.txt")[0].pickup is None
    path = tmp_path / "barless.txt"
    path.write_text("g8 c'4 d'4 e'2\n", encoding="utf-8")
    assert read(path)[0].pickup is None
    path.write_text("g8 | c'4 d'4\n", encoding="utf-8")  # the second bar is not closed
    assert read(path)[0].pickup is None


# --- MIDI --------------------------------------------------------------------------


@pytest.mark.parametrize("source", ["upbeat.ly", "header.musicxml", "header.abc"])
def test_midi_round_trip_keeps_the_upbeat_and_the_metre(tmp_path, source):
    [melody] = read(DATA / source)
    assert melody.pickup is not None
    [back] = read(write_midi(melody, tmp_path / "t.mid"))
    assert (back.pickup, back.time_signature) == (melody.pickup, melody.time_signature)
    assert back.codes == melody.codes


def test_midi_writes_the_upbeat_as_a_bar_of_its_own(tmp_path):
    melody = Melody.from_codes("g8 c'4 d'4 e'4 f'2.", time_signature="3/4", pickup=Fraction(1, 2))
    mid = mido.MidiFile(str(write_midi(melody, tmp_path / "t.mid")))
    signatures, now = [], 0
    for message in mid.tracks[0]:
        now += message.time
        if message.type == "time_signature":
            signatures.append((now, message.numerator, message.denominator))
    assert signatures == [(0, 1, 8), (mid.ticks_per_beat // 2, 3, 4)]


def test_midi_upbeat_no_time_signature_holds_is_not_written(tmp_path):
    melody = Melody.from_codes("g8*2/3 c'4 d'4 e'2", time_signature="2/4", pickup=Fraction(1, 3))
    [back] = read(write_midi(melody, tmp_path / "t.mid"))
    assert (back.pickup, back.time_signature) == (None, "2/4")


def _signatures_file(path: Path, signatures: list[tuple[int, int, int]]) -> None:
    """A MIDI file of four quarter notes whose first track has these time signatures
    (tick, numerator, denominator), at 480 ticks a quarter."""
    mid = mido.MidiFile(type=1, ticks_per_beat=480)
    conductor, now = mido.MidiTrack(), 0
    for tick, numerator, denominator in signatures:
        conductor.append(
            mido.MetaMessage(
                "time_signature", numerator=numerator, denominator=denominator, time=tick - now
            )
        )
        now = tick
    notes = mido.MidiTrack()
    for pitch in (67, 72, 74, 76):
        notes.append(mido.Message("note_on", note=pitch, velocity=80, time=0))
        notes.append(mido.Message("note_off", note=pitch, velocity=0, time=480))
    mid.tracks += [conductor, notes]
    mid.save(path)


@pytest.mark.parametrize(
    ("signatures", "pickup", "time_signature"),
    [
        ([(0, 1, 4), (480, 3, 4)], Fraction(1), "3/4"),  # one bar of 1/4, then 3/4
        ([(0, 3, 4)], None, "3/4"),
        ([(0, 1, 4), (960, 3, 4)], None, "1/4"),  # 1/4 lasts two of its bars: no upbeat
        ([(0, 4, 4), (1920, 3, 4)], None, "4/4"),  # the first bar is the longer one
        ([(0, 2, 4), (0, 3, 4)], None, "2/4"),  # two at the start: nothing certain
    ],
)
def test_midi_upbeat_only_when_its_bars_say_so(tmp_path, signatures, pickup, time_signature):
    path = tmp_path / "t.mid"
    _signatures_file(path, signatures)
    [melody] = read(path)
    assert (melody.pickup, melody.time_signature) == (pickup, time_signature)
