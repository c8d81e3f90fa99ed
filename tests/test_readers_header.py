"""Header fields (subtitle, composer, poet ...) as every reader reads them from real files,
kept as safe plain text, and the MIDI writer's round trip of title and header."""

from __future__ import annotations

import warnings
import zipfile
from pathlib import Path

import mido
import pytest
from helpers import DATA, NABIYA_LY, read_quietly

from nabi_music import backend
from nabi_music.errors import NabiWarning
from nabi_music.music.notes import Melody
from nabi_music.readers import read
from nabi_music.readers.header import (
    MAX_FIELDS,
    MAX_VALUE_CHARS,
    clean_text,
    field_name,
    header_fields,
)
from nabi_music.writers.midi import write_midi


def _corpus_file(name: str) -> Path:
    return Path(str(backend.music21("corpus").getWork(name)))


# --- LilyPond ----------------------------------------------------------------------


def test_nabiya_ly_keeps_its_subtitle_and_composer():
    [melody] = read(NABIYA_LY)
    assert melody.title == "나비야"
    assert melody.header == (("subtitle", "Butterfly"), ("composer", "Traditional"))
    assert melody.header_field("composer") == "Traditional"


def test_lilypond_header_of_file_and_score_the_score_winning():
    [melody] = read(DATA / "header.ly")
    assert melody.title == "Butterfly Songs"
    assert dict(melody.header) == {
        "subtitle": "Songs for children",
        "composer": "Korean folk song",  # the \score's own header wins over the file's
        "poet": "Anonymous poet",  # \markup { \italic "Anonymous" poet }
        "copyright": "© 2024 Nabi Music",  # \concat joins its words without a space
        "meter": "Moderato",  # #"Moderato"
        "piece": "I. Nabiya",
    }
    names = [name for name, _ in melody.header]
    assert "tagline" not in names and "title" not in names
    assert "opus" not in names  # \fromproperty: no plain text
    assert names[:2] == ["subtitle", "composer"]  # in the file's order


def test_lilypond_book_header_applies_to_its_scores(tmp_path):
    path = tmp_path / "book.ly"
    path.write_text(
        '\\header { composer = "File" }\n'
        '\\book {\n  \\header { title = "Book" dedication = "To learners" }\n'
        '  \\score { { c\'4 } \\header { piece = "One" } }\n'
        '  \\score { { d\'4 } \\header { title = "Two" composer = "Own" } }\n}\n',
        encoding="utf-8",
    )
    one, two = read(path)
    assert (one.title, one.header) == (
        "Book #1",
        (("composer", "File"), ("dedication", "To learners"), ("piece", "One")),
    )
    assert (two.title, two.header) == (
        "Two",
        (("composer", "Own"), ("dedication", "To learners")),
    )


def test_lilypond_header_values_are_plain_safe_and_capped(tmp_path):
    long = "x" * (3 * MAX_VALUE_CHARS)
    names = [f"field{chr(97 + k // 26)}{chr(97 + k % 26)}" for k in range(MAX_FIELDS + 6)]
    fields = " ".join(f'{name} = "v"' for name in names)
    path = tmp_path / "hostile.ly"
    path.write_text(
        f'\\header {{ composer = "A\tB\u202e\x1b[31mC" poet = "{long}" {fields} }}\n'
        "{ c'4 d' }\n",
        encoding="utf-8",
    )
    with pytest.warns(NabiWarning, match=f"kept the first {MAX_FIELDS} header fields"):
        [melody] = read(path)
    header = dict(melody.header)
    assert header["composer"] == "A B[31mC"  # the tab a space; ESC and U+202E removed
    assert len(header["poet"]) == MAX_VALUE_CHARS and header["poet"].endswith("…")
    assert len(melody.header) == MAX_FIELDS
    assert names[0] in header and names[-1] not in header


# --- MusicXML ----------------------------------------------------------------------


def test_musicxml_header_as_musescore_writes_it():
    [melody] = read(DATA / "header.musicxml")
    assert melody.title == "Butterfly Songs"  # the work title
    assert melody.header == (
        ("subtitle", "Songs for children"),  # the first page's subtitle credit, its words joined
        ("piece", "I. Nabiya"),  # the movement title
        ("composer", "Traditional"),
        ("poet", "Anonymous"),  # the lyricist
        ("arranger", "A. Arranger"),
        ("opus", "Op. 7"),  # the work number
        ("copyright", "© 2024 Nabi Music"),  # the rights
        ("source", "the Keras LSTM tutorial"),
    )


