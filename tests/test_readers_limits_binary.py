"""The music21 and binary readers (MusicXML, ``.mxl``, ABC, MIDI) against hostile and huge
input.

Every file is read, or refused with one line that names it (and the limit, where a limit
refuses it), in time and memory bounded by its size, never by a number written in it: a
note or a silence of a billion beats, a repeat of a billion passes, an archive that
inflates past its limit, a metre of a billion beats or of none, MIDI times of 2^28 ticks,
megabytes of notes. The ``nabi`` runs are each capped (:mod:`isolated`: 10 s of CPU, 1 GB
more memory), so that a regression fails here instead of hanging; the large files are
written at test time. Beside them: the ABC reader gives music21's codes, the repeat plan
plays sections as musicians do, MIDI snapping is the exact rule it replaced.
"""

from __future__ import annotations

import inspect
import random
import struct
import warnings
import zipfile
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import pytest
from helpers import DATA, unknown_compression
from isolated import Outcome, assert_answered, run_isolated

from nabi_music import backend
from nabi_music.errors import InputError, NabiWarning
from nabi_music.readers import READERS, read
from nabi_music.readers._common import ReadOptions
from nabi_music.readers.abc import read_abc
from nabi_music.readers.midi import snap
from nabi_music.readers.music21_bridge import melodies_from_stream
from nabi_music.readers.repeats import Bar, play_order

NOTE_WHOLES = "over the limit of 256; raise it with --limit note_wholes=N if you mean it"
NOTES = "over the limit of 100,000; raise it with --limit notes=N if you mean it"
BARS = "over the limit of 10,000; raise it with --limit bars=N if you mean it"

# --- the files -------------------------------------------------------------

XML_HEAD = (
    '<?xml version="1.0"?><score-partwise version="3.1"><part-list>'
    '<score-part id="P1"><part-name>x</part-name></score-part></part-list><part id="P1">'
)
ATTRIBUTES = (
    "<attributes><divisions>{divisions}</divisions>"
    "<time><beats>{beats}</beats><beat-type>{beat_type}</beat-type></time></attributes>"
)


def note(duration: int | str = 1, kind: str = "quarter", extra: str = "", octave="4") -> str:
    return (
        f"<note><pitch><step>C</step><octave>{octave}</octave></pitch>"
        f"<duration>{duration}</duration><type>{kind}</type>{extra}</note>"
    )


def musicxml(*measures: str, divisions=1, beats=4, beat_type=4, head: str = XML_HEAD) -> str:
    """A one-part score: the first measure starts with its attributes."""
    attributes = ATTRIBUTES.format(divisions=divisions, beats=beats, beat_type=beat_type)
    body = "".join(
        f'<measure number="{k}">{attributes if k == 1 else ""}{m}</measure>'
        for k, m in enumerate(measures, 1)
    )
    return head + body + "</part></score-partwise>"


def repeat(times: str = "", body: str = "") -> str:
    """A measure that is a repeated section of its own."""
    times_attr = f' times="{times}"' if times else ""
    return (
        '<barline location="left"><repeat direction="forward"/></barline>'
        + body
        + f'<barline location="right"><repeat direction="backward"{times_attr}/></barline>'
    )


def billion_laughs() -> str:
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{k + 1} "{("&lol" + (str(k) if k else "") + ";") * 10}">' for k in range(9)
    )
    return (
        f'<?xml version="1.0"?><!DOCTYPE score-partwise [{entities}]>'
        "<score-partwise><work><work-title>&lol9;</work-title></work></score-partwise>"
    )


def long_musicxml(bars: int) -> str:
    """``bars`` bars of four quarter notes, the text written directly (fast)."""
    return musicxml(*[note() * 4 for _ in range(bars)])


def write_mxl(path: Path, member: Callable[[zipfile.ZipFile], None]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "META-INF/container.xml",
            '<?xml version="1.0"?><container><rootfiles>'
            '<rootfile full-path="score.musicxml"/></rootfiles></container>',
        )
        member(z)
    return path


