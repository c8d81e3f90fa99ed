"""``nabi crossval``: members cross-validated by song on the pitch and the whole code,
the figures scripts read, a cache that never hands back a stale prediction, and the
mixture trained as one bundle that ``nabi evaluate`` and ``nabi generate`` use."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
from helpers import ROOT, run_nabi

from nabi_music.cli.main import main
from nabi_music.errors import InputError
from nabi_music.evaluation.benchmark import cross_validate_members
from nabi_music.evaluation.cache import PredictionCache, code_version
from nabi_music.evaluation.crossval import CorpusOptions
from nabi_music.evaluation.members import Member, member, parse_members
from nabi_music.models.presets import preset
from nabi_music.music.notes import Melody
from nabi_music.readers import read
from nabi_music.runs.corpus import train_mixture

KINDER_20 = ROOT / "tests" / "data" / "kinder_20.abc"
SONGS = [
    "c4 d8 e8 c4 r4 c4 d8 e8 c2",
    "g4 e8 e8 f4 d8 d8 c4 d4 e4 f4 g2",
    "c8 c8 g4 g4 a8 a8 g2 f4 f4 e4 r8 e8 d2",
    "e4 d4 c4 d4 e8 e8 e4 r4 d4 d4 d2",
    "c4 e4 g4 c'4 g8 e8 c2",
    "d4 e8 f8 d4 e4 c4 d2",
    "g4 a8 g8 f4 e4 f4 g2 d4 e4 f2",
    "c4 d4 e4 f4 g4 a4 b4 c'2",
    "c'4 b8 a8 g4 f4 e4 d4 c2",
    "e4 e8 f8 g4 g4 f4 e4 d4 c4 r4 c4 d4 e4 d2",
    "g4 g8 a8 g4 c'4 b2",
    "f4 e4 d4 c4 d8 e8 f4 g4 a2",
]
NGRAMS = "ngram,interval-ngram,mix"


def _songs(texts=SONGS) -> list[Melody]:
    return [Melody.from_codes(s.split(), title=f"song {k + 1}") for k, s in enumerate(texts)]


def test_members_are_named_and_refused_with_what_is_known():
    members = parse_members("lstm,ngram-3,interval-ngram,mix", epochs=7)
    assert [m.kind for m in members] == ["network", "ngram", "interval", "mixture"]
    assert members[0].config.epochs == 7 and members[1].orders == (3,)
    assert len(member("interval-ngram").orders) > 1
    for bad, message in [
        ("lstm,oracle", "unknown member 'oracle'"),
        ("ngram,mix", "at least two other members"),
        ("ngram,ngram", "named twice"),
        ("", "at least one"),
    ]:
        with pytest.raises(InputError, match=message):
            parse_members(bad)


def test_every_member_on_both_tasks_fold_by_fold():
    bench = cross_validate_members(_songs(), parse_members(NGRAMS), folds=3, seed=1)
    data = bench.to_dict()
    assert data["key_normalised"] is False and data["folds"] == 3 and data["songs"] == 12
    pitches = sum(1 for s in _songs() for n in s.notes if n.pitch is not None)
    notes = {"pitch": pitches, "code": sum(len(s.notes) for s in _songs())}
    assert {k: v["notes"] for k, v in data["tasks"].items()} == notes
    for name in ("ngram", "interval-ngram", "mix"):
        for task in ("pitch", "code"):
            figures = data["members"][name][task]
            assert set(figures) >= {"bits_pooled", "bits_song_mean", "top1", "top3"}
            assert figures["notes"] == notes[task] and figures["songs"] == 12  # each song once
            assert len(figures["folds"]) == 3
            assert sum(f["notes"] for f in figures["folds"]) == notes[task]
            pooled = np.average(
                [f["bits_pooled"] for f in figures["folds"]],
                weights=[f["notes"] for f in figures["folds"]],
            )
            assert figures["bits_pooled"] == pytest.approx(pooled)
            song_means = bench.pooled(task, name)
            song_bits = song_means.song_pitch_bits if task == "pitch" else song_means.song_bits
            assert figures["bits_song_mean"] == pytest.approx(np.mean(song_bits))
            assert 0 <= figures["top1"] <= figures["top3"] <= 1
    mix = data["members"]["mix"]["code"]["folds"][0]
    assert sum(mix["weights"].values()) == pytest.approx(1.0)
    assert set(mix["orders"]) == {"ngram", "interval-ngram"} and "spread_order" in mix
    assert "spread_order" not in data["members"]["mix"]["pitch"]["folds"][0]  # a code a pitch
    tables = bench.tables()
    assert "NOT key-normalised" in tables and tables.count("bits/note, fold by fold") == 2
    normalised = cross_validate_members(
        _songs(), parse_members(NGRAMS), folds=3, key_normalised=True, tasks=("pitch",)
    )
    assert normalised.to_dict()["key_normalised"] is True
    assert "songs key-normalised" in normalised.tables()


def test_a_stale_prediction_is_never_reused(tmp_path):
    """Every prediction is kept under its code version, corpus and settings: the same
    run reuses them all; a changed duration recomputes the code task's and reuses the
    pitch task's; another seed, key normalisation or code version, or an entry whose
    stored key is another's, is computed again."""
    members = parse_members(NGRAMS)

    def run(songs=None, code=None, **settings):
        cache = PredictionCache(tmp_path / "cache", **({"code": code} if code else {}))
        bench = cross_validate_members(songs or _songs(), members, folds=3, cache=cache, **settings)
        return bench, cache

    first, cache = run()
    assert cache.hits == 0 and cache.misses > 0
    again, cache = run()
    assert (cache.hits, cache.misses) == (first.cache.misses, 0)
    assert again.to_dict()["members"]["mix"]["code"]["bits_pooled"] == pytest.approx(
        first.to_dict()["members"]["mix"]["code"]["bits_pooled"]
    )
    assert all(f["cached"] for f in again.to_dict()["members"]["ngram"]["code"]["folds"])
    changed = list(SONGS)
    changed[0] = changed[0].replace("c2", "c4.")  # a duration: the pitches are the same
    _, cache = run(songs=_songs(changed))
    per_task = first.cache.misses // 2
    assert (cache.hits, cache.misses) == (per_task, per_task)
    for settings in ({"seed": 2}, {"key_normalised": True}, {"code": "another version"}):
        _, cache = run(**settings)
        assert cache.hits == 0, settings
    # a file whose stored key is another entry's is not reused
    shutil.rmtree(tmp_path / "cache")
    run()
    (two,) = (tmp_path / "cache").glob("pitch-ngram-2-0-*.npz")
    (three,) = (tmp_path / "cache").glob("pitch-ngram-3-0-*.npz")
    shutil.copy(three, two)
    _, cache = run()
    assert cache.misses == 1
    assert code_version() == code_version() != code_version(("nabi_music.version",))


