"""nabi_music reads every .ly as the LilyPond binary itself plays it.

For every ``.ly`` in ``scores/`` and ``tests/data/``, a temporary copy gets a ``\\midi``
block (a ``\\score`` wrapper for top-level music), and the real LilyPond binary writes
its MIDI file. The notes nabi_music reads must equal the notes of that MIDI file, pitch
for pitch, onset for onset and duration for duration (in quarter notes, from the file's
ticks per beat):

- as a listener hears it (``\\unfoldRepeats`` in the copy) against ``read(path)``;
- as written (only ``percent`` and ``tremolo`` repeats unfolded) against
  ``read(path, repeats=False)``.

The copy makes the grace-note commands void (nabi_music drops grace notes, LilyPond
plays them), and the MIDI is reduced as the reader reduces a score: the first track
with notes (the first staff) and, of notes starting together, the highest.
"""

from __future__ import annotations

import subprocess
import warnings
from fractions import Fraction
from pathlib import Path

import mido
import pytest
from helpers import ROOT

from nabi_music.errors import NabiWarning
from nabi_music.media.render import lilypond_executable
from nabi_music.music.ties import sounding_notes
from nabi_music.readers import read

LY_FILES = sorted((ROOT / "scores").glob("*.ly")) + sorted((ROOT / "tests" / "data").glob("*.ly"))

_VOID = "#(define-music-function (music) (ly:music?) (make-music 'SequentialMusic))"
NO_GRACES = (
    "".join(f"{name} = {_VOID}\n" for name in ("grace", "acciaccatura", "appoggiatura"))
    + f"slashedGrace = {_VOID}\n"
    + "afterGrace = #(define-music-function (fraction main grace) "
    "((fraction?) ly:music? ly:music?) main)\n"
)


def midi_copy(text: str, unfold: bool) -> str:
    """``text`` with a ``\\midi`` block in every score (and ``\\unfoldRepeats``)."""
    import ly.document
    import ly.music.items as items

    root = items.Document(ly.document.Document(text))
    scores = [n for n in root if isinstance(n, items.Score)]
    edits: list[tuple[int, str]] = []
    # percent and tremolo repeats are always played out (the written order is of voltas)
    unfold_cmd = "\\unfoldRepeats " if unfold else "\\unfoldRepeats #'(percent tremolo) "
    if scores:
        for score in scores:
            music = next(c for c in score if isinstance(c, items.Music))
            edits.append((music.position, unfold_cmd))
            if not any(isinstance(c, items.Midi) for c in score):
                edits.append((score.end_position() - 1, " \\midi { } "))
    else:
        for node in root:
            if isinstance(node, items.Music) and not isinstance(node, items.UserCommand):
                edits.append((node.position, f"\\score {{ {unfold_cmd}"))
                edits.append((node.end_position(), " \\midi { } }"))
    for position, insert in sorted(edits, reverse=True):
        text = text[:position] + insert + text[position:]
    return NO_GRACES + text


def midi_notes(path: Path) -> list[tuple[int, Fraction, Fraction]]:
    """(pitch, onset, duration) in quarters of the first track with notes, one line."""
    mid = mido.MidiFile(path)
    for track in mid.tracks:
        time, sounding, notes = 0, {}, []
        for msg in track:
            time += msg.time
            if msg.type == "note_on" and msg.velocity > 0:
                sounding[msg.note] = time
            elif msg.type in ("note_off", "note_on") and msg.note in sounding:
                start = sounding.pop(msg.note)
                beat = mid.ticks_per_beat
                notes.append((msg.note, Fraction(start, beat), Fraction(time - start, beat)))
        if notes:
            notes.sort(key=lambda n: (n[1], -n[0]))
            line = []
            for note in notes:
                if line and line[-1][1] == note[1]:
                    continue  # a lower note of the same onset
                line.append(note)
            return line
    return []


@pytest.fixture(scope="module")
def engraved(tmp_path_factory) -> dict[tuple[str, bool], Path]:
    """MIDI files from the LilyPond binary for every .ly, unfolded and as written."""
    out = tmp_path_factory.mktemp("engraved")
    copies = {}
    for ly in LY_FILES:
        for unfold in (True, False):
            copy = out / f"{ly.parent.name}-{ly.stem}-{'unfolded' if unfold else 'written'}.ly"
            copy.write_text(midi_copy(ly.read_text(encoding="utf-8"), unfold), encoding="utf-8")
            copies[(str(ly), unfold)] = copy
    exe = lilypond_executable()
    result = subprocess.run(
        [str(exe), "-dno-print-pages", *(c.name for c in copies.values())],
        capture_output=True,
        text=True,
        cwd=out,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return {key: copy.with_suffix(".midi") for key, copy in copies.items()}


def test_every_ly_file_is_covered():
    names = {p.name for p in LY_FILES}
    assert {"nabiya.ly", "ties.ly", "tuplets.ly", "voices.ly", "repeats.ly"} <= names


@pytest.mark.parametrize("unfold", [True, False], ids=["as-heard", "as-written"])
@pytest.mark.parametrize("ly", LY_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_notes_read_equal_the_notes_lilypond_plays(engraved, ly, unfold):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NabiWarning)
        melody = read(ly, repeats=unfold)[0]
    ours = [(n.midi, n.start, n.duration) for n in sounding_notes(melody)]
    theirs = midi_notes(engraved[(str(ly), unfold)])
    assert theirs, "LilyPond wrote no notes"
    assert ours == theirs


def test_the_comparison_can_fail(engraved):
    """A melody one semitone off, or one note shorter, does not pass."""
    [melody] = read(LY_FILES[0])
    theirs = midi_notes(engraved[(str(LY_FILES[0]), True)])
    ours = [(n.midi, n.start, n.duration) for n in sounding_notes(melody)]
    assert ours == theirs
    assert [(p + 1, s, d) for p, s, d in ours] != theirs
    assert ours[:-1] != theirs