def inflating(z: zipfile.ZipFile) -> None:
    """A score that inflates to 60 MB: a comment of spaces."""
    with z.open("score.musicxml", "w") as member:
        member.write(b'<?xml version="1.0"?><score-partwise version="3.1"><!--')
        for _ in range(60):
            member.write(b" " * 1_000_000)
        member.write(b"--></score-partwise>")


def mxl_lying(path: Path) -> Path:
    """An archive whose member's headers say 1 kB, for 60 MB of data."""
    write_mxl(path, inflating)
    data = bytearray(path.read_bytes())
    name = b"score.musicxml"
    for k in range(len(data) - 4):
        if data[k : k + 4] in (b"PK\x03\x04", b"PK\x01\x02"):
            size_at, name_at = (22, 30) if data[k + 2] == 3 else (24, 46)
            if data[k + name_at : k + name_at + len(name)] == name:
                data[k + size_at : k + size_at + 4] = struct.pack("<I", 1000)
    path.write_bytes(bytes(data))
    return path


ABC_HEAD = "X:1\nT:t\nM:4/4\nL:1/8\nK:C\n"


def varlen(n: int) -> bytes:
    out = [n & 0x7F]
    n >>= 7
    while n:
        out.append(0x80 | (n & 0x7F))
        n >>= 7
    return bytes(reversed(out))


def smf(events: bytes, per_quarter: int = 480, tracks: int = 1) -> bytes:
    """A Standard MIDI File of one track holding ``events`` (an end of track added)."""
    body = events + b"\x00\xff\x2f\x00"
    head = b"MThd" + struct.pack(">IHHH", 6, 0, tracks, per_quarter)
    return head + b"MTrk" + struct.pack(">I", len(body)) + body


def on_off(length: int, pitch: int = 60, wait: int = 0) -> bytes:
    return varlen(wait) + bytes([0x90, pitch, 64]) + varlen(length) + bytes([0x80, pitch, 0])


def meta(kind: int, data: bytes) -> bytes:
    return b"\x00\xff" + bytes([kind]) + varlen(len(data)) + data


def midi_notes(count: int) -> bytes:
    """``count`` quarter notes in one track, with running status (7 bytes each)."""
    first = b"\x00\x90\x3c\x40\x83\x60\x3c\x00"
    rest = b"\x00\x3c\x40\x83\x60\x3c\x00" * (count - 1)
    return smf(first + rest)