@pytest.mark.slow
def test_networks_are_cross_validated_and_their_predictions_kept(tmp_path):
    tiny = preset("corpus-lstm").with_options(
        units=16, embedding=8, window=12, batch_size=32, epochs=1, members=1
    )
    members = (Member("tiny", "network", tiny), *parse_members("ngram,interval-ngram,mix"))
    songs = read(str(KINDER_20))
    cache = PredictionCache(tmp_path)
    bench = cross_validate_members(songs, members, folds=2, cache=cache, tasks=("code",))
    tiny_folds = bench.to_dict()["members"]["tiny"]["code"]["folds"]
    assert [f["epochs"] for f in tiny_folds] == [1, 1]
    assert all(not f["cached"] and f["seconds"] > 0 for f in tiny_folds)
    mix_weights = bench.to_dict()["members"]["mix"]["code"]["folds"][0]["weights"]
    assert set(mix_weights) == {"tiny", "ngram", "interval-ngram"}
    again = cross_validate_members(
        songs, members, folds=2, cache=PredictionCache(tmp_path), tasks=("code",)
    )
    assert all(f["cached"] for f in again.to_dict()["members"]["tiny"]["code"]["folds"])
    assert again.pooled("code", "tiny").bits == pytest.approx(bench.pooled("code", "tiny").bits)