def test_musicxml_header_of_a_finale_export_in_the_corpus():
    """Corelli's Grave as Finale wrote it: no work title, the title as the movement title,
    the subtitle only as a credit of the first page."""
    path = _corpus_file("corelli/opus3no1/1grave.xml")
    text = path.read_text(encoding="utf-8")
    assert "<credit-type>subtitle</credit-type>" in text
    [melody] = read_quietly(path)
    assert melody.title == "Sonata da Chiesa, No. I (opus 3, no. 1)"
    assert dict(melody.header) == {
        "subtitle": "1. Grave",
        "composer": "Arcangelo Corelli",
        "arranger": "Michael Scott Cuthbert",
        "copyright": "© 2014, Creative Commons License (CC-BY)",
    }
    [through_corpus] = read_quietly("corpus:corelli/opus3no1/1grave.xml")
    assert through_corpus.header == melody.header


def test_musicxml_creator_text_of_many_lines_is_one_line():
    [melody] = read_quietly(_corpus_file("beach/prayer_of_a_tired_child.musicxml"))
    assert melody.header_field("composer") == "Mrs. H.H.A. Beach (Amy Beach) Op. 75, No. 4"
    assert melody.header_field("poet") == "Abbie Farwell Brown"
    assert melody.header_field("subtitle") == "For Four-part Chorus of Women's Voices"


def test_mxl_reads_the_same_header(tmp_path):
    path = tmp_path / "header.mxl"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("header.musicxml", (DATA / "header.musicxml").read_bytes())
    assert read(path)[0].header == read(DATA / "header.musicxml")[0].header


# --- ABC ---------------------------------------------------------------------------


def test_abc_header_fields_and_a_second_title_as_subtitle():
    [melody] = read(DATA / "header.abc")
    assert melody.title == "Nabiya"
    assert melody.header == (
        ("subtitle", "The Butterfly"),  # T:Butterfly, The, as music21 shows a title
        ("composer", "Traditional; arr. A. Arranger"),  # two C: fields
        ("origin", "Korea"),
        ("source", "the Keras LSTM tutorial"),
        ("transcription", "nabi_music"),
        ("notes", "an upbeat of one eighth"),
    )


def test_every_kinder0_tune_keeps_its_essen_fields():
    """Each tune's N: (the Essen number), O: and R:, as the file writes them."""
    path = _corpus_file("essenFolksong/kinder0.abc")
    blocks = path.read_text(encoding="utf-8").split("X:")[1:]
    melodies = read_quietly("corpus:essenFolksong/kinder0.abc")
    assert len(melodies) == len(blocks) == 213
    for melody, block in zip(melodies, blocks, strict=True):
        fields: dict[str, list[str]] = {}
        for line in block.splitlines():
            if line[1:2] == ":" and line[0] in "NOR":
                fields.setdefault(line[0], []).append(" ".join(line[2:].split()))
        expected = {"notes": "N", "origin": "O", "rhythm": "R"}
        assert dict(melody.header) == {k: "; ".join(fields[v]) for k, v in expected.items()}


# --- MIDI --------------------------------------------------------------------------


HEADER = (
    ("subtitle", "Butterfly"),
    ("composer", "Traditional"),
    ("copyright", "© 2024 Nabi Music"),
    ("origin", "Korea: Seoul"),
)


def test_midi_round_trip_keeps_title_and_header(tmp_path):
    melody = Melody.from_codes(
        "g8 e8 e4 f8 d8 d4", title="나비야", time_signature="2/4", header=HEADER
    )
    [back] = read(write_midi(melody, tmp_path / "nabiya.mid"))
    assert back.title == "나비야"
    assert back.header == HEADER
    assert back.codes == melody.codes


def test_midi_round_trip_of_every_header_a_reader_gives(tmp_path):
    for source in (NABIYA_LY, DATA / "header.ly", DATA / "header.musicxml", DATA / "header.abc"):
        [melody] = read_quietly(source)
        [back] = read(write_midi(melody, tmp_path / f"{source.stem}.mid"))
        assert (back.title, back.header) == (melody.title, melody.header), source


