"""Round trips: read -> write .ly / MusicXML / MIDI -> read gives the same melody.

For every shipped score and every fixture: LilyPond and MusicXML keep the codes
(spelling included), the title, key and tempo; MIDI, which has no spelling and no
final rest, keeps every pitch as a MIDI number and every duration.
"""

from __future__ import annotations

import warnings
from fractions import Fraction
from pathlib import Path

import pytest
from helpers import ROOT

from nabi_music.errors import InputError, NabiWarning
from nabi_music.music.notes import Melody
from nabi_music.readers import read
from nabi_music.writers import WRITERS, write, write_musicxml

SOURCES = [
    *sorted((ROOT / "scores").iterdir()),
    *sorted(p for p in (ROOT / "tests" / "data").iterdir() if p.is_file()),
]
SOURCES = [p for p in SOURCES if p.suffix in (".ly", ".musicxml", ".abc", ".txt")]


def quiet_read(path: Path | str) -> list[Melody]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NabiWarning)
        return read(path)


def heard(melody: Melody) -> list[tuple[int | None, Fraction]]:
    """(MIDI number or None for a rest, duration), ties joined, final rests dropped."""
    out: list[tuple[int | None, Fraction]] = []
    for i, n in enumerate(melody.notes):
        prev = melody.notes[i - 1] if i else None
        key = None if n.pitch is None else n.pitch.midi
        if prev is not None and prev.tie and key is not None and out and out[-1][0] == key:
            out[-1] = (key, out[-1][1] + n.duration)
        elif key is None and out and out[-1][0] is None:
            out[-1] = (None, out[-1][1] + n.duration)
        else:
            out.append((key, n.duration))
    while out and out[-1][0] is None:
        out.pop()
    return out


def test_sources_cover_every_format_and_feature():
    suffixes = {p.suffix for p in SOURCES}
    assert {".ly", ".musicxml", ".abc", ".txt"} <= suffixes
    assert len(SOURCES) >= 10


@pytest.mark.parametrize("suffix", [".ly", ".musicxml"])
@pytest.mark.parametrize("source", SOURCES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_lilypond_and_musicxml_keep_codes_and_metadata(tmp_path, source, suffix):
    for k, melody in enumerate(quiet_read(source)):
        path = write(melody, tmp_path / f"tune{k}{suffix}")
        [back] = quiet_read(path)
        assert back.codes == melody.codes
        assert (back.title, back.key, back.tempo) == (melody.title, melody.key, melody.tempo)
        if melody.time_signature is not None:
            assert back.time_signature == melody.time_signature


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_midi_keeps_every_pitch_and_duration(tmp_path, source):
    for k, melody in enumerate(quiet_read(source)):
        path = write(melody, tmp_path / f"tune{k}.mid")
        [back] = quiet_read(path)
        assert heard(back) == heard(melody)
        assert back.tempo == (melody.tempo or 120)  # a MIDI file always has a tempo
        if melody.time_signature is not None:
            assert back.time_signature == melody.time_signature


def test_musicxml_writer_is_registered_and_keeps_spelling_and_tuplets(tmp_path):
    assert WRITERS[".musicxml"] is write_musicxml
    melody = Melody.from_codes(
        "ais8 bes8 eis4 ceses'4 c8*2/3 d8*2/3 e8*2/3 r4 g2~ g8", title="Spelled", key="d minor"
    )
    path = write_musicxml(melody, tmp_path / "spelled.musicxml")
    text = path.read_text(encoding="utf-8")
    assert "<alter>1</alter>" in text and "<alter>-2</alter>" in text
    assert "<time-modification>" in text
    [back] = read(path)
    assert " ".join(back.codes) == "ais8 bes8 eis4 ceses'4 c8*2/3 d8*2/3 e8*2/3 r4 g2~ g8"
    assert (back.title, back.key) == ("Spelled", "d minor")


def test_musicxml_writer_leaves_nothing_on_error(tmp_path):
    melody = Melody.from_codes("c4 d4", key="H major")
    target = tmp_path / "bad.musicxml"
    with pytest.raises(InputError, match="key"):
        write_musicxml(melody, target)
    assert list(tmp_path.iterdir()) == []


def test_musicxml_writer_escapes_titles(tmp_path):
    title = 'a <b> & "c" </work-title><x>'
    path = write_musicxml(Melody.from_codes("c4 d4", title=title), tmp_path / "t.musicxml")
    assert "<x>" not in path.read_text(encoding="utf-8")
    assert read(path)[0].title == title
