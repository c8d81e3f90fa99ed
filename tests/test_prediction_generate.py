"""Composing with a real trained bundle: `nabi generate`, its files, its constraints."""

from __future__ import annotations

import json
import shlex
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import pretty_midi
import pytest
from helpers import NABIYA, ROOT
from helpers import run_nabi as nabi

from nabi_music.errors import InputError
from nabi_music.models.bundle import load_bundle, save_bundle
from nabi_music.music.keys import parse_scale
from nabi_music.music.notes import Melody, parse_code
from nabi_music.music.ties import sounding_notes
from nabi_music.prediction.compose import Primer, Request, compose, load_primer
from nabi_music.prediction.sampling import Sampling
from nabi_music.readers import read
from nabi_music.runs.generate import write_composition

NABIYA_MELODY = Melody.from_codes(
    NABIYA, title="나비야", key="C major", time_signature="2/4", tempo=100, source="nabiya"
)


@pytest.fixture(scope="module")
def bundle_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The stateful LSTM trained on 나비야 until it sings the song back (a few seconds)."""
    from nabi_music.models.presets import preset
    from nabi_music.training.tutorial import train_preset

    bundle = train_preset([NABIYA_MELODY], preset("stateful-lstm"), seed=1, until_perfect=True)
    path = tmp_path_factory.mktemp("bundle") / "nabiya.nabi"
    save_bundle(bundle, path)
    return path


@pytest.fixture(scope="module")
def bundle(bundle_path: Path):
    return load_bundle(bundle_path)


def primer() -> Primer:
    return Primer(tuple(NABIYA[:4]), "codes")


def test_the_bundle_records_its_training_melodies(bundle):
    assert bundle.meta["key"] == "C major"
    assert bundle.meta["time_signature"] == "2/4"
    assert bundle.meta["tempo"] == 100
    assert bundle.meta["songs"] == [
        {
            "title": NABIYA_MELODY.title,
            "source": NABIYA_MELODY.source or None,
            "key": "C major",
            "time_signature": "2/4",
            "pickup": None,
            "codes": " ".join(NABIYA),
        }
    ]


def test_greedy_generation_sings_the_song_back(bundle):
    for sampling in (Sampling(0.0), Sampling(1.0, top_k=1)):
        result = compose(bundle, Request(length=50, sampling=sampling), primer())
        assert list(result.melodies[0].codes) == NABIYA[4:]
    # without a primer it starts from the training song's opening
    result = compose(bundle, Request(length=50, sampling=Sampling(0.0)))
    assert list(result.melodies[0].melody.codes) == NABIYA


def test_same_seed_same_melodies_other_seed_other_melodies(bundle):
    def melodies(seed: int, count: int) -> list[tuple[str, ...]]:
        request = Request(length=30, sampling=Sampling(2.0), seed=seed, count=count)
        return [g.codes for g in compose(bundle, request, primer()).melodies]

    first = melodies(4, 3)
    assert first == melodies(4, 3)
    assert first != melodies(5, 3)
    assert len(set(first)) == 3  # each melody has its own generator
    assert melodies(4, 1) == first[:1]  # melody 1 does not depend on the count


def test_constraints_hold_in_generated_melodies(bundle):
    request = Request(
        bars=6,
        sampling=Sampling(2.5),
        seed=2,
        count=4,
        key="G major",
        pitch_range="d..a",
        end_on_tonic=True,
    )
    result = compose(bundle, request, primer())
    scale = parse_scale("G major")
    for g in result.melodies:
        assert g.melody.key == "G major" and g.melody.time_signature == "2/4"
        for code in g.codes:
            pitch = parse_code(code).pitch
            if pitch is not None:
                assert scale.contains(pitch.midi) and 62 <= pitch.midi <= 69, code
        # the primer (2.5 quarters) ends in bar 2, which is completed, then 6 bars
        time = Fraction(0)
        for note in g.melody.notes:
            assert time % 2 + note.duration <= 2
            time += note.duration
        assert time == 16
        last = parse_code(g.codes[-1])
        assert last.pitch is not None and last.pitch.midi % 12 == 7
        assert g.stats["in_scale_rate"] == 1.0


def test_conflicting_constraints_and_unknown_primer_codes_are_one_line_errors(bundle):
    with pytest.raises(InputError, match=r"key F# major-pentatonic leaves none") as err:
        compose(bundle, Request(key="F# pentatonic"), primer())
    assert "\n" not in str(err.value)
    with pytest.raises(InputError, match="codes the model never saw: fis8 a2"):
        compose(bundle, Request(), Primer(("g8", "fis8", "a2", "e4"), "codes"))
    with pytest.raises(InputError, match="the model reads windows of 4"):
        load_primer("g8 e8", 4)


def test_a_score_primer_gives_its_key_metre_and_first_window(bundle):
    loaded = load_primer(str(ROOT / "scores" / "nabiya.txt"), 4)
    assert loaded.codes == tuple(NABIYA[:4]) and loaded.score is not None
    result = compose(bundle, Request(length=8, sampling=Sampling(0)), loaded)
    assert "primer_score" in result.stats()
    assert load_primer("g8 e8 e4 f8 d8", 4).codes == ("g8", "e8", "e4", "f8", "d8")


def test_an_old_bundle_without_meta_still_composes(bundle, tmp_path):
    old = replace(bundle, meta={}, trained_on=(str(ROOT / "scores" / "nabiya.txt"),))
    save_bundle(old, tmp_path / "old.nabi")
    reloaded = load_bundle(tmp_path / "old.nabi")
    assert reloaded.meta == {}
    config = json.loads(__import__("zipfile").ZipFile(tmp_path / "old.nabi").read("config.json"))
    assert "meta" not in config
    primer = load_primer(" ".join(NABIYA[:4]), 4)
    result = compose(reloaded, Request(length=50, sampling=Sampling(0)), primer)
    assert result.songs_origin is None  # a file a bundle names is never read
    assert list(result.melodies[0].melody.codes) == NABIYA
    for anonymous in (reloaded, replace(bundle, meta={}, trained_on=())):
        with pytest.raises(InputError, match="give a primer with --primer"):
            compose(anonymous, Request())


@pytest.fixture(scope="module")
def written(bundle, tmp_path_factory):
    """Two melodies of four bars written in every format (engraved, synthesised, the page)."""
    out = tmp_path_factory.mktemp("written")
    request = Request(bars=4, sampling=Sampling(1.5), seed=3, count=2, key="C major", ties=True)
    result = compose(bundle, request, primer())
    return result, write_composition(result, out), out


def test_files_read_back(written):
    result, written, tmp_path = written
    assert not written.skipped
    data = json.loads((tmp_path / "generated.json").read_text(encoding="utf-8"))
    assert [m["codes"] for m in data["melodies"]] == [list(g.codes) for g in result.melodies]
    assert data["stats"]["training"]["melodies"] == 1
    for g in result.melodies:
        stem = tmp_path / f"melody_{g.index:02d}"
        expected = [(s.midi, s.start, s.duration) for s in sounding_notes(g.melody)]
        midi = pretty_midi.PrettyMIDI(str(stem.with_suffix(".mid")))
        beat = 60 / 100  # seconds per quarter at the song's tempo
        got = [
            (
                n.pitch,
                Fraction(round(n.start / beat * 48), 48),
                Fraction(round(n.get_duration() / beat * 48), 48),
            )
            for n in midi.instruments[0].notes
        ]
        assert got == expected
        back = read(stem.with_suffix(".musicxml"))[0]
        assert [(s.midi, s.start, s.duration) for s in sounding_notes(back)] == expected
        assert back.key == "C major" and back.time_signature == "2/4"
        for suffix in (".ly", ".pdf", ".png", ".mp3"):
            assert stem.with_suffix(suffix).stat().st_size > 0
        assert set(data["melodies"][g.index - 1]["files"]) == {
            "mid",
            "ly",
            "musicxml",
            "pdf",
            "png",
            "mp3",
        }
    # started from Python: the equivalent command, BUNDLE standing for the bundle's file
    assert data["started_from"] == "python"
    assert shlex.split(data["command"]) == [
        "nabi", "generate", "BUNDLE", "--primer", "g8 e8 e4 f8", "--bars", "4",
        "--temperature", "1.5", "--seed", "3", "--count", "2", "--key", "C major", "--ties",
        "--out", str(tmp_path),
    ]  # fmt: skip


def test_wav_on_request_beside_mp3(written, tmp_path):
    result = written[0]
    made = write_composition(result, tmp_path, ["wav", "mp3"])
    melodies = {f.suffix for f in made.files if f.name.startswith("melody_")}
    assert melodies == {".mid", ".wav", ".mp3"}  # the MIDI the audio is made from
    data = json.loads((tmp_path / "generated.json").read_text(encoding="utf-8"))
    assert set(data["melodies"][0]["files"]) == {"mid", "wav", "mp3"}
    assert "--formats wav,mp3" in data["command"]


def test_the_page_shows_every_melody_and_its_statistics_beside_the_training_song(written):
    from html.parser import HTMLParser
    from urllib.parse import unquote

    result, written, out = written
    page = out / "index.html"
    assert page in written.files

    class Page(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.refs: list[str] = []
            self.rows: list[list[str]] = []
            self._cells: list[str] | None = None

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            self.refs += [v for k, v in a.items() if k in ("src", "href") and v]
            if tag == "tr":
                self._cells = []
            elif tag in ("td", "th") and self._cells is not None:
                self._cells.append("")

        def handle_endtag(self, tag):
            if tag == "tr" and self._cells is not None:
                self.rows.append(self._cells)
                self._cells = None

        def handle_data(self, data):
            if self._cells:
                self._cells[-1] += data

    parsed = Page()
    parsed.feed(page.read_text(encoding="utf-8"))
    # every melody's image, audio and files, linked relatively and present
    for g in result.melodies:
        for suffix in (".png", ".mp3", ".mid", ".ly", ".musicxml", ".pdf"):
            assert f"melody_{g.index:02d}{suffix}" in parsed.refs
    assert parsed.refs and all((out / unquote(r)).is_file() for r in parsed.refs)
    # every file of the run is linked, generated.json among them
    files = {p.name for p in out.iterdir() if p.is_file() and p.name != "index.html"}
    assert files <= {unquote(r) for r in parsed.refs} and "generated.json" in files
    # the statistics table: a row per melody, all generated, the training song, as in the JSON
    data = json.loads((out / "generated.json").read_text(encoding="utf-8"))
    rows: dict[str, list[str]] = {}
    for r in parsed.rows:  # the statistics table comes before the interval histogram
        rows.setdefault(r[0], r[1:])
    expected = {
        "melody 1": data["melodies"][0]["stats"],
        "melody 2": data["melodies"][1]["stats"],
        "all generated": data["stats"]["generated"],
        "training (1 song)": data["stats"]["training"],
    }
    for label, stats in expected.items():
        notes, _, span, entropy = rows[label][:4]
        assert int(notes) == stats["notes"] and int(span) == stats["span_semitones"]
        assert float(entropy) == pytest.approx(stats["pitch_class_entropy_bits"], abs=0.006)
    # the interval histogram: shares of the training song's intervals add up to 100%
    histogram = [r for r in parsed.rows if r[0].startswith("training")][1]
    shares = [int(c.rstrip("%")) for c in histogram[1:]]
    assert len(shares) == 17 and 97 <= sum(shares) <= 103
    training = data["stats"]["training"]["intervals"]
    steps = sum(v for k, v in training.items() if int(k) == -2) / sum(training.values())
    assert shares[6] == round(steps * 100)  # the -2 column


def test_nabi_generate_command(bundle_path, tmp_path):
    out = tmp_path / "gen"
    result = nabi(
        "generate",
        str(bundle_path),
        "--primer",
        "g8 e8 e4 f8",
        "--bars",
        "4",
        "--key",
        "--end-on-tonic",
        "--count",
        "2",
        "--seed",
        "7",
        "--formats",
        "mid,ly",
        "--out",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    assert "constraints: key C major; whole bars of 2/4; ending on the tonic C" in result.stdout
    assert "training (1 song)" in result.stdout and "copied n=4" in result.stdout
    data = json.loads((out / "generated.json").read_text(encoding="utf-8"))
    assert len(data["melodies"]) == 2 and data["request"]["seed"] == 7
    assert data["started_from"] == "command line"
    assert shlex.split(data["command"]) == [
        "nabi", "generate", str(bundle_path), "--primer", "g8 e8 e4 f8", "--bars", "4",
        "--key", "--end-on-tonic", "--count", "2", "--seed", "7", "--formats", "mid,ly",
        "--out", str(out),
    ]  # fmt: skip
    assert sorted(p.name for p in out.iterdir()) == [
        "generated.json",
        "melody_01.ly",
        "melody_01.mid",
        "melody_02.ly",
        "melody_02.mid",
    ]


def test_nabi_generate_bad_options_fail_before_loading_the_model(bundle_path, tmp_path):
    bad = tmp_path / "bad"
    for args, message in (
        (["--range", "c'..c"], "the low end is above the high end"),
        (["--temperature", "-1"], "--temperature -1.0: expected a number from 0 to 100"),
        (["--key", "H major"], "is not a key or scale"),
        (["--time-signature", "5/7"], "time signature '5/7' cannot be written"),
        (["--length", "4", "--bars", "2"], "not allowed with argument"),
        (["--instrument", "kazoo-9000"], "kazoo-9000"),
        (
            ["--formats", "mid,wav", "--audio-format", "mp3"],
            "--formats names wav but --audio-format is mp3",
        ),
    ):
        result = nabi("generate", str(bundle_path), *args, "--out", str(bad))
        assert result.returncode == 2, (args, result.stderr)
        assert message in result.stderr, result.stderr
        assert not bad.exists()
    a_file = tmp_path / "a_file"
    a_file.write_text("keep me")
    result = nabi("generate", str(bundle_path), "--out", str(a_file / "sub"))
    assert result.returncode == 2 and "is a file; expected a folder" in result.stderr
    assert a_file.read_text() == "keep me"


@pytest.mark.slow
def test_nabi_generate_bad_input_is_one_line_and_writes_nothing(bundle_path, tmp_path):
    bad = tmp_path / "bad"
    for args, message in (
        (["--primer", "g8 e8 cis4 f8"], "codes the model never saw: cis4"),
        (["--range", "a..b"], "range A4..B4 leaves none of the model's notes possible"),
        (
            ["--bars", "1", "--end-on-tonic", "--key", "a minor"],
            "ending on the tonic A leaves no final note possible",
        ),
    ):
        result = nabi("generate", str(bundle_path), *args, "--out", str(bad))
        assert result.returncode == 2, (args, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert message in result.stderr
        assert not bad.exists()


def test_a_corpus_model_composes_from_nothing_or_a_short_primer():
    """Corpus presets learn every note from a song's start (windows padded with the
    start symbol): they need no primer, or any number of notes."""
    from nabi_music.data.encoding import Vocabulary
    from nabi_music.models.builders import build_model
    from nabi_music.models.bundle import Bundle, training_meta
    from nabi_music.models.history import History
    from nabi_music.models.presets import preset

    config = preset("corpus-lstm").with_options(window=8, units=16, embedding=4)
    assert config.start_padded
    vocabulary = Vocabulary.from_codes(NABIYA)
    bundle = Bundle(
        model=build_model(config, len(vocabulary), seed=1),
        vocabulary=vocabulary,
        config=config,
        seed=1,
        history=History((), ()),
        meta=training_meta([NABIYA_MELODY]),
    )
    request = Request(bars=4, sampling=Sampling(1.0), seed=2, count=2, key="C", end_on_tonic=True)
    result = compose(bundle, request)
    for g in result.melodies:
        assert g.primer.codes == () and g.primer_notes == 0
        assert sum(n.duration for n in g.melody.notes) == 8  # four bars of 2/4
        assert parse_code(g.codes[-1]).pitch.midi % 12 == 0
    short = load_primer("g8 e8", config.window, 1)
    result = compose(bundle, Request(length=10, sampling=Sampling(0)), short)
    assert result.melodies[0].melody.codes[:2] == ["g8", "e8"]
    assert len(result.melodies[0].codes) == 10