#: name -> (file contents or a maker of them, the exit code, what stderr must hold).
CASES: dict[str, tuple[object, int, str]] = {
    # MusicXML
    "dur_billion.musicxml": (
        musicxml(note(1_000_000_000, "whole")),
        2,
        f"measure '1': whole notes in one note or rest: 250,000,000, {NOTE_WHOLES}",
    ),
    "rest_billion.musicxml": (
        musicxml(note(4), "<note><rest/><duration>1000000000</duration></note>" + note()),
        2,
        "measure '2': whole notes in one note or rest: 250,000,000",
    ),
    "forward_billion.musicxml": (
        musicxml(note() + "<forward><duration>1000000000</duration></forward>" + note()),
        2,
        f"whole notes in one <forward>: 250,000,000, {NOTE_WHOLES}",
    ),
    "backup_billion.musicxml": (
        musicxml(note() + "<backup><duration>1000000000</duration></backup>" + note()),
        2,
        "whole notes in one <backup>: 250,000,000",
    ),
    "divisions_billion.musicxml": (
        musicxml(note(1_000_000_000) + note(4_000_000_000, "whole"), divisions=1_000_000_000),
        0,
        "",
    ),
    "divisions_zero.musicxml": (
        musicxml(note(), divisions=0),
        2,
        "<divisions> of 0; expected a positive number",
    ),
    "beats_billion.musicxml": (
        musicxml(note(), beats=1_000_000_000),
        2,
        f"whole notes in one bar: 250,000,000, {NOTE_WHOLES}",
    ),
    "beat_type_zero.musicxml": (musicxml(note(), beat_type=0), 2, "a time signature of 4/0"),
    "beats_zero.musicxml": (musicxml(note(), beats=0), 2, "a time signature of 0/4"),
    "tuplet_zero.musicxml": (
        musicxml(
            note(
                extra="<time-modification><actual-notes>0</actual-notes>"
                "<normal-notes>0</normal-notes></time-modification>"
            )
        ),
        2,
        "a tuplet of 0 notes in the time of 0",
    ),
    "tuplet_stretching.musicxml": (
        musicxml(
            "<note><pitch><step>C</step><octave>4</octave></pitch><type>whole</type>"
            "<time-modification><actual-notes>1</actual-notes>"
            "<normal-notes>1000000000</normal-notes></time-modification></note>"
        ),
        2,
        f"whole notes in one note or rest: 1,000,000,000, {NOTE_WHOLES}",
    ),
    "repeat_billion.musicxml": (
        musicxml(repeat("1000000000", note() * 4)),
        2,
        f"passes of the repeat: 1,000,000,000, {BARS}",
    ),
    "repeat_played_out.musicxml": (
        musicxml(repeat("9999", note() * 4), note() * 4, repeat("", note() * 4)),
        2,
        f"bars once the repeats are played out: 10,002, {BARS}",
    ),
    "ending_billion.musicxml": (
        musicxml(
            '<barline location="left"><ending number="1-1000000000" type="start"/></barline>'
            + note() * 4
        ),
        2,
        f"passes named by the ending '1-1000000000': 1,000,000,000, {BARS}",
    ),
    "octave_billion.musicxml": (
        musicxml(note(octave="1000000000")),
        2,
        "a note in octave 1000000000; expected an octave from 0 to 9",
    ),
    "digits.musicxml": (musicxml(note("9" * 5000)), 2, "a duration of 5,000 digits"),
    "exponent.musicxml": (musicxml(note("1e999999999")), 2, "a duration of '1e999999999'"),
    "key_billion.musicxml": (
        XML_HEAD + '<measure number="1"><attributes><divisions>1</divisions><key><fifths>1000000000'
        "</fifths></key></attributes>" + note() + "</measure></part></score-partwise>",
        0,
        "ignored a key signature of 1,000,000,000 sharps or flats",
    ),
    "tempo_huge.musicxml": (
        musicxml('<direction><sound tempo="1e308"/></direction>' + note()),
        0,
        "ignored a tempo of 1e+308 beats per minute",
    ),
    "laughs.musicxml": (billion_laughs(), 2, "amplification"),
    "not_partwise.musicxml": (
        '<?xml version="1.0"?><score-timewise/>',
        2,
        "expected a <score-partwise> MusicXML score",
    ),
    "bars_10001.musicxml": (
        lambda: long_musicxml(10_001),
        2,
        f"bars written in part 'P1': 10,001, {BARS}",
    ),
    "notes_24000.musicxml": (lambda: long_musicxml(6_000), 0, ""),
    # compressed MusicXML
    "inflating.mxl": (
        lambda path: write_mxl(path, inflating),
        2,
        "('score.musicxml'): bytes once unpacked: 60,000,075, over the limit of 50,000,000; "
        "raise it with --limit unpacked_mb=N",
    ),
    "lying.mxl": (mxl_lying, 2, "its data does not match its header"),
    "no_score.mxl": (
        lambda path: write_mxl(path, lambda z: z.writestr("readme.txt", "hello")),
        2,
        "no score in the archive",
    ),
    # ABC
    "note_billion.abc": (
        ABC_HEAD + "C999999999|\n",
        2,
        f":6: 'C999999999': whole notes in one note or rest: 124,999,999, {NOTE_WHOLES}",
    ),
    "chord_billion.abc": (ABC_HEAD + "[CEG]999999999|\n", 2, NOTE_WHOLES),
    "over_zero.abc": (ABC_HEAD + "C/0 D|\n", 2, ":6: a length divided by zero ('C/0')"),
    "unit_over_zero.abc": ("X:1\nM:4/4\nL:1/0\nK:C\nCDEF|\n", 2, ":3: 'L:1/0' divides by zero"),
    "unit_billion.abc": (
        "X:1\nM:4/4\nL:999999999/1\nK:C\nC|\n",
        2,
        f":3: 'L:999999999/1': whole notes in the unit length: 999,999,999, {NOTE_WHOLES}",
    ),
    "metre_billion.abc": (
        "X:1\nM:999999999/4\nL:1/8\nK:C\nC|\n",
        2,
        f":2: 'M:999999999/4': whole notes in one bar: 250,000,000, {NOTE_WHOLES}",
    ),
    "metre_zero.abc": ("X:1\nM:0/4\nL:1/8\nK:C\nC|\n", 2, ":2: 'M:0/4' has no beats"),
    "inline_metre_zero.abc": (ABC_HEAD + "C|[M:0/4]D|\n", 2, ":6: 'M:0/4' has no beats"),
    "digits.abc": (ABC_HEAD + "C" + "9" * 5000 + "|\n", 2, ":6: a number of 5,000 digits"),
    "slurs.abc": (
        ABC_HEAD + "(" * 50_000 + "CDEF|" * 20 + "\n",
        2,
        ":6: 17 slurs or crescendos open at once; expected at most 16",
    ),
    "slurred_triplets.abc": (  # O'Neill's 1846: ((3BAG) opens a slur and a tuplet
        ABC_HEAD + "((3BAG) E2 ((3BAG) AG |" * 20 + "\n",
        0,
        "",
    ),
    "octave.abc": (
        ABC_HEAD + "c" + "'" * 20 + "|\n",
        2,
        "the pitch C25 is out of range (MIDI 312)",
    ),
    "notes_240000.abc": (
        lambda: ABC_HEAD + "CDEF GABc|" * 30_000 + "\n",
        2,
        f":1: notes written in the tune: 240,000, {NOTES}",
    ),
    "bars_12500.abc": (
        lambda: ABC_HEAD + "CDEF GABc|" * 12_500 + "\n",
        2,
        f":1: bars written in the tune: 12,500, {BARS}",
    ),
    "notes_50000.abc": (lambda: ABC_HEAD + "CDEFGABc cBAGFEDC|" * 3_125 + "\n", 0, ""),
    # MIDI
    "gap_2_28.mid": (
        smf(on_off(480) + on_off(480, 62, wait=2**28)),
        2,
        f"measure 139,811: whole notes in one note or rest: 139,810, {NOTE_WHOLES}",
    ),
    "note_2_28.mid": (smf(on_off(2**28)), 2, "whole notes in one note or rest: 139,810"),
    "one_tick_per_quarter.mid": (
        smf(on_off(2**27), per_quarter=1),
        2,
        "whole notes in one note or rest: 33,554,432",
    ),
    "zero_ticks.mid": (smf(on_off(480), per_quarter=0), 2, "(0 ticks per quarter note)"),
    "smpte.mid": (smf(on_off(480), per_quarter=0xE728), 2, "time in SMPTE frames"),
    "zero_beats.mid": (
        smf(meta(0x58, bytes([0, 2, 24, 8])) + on_off(480)),
        0,
        "ignored a time signature of 0/4",
    ),
    "denominator_2_255.mid": (
        smf(meta(0x58, bytes([4, 255, 24, 8])) + on_off(480)),
        0,
        "ignored a time signature of 4/2^255",
    ),
    "tempo_zero.mid": (
        smf(meta(0x51, b"\x00\x00\x00") + on_off(480)),
        0,
        "ignored a tempo of 0 microseconds per quarter note",
    ),
    "cut_short.mid": (
        lambda: smf(on_off(480) * 10)[:-12],
        2,
        "cannot read as MIDI (track 1 ends early (the file is cut short))",
    ),
    "thirty_mb.mid": (
        lambda: midi_notes(30_000_000 // 7),
        2,
        "bytes in the file: 30,000,0",
    ),
    "four_mb.mid": (
        lambda: midi_notes(4_000_000 // 7),
        2,
        f"notes and rests in the melody: 571,428, {NOTES}",
    ),
}


def _write(folder: Path, name: str, content: object) -> Path:
    path = folder / name
    if callable(content):  # a maker of the text, or of the file at a path
        takes_path = len(inspect.signature(content).parameters) == 1
        made = content(path) if takes_path else content()
        content = None if takes_path else made
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    elif isinstance(content, bytes):
        path.write_bytes(content)
    return path


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    folder = tmp_path_factory.mktemp("limits_binary")
    paths = {name: _write(folder, name, content) for name, (content, _, _) in CASES.items()}
    results = run_isolated(
        [["inspect", str(path)] for path in paths.values()], timeout=10, memory=1_000_000_000
    )
    return dict(zip(paths, results, strict=True))


@pytest.mark.parametrize("name", list(CASES))
def test_each_file_is_read_or_refused_in_one_line_within_bounds(outcomes, name):
    outcome = outcomes[name]
    _, code, expected = CASES[name]
    assert_answered(outcome, (code,))
    if code == 2:
        assert name in outcome.stderr, str(outcome)
    assert expected in outcome.stderr, str(outcome)


def test_a_long_read_is_complete(outcomes):
    """The long files that are read hold every note (no limit cut them short)."""
    assert "notes:          24000" in outcomes["notes_24000.musicxml"].stdout
    assert "notes:          50000" in outcomes["notes_50000.abc"].stdout


def test_limits_raised_on_the_command_line_read_what_the_defaults_refuse(tmp_path):
    abc = _write(tmp_path, "bars_12500.abc", CASES["bars_12500.abc"][0])
    midi = _write(tmp_path, "notes.mid", midi_notes(120_000))
    [as_abc, as_midi] = run_isolated(
        [
            ["inspect", "--limit", "bars=20000", str(abc)],
            ["inspect", "--limit", "notes=200000", "--limit", "bars=40000", str(midi)],
        ],
        timeout=30,  # 100,000 notes: about 8 s of CPU
        memory=1_000_000_000,
    )
    assert_answered(as_abc, (0,))
    assert "notes:          100000" in as_abc.stdout
    assert_answered(as_midi, (0,))
    assert "notes:          120000" in as_midi.stdout


# --- in process --------------------------------------------------------------


def test_an_mxl_member_packed_by_an_unknown_method_is_one_input_error(tmp_path):
    mxl = tmp_path / "odd.mxl"
    with zipfile.ZipFile(mxl, "w") as z:
        z.writestr("score.musicxml", musicxml(note()))
    mxl.write_bytes(unknown_compression(mxl.read_bytes(), "score.musicxml"))
    with pytest.raises(InputError, match=r"odd\.mxl: cannot read as .*compression"):
        read(mxl)


def test_an_unforeseen_third_party_error_is_one_input_error_naming_the_file(tmp_path, monkeypatch):
    def broken(path, source, options):
        return 1 / 0

    path = tmp_path / "any.abc"
    path.write_text(ABC_HEAD + "CDEF|\n", encoding="utf-8")
    monkeypatch.setitem(READERS, ".abc", broken)
    with pytest.raises(InputError, match=r"any\.abc: cannot read the file \(a zero where"):
        read(path)


def _music21_codes(path: Path) -> list[tuple]:
    """What music21's own ABC translation gives, through the same bridge."""
    converter = backend.music21("converter")
    parsed = converter.parseFile(path, format="abc", forceSource=True)
    melodies, _ = melodies_from_stream(parsed, source=str(path), default_title=path.stem)
    return [(m.title, m.key, m.time_signature, m.tempo, m.codes) for m in melodies]


ABC_FEATURES = (
    "X:1\nT:Features, The\nM:6/8\nL:1/8\nQ:3/8=60\nK:D\n"
    "A | d2e f>ed | (3cBA B2 z | ^c=c_c [DFA]2 {g}f | e3- e2 d | d6 |]\n"
    "X:2\nT:Second\nM:3/4\nL:1/4\nK:Bb\nB c d | e2 E | F,2 f' | B3 |]\n"
    'X:3\nT:Voices\nM:4/4\nL:1/8\nK:C\nV:1 name="Whistle"\nCDEF GABc|\nV:2\nz8|\n'
    "V:1\nGABc d4|\nV:2\nC,8|\n"
)


@pytest.mark.parametrize("name", ["kinder_20.abc", "features.abc"])
def test_abc_codes_are_music21s(tmp_path, name):
    path = DATA / name if name != "features.abc" else tmp_path / name
    if name == "features.abc":
        path.write_text(ABC_FEATURES, encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = _music21_codes(path)
        melodies, _ = read_abc(path, str(path), ReadOptions())
    assert [(m.title, m.key, m.time_signature, m.tempo, m.codes) for m in melodies] == expected
    assert len(expected) >= 2
    if name == "features.abc":  # voices are parts as music21 splits them (a V:1 again: 3)
        assert melodies[2].warnings[0].endswith("3 parts; kept part 1 and dropped parts 3, 4")


@pytest.mark.parametrize(
    ("body", "heard"),
    [
        ("|: C D :| E F :| G |]", "c4 d4 c4 d4 e4 f4 e4 f4 g4"),  # back to the last :|
        ("C D :| E |]", "c4 d4 c4 d4 e4"),  # back to the start
        ("|: C |1 D :|2 E |]", "c4 d4 c4 e4"),
        ("|: C |1 D | E :|2 F |]", "c4 d4 e4 c4 f4"),  # a first ending of two bars
        ("|: C :: D :| E |]", "c4 c4 d4 d4 e4"),
    ],
)
def test_abc_repeats_are_played_as_musicians_play_them(tmp_path, body, heard):
    path = tmp_path / "repeats.abc"
    path.write_text(f"X:1\nT:r\nM:1/4\nL:1/4\nK:C\n{body}\n", encoding="utf-8")
    [melody] = read(path)
    assert " ".join(melody.codes) == heard


def test_the_repeat_plan_counts_before_it_expands():
    many = [Bar(start=True, end=1_000_000_000, notes=4)]
    with pytest.raises(InputError, match="bars once the repeats are played out: 1,000,000,000"):
        play_order(many, "x.musicxml")
    # |: A [1,2 B :| [3 C: a repeat sign asks 2 passes, the endings name 3
    bars = [Bar(start=True), Bar(end=2, endings=frozenset({1, 2})), Bar(endings=frozenset({3}))]
    assert play_order([*bars, Bar()], "x") == [0, 1, 0, 1, 0, 2, 3]


def test_midi_snapping_is_the_fraction_rule_it_replaced():
    def by_fractions(ticks: int, per_quarter: int) -> Fraction:
        value = Fraction(ticks, per_quarter)
        best = [Fraction(round(value * g), g) for g in (8, 6)]
        return min(best, key=lambda v: (abs(v - value), v.denominator))

    rng = random.Random(14)
    for _ in range(3000):
        per_quarter = rng.choice([1, 3, 5, 7, 24, 96, 120, 384, 480, 960, 1000, 32767])
        ticks = rng.randrange(10**7)
        assert snap(ticks, per_quarter) == by_fractions(ticks, per_quarter), (ticks, per_quarter)


def test_midi_with_a_chord_under_a_metre_of_no_beats_reads(tmp_path):
    """Formerly a ZeroDivisionError (exit 1): the chord's warning divided by the bar."""
    path = tmp_path / "chord.mid"
    chord = b"\x00\x90\x3c\x40\x00\x90\x40\x40\x83\x60\x80\x3c\x00\x00\x80\x40\x00"
    path.write_bytes(smf(meta(0x58, bytes([0, 2, 24, 8])) + chord))
    with pytest.warns(NabiWarning) as caught:
        [melody] = read(path)
    assert melody.codes == ["e4"] and melody.time_signature is None
    said = " ".join(str(w.message) for w in caught)
    assert "ignored a time signature of 0/4" in said
    assert "reduced 1 chord(s) in measure 1 to their top note" in said
