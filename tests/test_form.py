"""Songs in a form from `nabi generate --form`: phrases of whole bars ending on cadences
(a note of a beat or more on a strong beat), exact or varied repeats, the last phrase
on the tonic; with every kind of bundle (tutorial, corpus, mixture), untrained, so
the guarantees come from the planner and not from the model."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest
from helpers import run_nabi as nabi

from nabi_music.data.encoding import Vocabulary
from nabi_music.errors import InputError
from nabi_music.evaluation.crossval import CorpusOptions
from nabi_music.models.builders import build_model
from nabi_music.models.bundle import Bundle, save_bundle, training_meta
from nabi_music.models.history import History
from nabi_music.models.mixture import MixtureBundle, MixtureConfig, Part
from nabi_music.models.presets import preset
from nabi_music.music.metre import bar_length, beat_length, strong_positions
from nabi_music.music.notes import Melody, parse_code
from nabi_music.prediction.compose import Request, compose
from nabi_music.prediction.form import Form, parse_form
from nabi_music.prediction.sampling import Sampling
from nabi_music.runs.generate import write_composition

SONG = (
    "c4 e4 g4 g4 a4 a4 g2 f4 f4 e4 e4 d4 d4 c2 g4 g4 f8 f8 f4 e4 e4 d2 "
    "g8 g8 f8 f8 e4 r4 c4 e4 g4 g4 a4 a4 g2 f4 f4 e8 e8 e4 d4 d4 c2"
)
MELODY = Melody.from_codes(SONG, title="song", key="C major", time_signature="2/4")
OTHER = Melody.from_codes(
    "c4 d8 e8 c4 r4 c4 d8 e8 c2 g4 e8 e8 f4 d8 d8 c4 d4 e4 f4 g2",
    title="other",
    key="C major",
    time_signature="2/4",
)


def _tutorial_bundle() -> Bundle:
    config = preset("stateful-lstm")
    vocabulary = Vocabulary.from_codes(MELODY.codes + OTHER.codes)
    return Bundle(
        build_model(config, len(vocabulary), seed=1),
        vocabulary,
        config,
        1,
        History((), ()),
        meta=training_meta([MELODY, OTHER]),
    )


def _corpus_bundle() -> Bundle:
    config = preset("corpus-lstm").with_options(window=8, units=16, embedding=4, members=1)
    vocabulary = Vocabulary.from_codes(MELODY.codes + OTHER.codes)
    meta = {**training_meta([MELODY, OTHER]), "corpus_options": CorpusOptions().to_dict()}
    return Bundle(
        build_model(config, len(vocabulary), seed=1),
        vocabulary,
        config,
        1,
        History((), ()),
        meta=meta,
    )


def _mixture_bundle() -> MixtureBundle:
    net = _corpus_bundle()
    config = MixtureConfig(
        parts=(
            Part("lstm", "network", 0.3),
            Part("ngram", "ngram", 0.3, order=3),
            Part("interval-ngram", "interval", 0.4, order=2),
        ),
        window=8,
        spread_order=2,
    )
    return MixtureBundle(net.vocabulary, config, {"lstm": net}, 1, meta=dict(net.meta))


@pytest.fixture(scope="module")
def bundles() -> dict[str, Bundle | MixtureBundle]:
    return {
        "tutorial": _tutorial_bundle(),
        "corpus": _corpus_bundle(),
        "mixture": _mixture_bundle(),
    }


def check_song(g, form: Form, time_signature: str, tonic: int) -> None:
    """Everything a form promises, checked on the melody's notes."""
    bar, beat = bar_length(time_signature), beat_length(time_signature)
    strong = strong_positions(time_signature)
    phrase = form.phrase_bars * bar
    notes = g.melody.notes
    starts, time = [], Fraction(0)
    for note in notes:
        starts.append(time)
        assert time % bar + note.duration <= bar, "a note crosses a bar line"
        time += note.duration
    assert time == form.bars * bar  # the length, exactly
    assert [(p.first_bar, p.last_bar) for p in g.phrases] == [
        (k * form.phrase_bars + 1, (k + 1) * form.phrase_bars) for k in range(len(form.letters))
    ]
    by_phrase: list[list[int]] = [[] for _ in form.letters]
    for i, (start, note) in enumerate(zip(starts, notes, strict=True)):
        k = int(start // phrase)
        assert start + note.duration <= (k + 1) * phrase, "a note crosses a phrase's end"
        by_phrase[k].append(i)
    for k, indices in enumerate(by_phrase):
        pitched = [i for i in indices if notes[i].pitch is not None]
        last = pitched[-1]
        assert all(notes[i].pitch is None for i in indices if i > last)  # rests after it
        cadence = notes[last]
        assert cadence.duration >= beat and not cadence.tie
        position = starts[last] - k * phrase
        assert position >= phrase - bar, "the cadence is not in the phrase's last bar"
        assert position % bar in strong, "the cadence is not on a strong beat"
        if form.letters[k] == form.letters[-1]:
            assert cadence.pitch.midi % 12 == tonic
    # repeats: the same codes as their phrase, or (varied) the same rhythm
    codes = g.melody.codes
    for k, source in enumerate(form.sources()):
        if source is None:
            continue
        mine = [codes[i] for i in by_phrase[k]]
        theirs = [codes[i] for i in by_phrase[source]]
        if form.vary == 0:
            assert mine == theirs
        assert [parse_code(c).duration for c in mine] == [parse_code(c).duration for c in theirs]
        assert g.phrases[k].kind == ("repeat" if mine == theirs else "variant")
        assert g.phrases[k].changed == sum(a != b for a, b in zip(mine, theirs, strict=True))


@pytest.mark.parametrize("kind", ["tutorial", "corpus", "mixture"])
def test_every_kind_of_bundle_composes_a_form(bundles, kind):
    form = Form("AABA", 4)
    request = Request(form="AABA", phrase_bars=4, sampling=Sampling(1.5), seed=3, count=3)
    result = compose(bundles[kind], request)
    assert "form AABA of 4-bar phrases" in "; ".join(result.constraints)
    for g in result.melodies:
        check_song(g, form, "2/4", 0)
        assert [p.kind for p in g.phrases][::2] == ["new", "new"]


def test_other_metres_and_keys(bundles):
    for metre, key, tonic in (("4/4", "G major", 7), ("3/4", "a minor", 9), ("6/8", "C", 0)):
        form = Form("ABAC", 2)
        request = Request(
            form="ABAC",
            phrase_bars=2,
            sampling=Sampling(2.0),
            seed=5,
            count=4,
            key=key,
            time_signature=metre,
            no_syncopation=True,
        )
        for g in compose(bundles["corpus"], request).melodies:
            check_song(g, form, metre, tonic)
            assert g.stats["rhythm"]["syncopation_rate"] == 0.0


def test_varied_repeats_keep_the_rhythm_and_change_some_notes(bundles):
    form = Form("ABAB", 2, 1.0)
    request = Request(form="ABAB", phrase_bars=2, vary=1.0, sampling=Sampling(3.0), count=4)
    result = compose(bundles["corpus"], request)
    changed = 0
    for g in result.melodies:
        check_song(g, form, "2/4", 0)
        changed += sum(p.changed for p in g.phrases)
        assert all(p.resampled > 0 for p in g.phrases[2:])
    assert changed > 0
    # and the same seed gives the same song
    again = compose(bundles["corpus"], request)
    assert [g.codes for g in again.melodies] == [g.codes for g in result.melodies]


def test_a_primer_opens_the_first_phrase(bundles):
    request = Request(form="AB", phrase_bars=4, sampling=Sampling(1.0), seed=2, count=2)
    result = compose(bundles["tutorial"], request)
    for g in result.melodies:
        assert g.primer.codes and g.melody.codes[: len(g.primer.codes)] == list(g.primer.codes)
        check_song(g, Form("AB", 4), "2/4", 0)
    with pytest.raises(InputError, match="the primer lasts 4 quarters, and the first phrase"):
        compose(bundles["tutorial"], Request(form="AB", phrase_bars=2))


def test_the_json_records_the_form_and_its_phrases(bundles, tmp_path):
    request = Request(form="AAB", phrase_bars=2, vary=0.5, seed=1, count=2, key="C major")
    result = compose(bundles["corpus"], request)
    write_composition(result, tmp_path, ["mid", "html"])
    data = json.loads((tmp_path / "generated.json").read_text(encoding="utf-8"))
    assert data["form"] == {"form": "AAB", "phrase_bars": 2, "vary": 0.5}
    phrases = data["melodies"][0]["phrases"]
    assert [p["bars"] for p in phrases] == [[1, 2], [3, 4], [5, 6]]
    assert [p["of"] for p in phrases] == [None, 1, None]
    assert phrases[1]["kind"] in ("repeat", "variant") and phrases[2]["kind"] == "new"
    assert "--form AAB --phrase-bars 2 --vary 0.5" in data["command"]
    assert {r["figure"] for r in data["stats"]["comparison"]} >= {
        "onsets_on_beats",
        "syncopation_rate",
        "bar_repetition",
    }
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "form AAB: A bars 1-2; A bars 3-4" in page
    assert "Against the training songs" in page and "Rhythm" in page


def test_forms_and_options_are_checked():
    assert parse_form("aaba") == "AABA" and parse_form("AB-AB") == "ABAB"
    for bad, message in (
        ("A1B", "is not a form: expected phrase letters A-Z"),
        ("", "is not a form"),
        ("A" * 65, "expected at most 64"),
    ):
        with pytest.raises(InputError, match=message):
            Form(bad)
    with pytest.raises(InputError, match="--phrase-bars 0: expected a whole number"):
        Form("AB", 0)
    with pytest.raises(InputError, match=r"--vary 1\.5: expected a probability"):
        Form("AB", 2, 1.5)
    with pytest.raises(InputError, match="--vary varies a form's repeated phrases"):
        Request(vary=0.5)
    with pytest.raises(InputError, match="--phrase-bars sets the length"):
        Request(phrase_bars=2)
    with pytest.raises(InputError, match="leave out --length"):
        Request(form="AB", length=10)
    with pytest.raises(InputError, match="--bars 6 but --form AB of 4-bar phrases makes 8"):
        Request(form="AB", bars=6)
    assert Request(form="AB", bars=8).song_form == Form("AB", 4)


def test_a_form_the_codes_cannot_make_is_refused_before_generating(bundles):
    # the model knows no B: the planner names the conflict
    with pytest.raises(InputError) as err:
        compose(bundles["corpus"], Request(form="AB", phrase_bars=2, key="B minor"))
    assert "\n" not in str(err.value) and "cannot generate" in str(err.value)
    with pytest.raises(InputError, match="the form AB: phrase 2 cannot fill 1 bar of 5/8"):
        compose(
            bundles["corpus"],
            Request(form="AB", phrase_bars=1, time_signature="5/8", key="C major"),
        )


@pytest.fixture(scope="module")
def bundle_path(bundles, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("form") / "corpus.nabi"
    save_bundle(bundles["corpus"], path)
    return path


def test_nabi_generate_form(bundle_path, tmp_path):
    out = tmp_path / "gen"
    result = nabi(
        "generate", str(bundle_path), "--form", "AABA", "--phrase-bars", "2", "--vary", "0.3",
        "--count", "2", "--formats", "mid", "--out", str(out),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "phrases: A bars 1-2; A bars 3-4" in result.stdout
    assert "onsets on beats" in result.stdout and "training songs 5%..95%" in result.stdout
    data = json.loads((out / "generated.json").read_text(encoding="utf-8"))
    assert data["request"]["form"] == "AABA" and len(data["melodies"][0]["phrases"]) == 4
    bad = tmp_path / "bad"
    for args, message in (
        (["--form", "AB7"], "--form 'AB7' is not a form"),
        (["--form", "AB", "--phrase-bars", "0"], "--phrase-bars 0: expected a whole number"),
        (["--form", "AB", "--vary", "2"], "--vary 2.0: expected a probability from 0 to 1"),
        (["--vary", "0.2"], "--vary varies a form's repeated phrases: give --form"),
        (["--phrase-bars", "2"], "--phrase-bars sets the length of a form's phrases"),
        (["--form", "AB", "--length", "9"], "leave out --length"),
        (["--form", "AB", "--bars", "3"], "--bars 3 but --form AB of 4-bar phrases makes 8"),
        (["--form", "A" * 64, "--phrase-bars", "64", "--count", "1000"], "over the limit"),
        (["--form", "AB", "--vary", "nan"], "--vary nan: expected a probability"),
    ):
        result = nabi("generate", str(bundle_path), *args, "--out", str(bad))
        assert result.returncode == 2, (args, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert message in result.stderr, result.stderr
        assert not bad.exists()


def test_no_syncopation_without_a_form(bundles):
    request = Request(bars=6, no_syncopation=True, sampling=Sampling(3.0), seed=4, count=4)
    result = compose(bundles["corpus"], request)
    assert "no syncopation (beats of 1 quarter)" in result.constraints
    for g in result.melodies:
        assert g.stats["rhythm"]["syncopation_rate"] == 0.0
        assert sum(n.duration for n in g.melody.notes) == 12
    free = compose(bundles["corpus"], Request(bars=6, sampling=Sampling(3.0), seed=4, count=4))
    assert any(g.stats["rhythm"]["syncopation_rate"] for g in free.melodies)
