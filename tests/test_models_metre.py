"""The metre-aware preset (corpus-metre): trained on songs' context rows, saved as a
bundle whose NumPy runner predicts as Keras does, scored by ``nabi evaluate``, composing
in any metre with ``nabi generate``, and a member of ``nabi crossval``."""

from __future__ import annotations

import json

import numpy as np
import pytest
from helpers import ROOT, run_nabi

from nabi_music.data.context import CodeParts, code_log_probs, references, song_rows
from nabi_music.data.corpus import folds, take
from nabi_music.data.encoding import Vocabulary
from nabi_music.evaluation.benchmark import cross_validate_members
from nabi_music.evaluation.cache import PredictionCache
from nabi_music.evaluation.members import Member, parse_members
from nabi_music.evaluation.scores import network_log_probs
from nabi_music.models.bundle import load_bundle, save_bundle
from nabi_music.models.metre_runner import for_song
from nabi_music.models.presets import MetreConfig, preset
from nabi_music.music.metre import bar_length
from nabi_music.music.notes import parse_code
from nabi_music.readers import read
from nabi_music.training.metre_fit import fit_metre_bundle, metre_log_probs

KINDER_20 = ROOT / "tests" / "data" / "kinder_20.abc"
TINY = MetreConfig(units=16, embedding=4, window=12, epochs=2, batch_size=32, members=2)


@pytest.fixture(scope="module")
def songs():
    return read(str(KINDER_20))


def test_the_runner_predicts_as_keras_and_the_bundle_round_trips(songs, tmp_path):
    split = folds(len(songs), 4, seed=1)[0]
    vocabulary = Vocabulary.from_melodies(songs)
    bundle, report = fit_metre_bundle(
        take(songs, split.train), take(songs, split.validation), TINY, vocabulary=vocabulary
    )
    assert len(report.logs["loss"]) == 2 and bundle.history.kept_epoch in (1, 2)
    path = save_bundle(bundle, tmp_path / "metre.nabi")
    loaded = load_bundle(path)
    assert loaded.config == bundle.config and loaded.weights is not None  # no Keras needed
    parts = CodeParts.of(vocabulary)
    for song in take(songs, split.test):
        steps, lengths = metre_log_probs(bundle.model, bundle.config, song_rows(song, False)[0])
        keras_lp = code_log_probs(steps, lengths, references(song, False), parts)
        runner = for_song(loaded.runner(), song)
        numpy_lp, start = network_log_probs(runner, loaded.table, vocabulary.encode(song.codes))
        assert start == 0 and numpy_lp.shape == keras_lp.shape
        assert np.abs(numpy_lp - keras_lp).max() < 1e-4
        assert np.allclose(np.exp(numpy_lp).sum(axis=1), 1.0)
    # the metre changes what it predicts: the same codes read in 3/4 and in 2/4
    song = songs[0]
    three = for_song(loaded.runner(), song.with_notes(song.notes))
    lp3, _ = network_log_probs(
        three.in_setting("3/4", song.key), loaded.table, vocabulary.encode(song.codes)
    )
    lp2, _ = network_log_probs(
        three.in_setting("2/4", song.key), loaded.table, vocabulary.encode(song.codes)
    )
    assert not np.allclose(lp3, lp2)