def test_nabi_crossval_writes_the_json_scripts_read(tmp_path, capsys):
    out, table = tmp_path / "cv.json", tmp_path / "cv.txt"
    args = ["crossval", "--corpus", str(KINDER_20), "--folds", "2", "--members", NGRAMS]
    code = main([*args, "--json", str(out), "--table", str(table), "--cache", str(tmp_path)])
    printed = capsys.readouterr().out
    assert code == 0
    data = json.loads(out.read_text())
    assert (data["key_normalised"], data["folds"], data["songs"]) == (False, 2, 20)
    assert any("mix" in name for name in data["members"])
    grams = [name for name in data["members"] if "gram" in name]
    assert grams == ["ngram", "interval-ngram"]
    for figures in data["members"].values():
        for task in ("pitch", "code"):
            assert {"bits_pooled", "bits_song_mean", "top1", "top3"} <= set(figures[task])
    assert table.read_text() in printed and "NOT key-normalised" in printed
    assert main([*args, "--key-normalise", "--json", str(out), "--no-cache"]) == 0
    assert json.loads(out.read_text())["key_normalised"] is True
    assert "key-normalised (every song moved" in capsys.readouterr().out
    assert main([*args[:-1], "ngram,oracle"]) == 2
    assert "unknown member 'oracle'" in capsys.readouterr().err


def test_nabi_crossval_help_is_light():
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "nabi_music.cli", "crossval", "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode == 0 and "--key-normalise" in result.stdout
    imported = {
        line.rsplit("|", 1)[1].strip().split(".")[0]
        for line in result.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    assert not imported & {"tensorflow", "keras", "music21", "matplotlib", "soundfile"}


@pytest.mark.slow
def test_a_mixture_trains_into_one_bundle_that_evaluate_and_generate_use(tmp_path, capsys):
    bundle, summary = tmp_path / "mix.nabi", tmp_path / "train.json"
    code = main([
        "train", "--corpus", str(KINDER_20), "--preset", "mixture", "--parts",
        "lstm,ngram,interval-ngram", "--epochs", "1", "--split", "70/15/15",
        "-o", str(bundle), "--json", str(summary), "--quiet",
    ])  # fmt: skip
    printed = capsys.readouterr().out
    assert code == 0 and bundle.is_file()
    assert "mixture chosen on the validation songs: lstm" in printed
    trained = json.loads(summary.read_text())
    assert [p["name"] for p in trained["mixture"]["parts"]] == ["lstm", "ngram", "interval-ngram"]
    # the bundle scores its test songs as the parts' predictions mixed do
    mixed = trained["info"]["mix"]
    assert sum(mixed["weights"].values()) == pytest.approx(1.0)
    evaluated = tmp_path / "eval.json"
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "nabi_music.cli", "evaluate", str(bundle),
         "--json", str(evaluated)],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert "tensorflow" not in result.stderr and "mixture" in result.stdout
    scores = json.loads(evaluated.read_text())
    assert scores["model"]["bits"] == pytest.approx(trained["model"]["bits"])
    assert scores["model"]["songs"] == 3
    result = run_nabi(
        "generate", str(bundle), "--count", "2", "--length", "8", "--formats", "mid",
        "--out", str(tmp_path / "gen"),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert len(list((tmp_path / "gen").glob("melody_*.mid"))) == 2
    result = run_nabi("train", "--corpus", str(KINDER_20), "--preset", "mixture", "--folds", "3")
    assert result.returncode == 2 and "nabi crossval" in result.stderr


def test_the_mixture_bundle_mixes_as_the_crossval_does(tmp_path):
    """Trained on one split (n-grams only: no network to train), the bundle's own runner
    scores the test songs as the parts' predictions mixed do."""
    trained = train_mixture(
        [str(KINDER_20)],
        "ngram,interval-ngram",
        tmp_path / "mix.nabi",
        options=CorpusOptions(),
        read_options={},
        validation=0.15,
        test=0.15,
    )
    assert trained.scores["mix"].bits == pytest.approx(trained.mixed.bits, abs=1e-9)
    assert trained.scores["mix"].song_bits == pytest.approx(trained.mixed.song_bits, abs=1e-9)
