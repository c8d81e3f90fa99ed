"""Scores a musician would print: every .ly that `nabi song`, `nabi predict` and
`nabi generate` write compiles with the real LilyPond binary without one warning (bar
checks included), in every metre, with upbeats and with predicted durations that are
wrong on purpose; the coloured MusicXML marks exactly the wrong notes."""

from __future__ import annotations

import json
import random
import re
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import pytest
from helpers import NABIYA_LY, run_nabi

from nabi_music import backend
from nabi_music.evaluation.comparison import compare
from nabi_music.media.render import render_files
from nabi_music.music.metre import bar_length, first_position, written_notes
from nabi_music.music.notes import Melody, Note, Pitch, format_code
from nabi_music.prediction.tutorial import Prediction
from nabi_music.readers import read
from nabi_music.runs.song import write_prediction
from nabi_music.writers import write
from nabi_music.writers.notation import Notation

METRES = ("2/4", "3/4", "4/4", "6/8", "3/8", "5/8", "7/8", "12/8", "2/2", "3/2")
VALUES = [Fraction(v) for v in ("1/4", "1/2", "3/4", "1", "3/2", "2", "3", "4", "1/3", "7/4")]


def random_melody(rng: random.Random, metre: str, notes: int) -> Melody:
    """Notes of random values (dotted, tuplet, longer than a bar), rests and pitches,
    after an upbeat half the time."""
    bar = bar_length(metre)
    picked = []
    for _ in range(notes):
        pitch = None if rng.random() < 0.1 else Pitch.from_midi(rng.randint(55, 81))
        picked.append(Note(pitch, rng.choice(VALUES)))
    pickup = None
    if rng.random() < 0.5:
        pickup = Fraction(rng.randint(1, int(bar * 4) - 1), 4)
    return Melody(tuple(picked), title="random", time_signature=metre, pickup=pickup)


def lilypond_warnings(files: list[Path], out: Path) -> list[str]:
    """Engrave the text of ``files`` as it is, with nabi_music's fonts; every warning
    LilyPond gave about any of them (a failed bar check among them)."""
    outs = [out / f"{k:03d}" for k in range(len(files))]
    rendered = render_files(files, ("pdf",), out_dirs=outs, trusted=True)  # their own text
    assert all(r.get("pdf") is not None for r in rendered)
    return [w for r in rendered for w in r.warnings]


def predicted_pieces(ly: Path) -> int:
    """The bar checks of the prediction's music in a written .ly."""
    text = ly.read_text(encoding="utf-8")
    music = text[text.index("melody = \\fixed c' {") :]
    return music[: music.index("\n}")].count("|")


@pytest.mark.slow
def test_wrong_durations_in_every_metre_compile_without_a_warning(tmp_path: Path) -> None:
    rng = random.Random(12)
    files = []
    for k, metre in enumerate(METRES):
        original = random_melody(rng, metre, 24)
        guessed = [format_code(n) for n in random_melody(rng, metre, 24).notes]
        primer = 4
        codes = original.codes
        prediction = Prediction(
            original,
            compare(codes[:primer] + guessed[primer:], codes, primer),
            compare(codes[:primer] + guessed[primer:][::-1], codes, primer),
        )
        notation = Notation(style=("vocal", "instrumental")[k % 2], original_staff=k % 3 != 2)
        folder = tmp_path / f"{k}-{metre.replace('/', '-')}"
        folder.mkdir()
        written = write_prediction(prediction, folder, "random", notation)
        lys = [f for f in written if f.suffix == ".ly"]
        # a bar check at every bar line of the prediction, including the upbeat's
        bar = bar_length(metre)
        melody = prediction.as_melody("one_step")
        start = first_position(bar, melody.pickup)
        lines = sum(w.bar_line for w in written_notes(melody.notes, bar, start))
        assert predicted_pieces(folder / "one_step.ly") >= lines
        files += lys
    out = tmp_path / "compiled"
    out.mkdir()
    assert lilypond_warnings(files, out) == []


def red_notes(musicxml: Path, melody: Melody) -> list[int]:
    """The notes of ``melody`` (indices) that music21 reads as red in its MusicXML file:
    each piece read is matched with the piece the writer cut the melody into."""
    converter = backend.music21("converter")
    read = list(converter.parse(str(musicxml)).recurse().notesAndRests)
    bar = bar_length(melody.time_signature or "4/4")
    pieces = written_notes(melody.notes, bar, first_position(bar, melody.pickup))
    assert len(read) == len(pieces)
    red = {w.index for w, el in zip(pieces, read, strict=True) if el.style.color == "#FF0000"}
    return sorted(red)


def test_the_musicxml_of_a_prediction_marks_exactly_the_wrong_notes(tmp_path: Path) -> None:
    original = Melody.from_codes(
        "d8 g8 e8 e4 f8 d8 d4 c8 d8 e8 f8 g8 g8 g4 a4 g2",
        time_signature="2/4",
        pickup=Fraction(1, 2),
        title="upbeat",
    )
    guessed = "d8 g8 e8 e4 f8 d4. d4 c8 d8 e8 f8 g8 g16 g4 a4 g2".split()
    prediction = Prediction(
        original, compare(guessed, original.codes, 4), compare(guessed, original.codes, 4)
    )
    write_prediction(prediction, tmp_path, "made up", Notation())
    assert sorted(prediction.one_step.wrong) == [5, 12]
    assert red_notes(tmp_path / "one_step.musicxml", prediction.as_melody("one_step")) == [5, 12]
    converter = backend.music21("converter")
    score = converter.parse(str(tmp_path / "one_step.musicxml"))
    words = [
        (t.content, t.style.color) for t in score.recurse().getElementsByClass("TextExpression")
    ]
    assert words == [("d8", "#FF0000"), ("g8", "#FF0000")]
    measures = list(score.parts[0].getElementsByClass("Measure"))
    assert measures[0].number == 0 and measures[0].duration.quarterLength == 0.5  # upbeat
    assert measures[-1].rightBarline.type == "final"