@pytest.mark.slow
def test_nabi_trains_evaluates_and_composes_with_corpus_metre(tmp_path):
    bundle, summary = tmp_path / "metre.nabi", tmp_path / "train.json"
    result = run_nabi(
        "train", "--corpus", str(KINDER_20), "--preset", "corpus-metre", "--epochs", "2",
        "--members", "1", "--split", "70/15/15", "-o", str(bundle), "--json", str(summary),
        "--quiet",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    trained = json.loads(summary.read_text())
    evaluated = tmp_path / "eval.json"
    result = run_nabi("evaluate", str(bundle), "--json", str(evaluated))
    assert result.returncode == 0, result.stderr
    # the test songs travel with their metre, upbeat and key: the same figures
    assert json.loads(evaluated.read_text())["model"]["bits"] == pytest.approx(
        trained["model"]["bits"]
    )
    out = tmp_path / "gen"
    result = run_nabi(
        "generate", str(bundle), "--count", "3", "--bars", "4", "--time-signature", "3/4",
        "--key", "F major", "--end-on-tonic", "--formats", "mid", "--out", str(out),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    generated = json.loads((out / "generated.json").read_text())
    for melody in generated["melodies"]:
        codes = melody["codes"]
        assert sum(parse_code(c).duration for c in codes) == 4 * bar_length("3/4")
        assert codes[-1].startswith("f")
    # what it cannot do is refused in one line, before anything trains
    for extra, words in (("--pitch-only", "without --pitch-only"), ("--strategy", "one device")):
        args = [extra, "mirrored"] if extra == "--strategy" else [extra]
        result = run_nabi(
            "train", "--corpus", str(KINDER_20), "--preset", "corpus-metre", *args,
            "-o", str(tmp_path / "no.nabi"),
        )  # fmt: skip
        assert result.returncode == 2 and words in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
        assert not (tmp_path / "no.nabi").exists()


def test_metre_is_a_crossval_member_on_both_tasks(songs, tmp_path):
    members = (Member("metre", "metre", TINY), *parse_members("ngram,interval-ngram,mix"))
    bench = cross_validate_members(songs, members, folds=2, cache=PredictionCache(tmp_path))
    data = bench.to_dict()["members"]
    for task in ("pitch", "code"):
        figures = data["metre"][task]
        assert np.isfinite(figures["bits_pooled"]) and 0 < figures["bits_pooled"] < 10
        assert set(data["mix"][task]["folds"][0]["weights"]) == {
            "metre",
            "ngram",
            "interval-ngram",
        }
    again = cross_validate_members(songs, members, folds=2, cache=PredictionCache(tmp_path))
    assert all(f["cached"] for f in again.to_dict()["members"]["metre"]["code"]["folds"])
    assert preset("corpus-metre") == MetreConfig()
    assert parse_members("metre,ngram,mix")[0].kind == "metre"


@pytest.mark.slow
def test_a_mixture_with_the_metre_network_is_one_bundle_evaluate_and_generate_use(tmp_path):
    bundle, summary = tmp_path / "mix.nabi", tmp_path / "train.json"
    result = run_nabi(
        "train", "--corpus", str(KINDER_20), "--preset", "mixture", "--parts",
        "metre,ngram,interval-ngram", "--epochs", "1", "--split", "70/15/15",
        "-o", str(bundle), "--json", str(summary), "--quiet",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    trained = json.loads(summary.read_text())
    assert [p["kind"] for p in trained["mixture"]["parts"]] == ["metre", "ngram", "interval"]
    loaded = load_bundle(bundle)
    assert loaded.networks["metre"].config.preset == "corpus-metre"
    evaluated = tmp_path / "eval.json"
    result = run_nabi("evaluate", str(bundle), "--json", str(evaluated))
    assert result.returncode == 0, result.stderr
    # the bundle's runner scores the test songs as the crossval's mixing of its parts did
    scores = json.loads(evaluated.read_text())["model"]
    assert scores["bits"] == pytest.approx(trained["model"]["bits"], abs=1e-6)
    result = run_nabi(
        "generate", str(bundle), "--count", "2", "--bars", "4", "--time-signature", "6/8",
        "--formats", "mid", "--out", str(tmp_path / "gen"),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    generated = json.loads((tmp_path / "gen" / "generated.json").read_text())
    for melody in generated["melodies"]:
        assert sum(parse_code(c).duration for c in melody["codes"]) == 4 * bar_length("6/8")
    result = run_nabi(
        "train", "--corpus", str(KINDER_20), "--preset", "mixture", "--parts",
        "metre,ngram", "--pitch-only", "-o", str(tmp_path / "no.nabi"),
    )  # fmt: skip
    assert result.returncode == 2 and "without --pitch-only" in result.stderr