def test_midi_writer_header_as_other_programs_see_it(tmp_path):
    melody = Melody.from_codes("c4 d4", title="나비야", header=HEADER)
    mid = mido.MidiFile(str(write_midi(melody, tmp_path / "t.mid")), charset="utf-8")
    first = [m for m in mid.tracks[0] if m.type in ("track_name", "copyright", "text")]
    assert [(m.type, getattr(m, "name", None) or m.text) for m in first] == [
        ("track_name", "나비야"),
        ("text", "subtitle: Butterfly"),
        ("text", "composer: Traditional"),
        ("copyright", "© 2024 Nabi Music"),
        ("text", "origin: Korea: Seoul"),
    ]
    assert all(m.time == 0 for m in first)


def _midi_with(path: Path, metas: list[mido.MetaMessage], charset: str = "utf-8") -> None:
    mid = mido.MidiFile(type=1, ticks_per_beat=480, charset=charset)
    conductor = mido.MidiTrack(metas)
    notes = mido.MidiTrack(
        [
            mido.MetaMessage("track_name", name="Flute"),
            mido.Message("note_on", note=60, velocity=80, time=0),
            mido.Message("note_off", note=60, velocity=0, time=480),
        ]
    )
    mid.tracks += [conductor, notes]
    mid.save(path)


def test_midi_of_another_program_gives_its_sequence_name_copyright_and_fields(tmp_path):
    path = tmp_path / "other.mid"
    _midi_with(
        path,
        [
            mido.MetaMessage("track_name", name="Frère Jacques"),
            mido.MetaMessage("copyright", text="Public domain"),
            mido.MetaMessage("text", text="Composer: Traditional"),
            mido.MetaMessage("text", text="http://example.com/tunes"),  # no field
            mido.MetaMessage("text", text="Made with some sequencer"),  # no field
            mido.MetaMessage("text", text="poet: later", time=480),  # not at the start
        ],
    )
    [melody] = read(path)
    assert melody.title == "Frère Jacques"  # the first track's name, not the part's
    assert melody.header == (("copyright", "Public domain"), ("composer", "Traditional"))


def test_midi_texts_in_latin_1_and_hostile_texts_are_read_safely(tmp_path):
    path = tmp_path / "latin.mid"
    _midi_with(
        path,
        [
            mido.MetaMessage("track_name", name="Chanson à boire"),
            mido.MetaMessage("text", text="composer: \x1b[2JJos\x9bé " + "x" * 2000),
        ],
        charset="latin-1",
    )
    [melody] = read(path)
    assert melody.title == "Chanson à boire"
    composer = melody.header_field("composer")
    assert composer is not None and composer.startswith("[2JJosé x")
    assert len(composer) == MAX_VALUE_CHARS


def test_midi_without_a_track_name_is_titled_by_its_file(tmp_path):
    path = tmp_path / "untitled tune.mid"
    _midi_with(path, [])
    [melody] = read(path)
    assert (melody.title, melody.header) == ("untitled tune", ())


# --- the rules every reader shares --------------------------------------


def test_header_fields_rules():
    fields, dropped = header_fields(
        [
            ("Composer", "A"),  # names are lower case
            ("composer", "B"),  # the first value of a name is kept
            ("title", "T"),
            ("tagline", "x"),
            ("bad name", "x"),
            ('x"} #(system "rm")', "x"),
            ("empty", " \n\t"),
            ("movement-number", "2"),
        ]
    )
    assert fields == (("composer", "A"), ("movement-number", "2"))
    assert dropped == 0
    many, dropped = header_fields((f"f{k}", "v") for k in range(MAX_FIELDS + 3))
    assert (len(many), dropped) == (MAX_FIELDS, 3)
    assert field_name("x" * 40) is None
    assert clean_text("a\n\n b\x00c\u2066d\x9b") == "a bcd"
    assert clean_text("나비야 " * 200).endswith("…")


def test_reading_a_header_issues_no_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error", NabiWarning)
        for name in ("header.ly", "header.musicxml", "header.abc"):
            assert read(DATA / name)[0].header