@pytest.mark.slow
def test_every_score_that_predict_and_generate_write_compiles_without_a_warning(
    small_song_run: tuple[Path, str], tmp_path: Path
) -> None:
    """The short song run's scores, its mlp bundle predicting another song (in 3/4,
    after an upbeat: durations it never learnt) and composing two melodies."""
    folder, _ = small_song_run
    bundle = folder / "mlp" / "model.nabi"
    other = tmp_path / "other.ly"
    other.write_text(
        "\\fixed c' { \\time 3/4 \\partial 4 g4 | c'4. b8 a4 | g2 e4 | f4 g4 a4 | b2. | "
        "c'4 c'8 d'8 e'4 | c'2. }\n",
        encoding="utf-8",
    )
    predict = run_nabi(
        "predict",
        str(bundle),
        str(other),
        "--map-unknown",
        "nearest",
        "--no-media",
        "--out",
        str(tmp_path / "predicted"),
    )
    assert predict.returncode == 0, predict.stderr
    generate = run_nabi(
        "generate",
        str(bundle),
        "--count",
        "2",
        "--bars",
        "6",
        "--formats",
        "ly,musicxml",
        "--out",
        str(tmp_path / "generated"),
    )
    assert generate.returncode == 0, generate.stderr
    printed = re.findall(r"\): (.+)$", generate.stdout, flags=re.M)
    data = json.loads((tmp_path / "generated" / "generated.json").read_text(encoding="utf-8"))
    for line, melody in zip(printed, data["melodies"], strict=True):
        # the model's codes where a user reads codes; the written ones in their own field
        assert line.split() == melody["primer"] + melody["codes"]
        written = Melody.from_codes(melody["written_codes"])
        assert written.quarter_length == Melody.from_codes(line).quarter_length
    files = [*sorted(folder.rglob("*.ly")), *sorted((tmp_path / "predicted").rglob("*.ly"))]
    files += sorted((tmp_path / "generated").glob("*.ly"))
    assert len(files) == 1 + 2 * 2 + 2 + 2
    out = tmp_path / "compiled"
    out.mkdir()
    assert lilypond_warnings(files, out) == []
    made = tmp_path / "predicted" / "other" / "mlp"
    recipe = json.loads(re.search(r"recipe: (.*)", (made / "full_song.ly").read_text("utf-8"))[1])
    predicted = Melody.from_codes(
        recipe["codes"],
        time_signature=recipe["time_signature"],
        pickup=Fraction(recipe["pickup"]),  # the song's upbeat, kept by the prediction
    )
    wrong = [index for index, _ in recipe["options"]["wrong"]]
    assert wrong and red_notes(made / "full_song.musicxml", predicted) == wrong


def test_the_whole_run_is_readable_again(tmp_path: Path) -> None:
    """A prediction's files read back: MIDI and MusicXML give the predicted codes."""
    original = Melody.from_codes("c4 d4 e4 f4 g2 g2", time_signature="4/4", title="t")
    guessed = "c4 d4 e4. f8 g2 g4".split()
    prediction = Prediction(
        original, compare(guessed, original.codes, 2), compare(guessed, original.codes, 2)
    )
    write_prediction(prediction, tmp_path, "p", Notation(style="instrumental"))
    assert read(tmp_path / "one_step.musicxml")[0].codes == guessed
    assert read(tmp_path / "one_step.mid")[0].codes[: len(guessed)] == guessed


@pytest.mark.parametrize("suffix", [".ly", ".musicxml", ".mid"])
def test_the_sources_header_and_upbeat_survive_every_writer(tmp_path: Path, suffix: str) -> None:
    """nabiya's title, subtitle and composer, and another song's upbeat, written and
    read back (a prediction's .ly and .musicxml keep them too)."""
    nabiya = read(NABIYA_LY)[0]
    assert nabiya.header == (("subtitle", "Butterfly"), ("composer", "Traditional"))
    back = read(write(nabiya, tmp_path / f"nabiya{suffix}"))[0]
    assert (back.title, back.header) == (nabiya.title, nabiya.header)
    upbeat = Melody.from_codes(
        "d8 g4 e8 e8 f8 d4 d8 c4 g4", time_signature="2/4", pickup=Fraction(1, 2), title="u"
    )
    again = read(write(upbeat, tmp_path / f"upbeat{suffix}"))[0]
    assert (again.pickup, again.codes) == (upbeat.pickup, upbeat.codes)
    if suffix != ".mid":
        guessed = [*"d8 g4 e8 e4 d4 d8 c4 g4".split(), "g8"]
        prediction = Prediction(
            replace(nabiya, notes=upbeat.notes, pickup=upbeat.pickup),
            compare(guessed, upbeat.codes, 2),
            compare(guessed, upbeat.codes, 2),
        )
        write_prediction(prediction, tmp_path, "p", Notation(original_staff=False))
        predicted = read(tmp_path / f"one_step{suffix}")[0]
        assert predicted.title == nabiya.title
        assert set(nabiya.header) <= set(predicted.header)  # .ly: and the run's own line
        assert predicted.pickup == Fraction(1, 2)
