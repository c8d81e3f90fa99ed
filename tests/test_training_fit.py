"""Corpus training with tf.data and Keras fit on 20 real tunes: the validation loss
falls, the learning rate falls on a plateau, the best epoch is kept, bundles reload,
the NumPy runner equals Keras, and the held-out figures beat the n-gram's first guess."""

import itertools
import json

import numpy as np
import pytest
from helpers import ROOT, run_nabi

from nabi_music.cli.main import main
from nabi_music.data.corpus import read_corpus, split_songs, take
from nabi_music.data.encoding import Factors, Vocabulary
from nabi_music.errors import InputError
from nabi_music.evaluation.crossval import CorpusOptions, prepare, run_split, score_network
from nabi_music.models.builders import build_corpus_model
from nabi_music.models.bundle import load_bundle, save_bundle
from nabi_music.models.presets import preset
from nabi_music.training.fit import (
    Schedule,
    Settling,
    fit_corpus,
    make_dataset,
    model_table,
    song_chunks,
)

KINDER_20 = ROOT / "tests" / "data" / "kinder_20.abc"


@pytest.fixture(scope="module")
def kinder():
    return read_corpus([str(KINDER_20)])


def small(name: str, **options):
    return preset(name).with_options(
        units=32, embedding=8, window=12, batch_size=16, **{"epochs": 6, "members": 1, **options}
    )


def test_the_pipeline_batches_shuffled_by_the_seed(kinder):
    vocabulary = Vocabulary.from_melodies(kinder)
    config = small("corpus-lstm")
    chunks = song_chunks(
        [vocabulary.encode(m.codes) for m in kinder], config.window, len(vocabulary)
    )
    table = model_table(vocabulary, config)

    def first_batch(seed):
        x, y, w = next(iter(make_dataset(chunks, table, 16, shuffle_seed=seed)))
        return np.asarray(x), np.asarray(y), np.asarray(w)

    a, b, c = first_batch(1), first_batch(1), first_batch(2)
    assert a[0].shape == (16, 12, 1) and a[1].shape == (16, 12)
    assert np.array_equal(a[0], b[0]) and not np.array_equal(a[0], c[0])
    assert a[0].max() == len(vocabulary)  # the start symbol pads song starts
    factors = Factors.of(vocabulary)
    _, (p, d), (wp, wd) = next(iter(make_dataset(chunks, table, 4, factors=factors)))
    y = chunks.targets[:4]
    assert np.array_equal(np.asarray(wp), chunks.weights[:4]) and np.array_equal(wp, wd)
    assert np.array_equal(np.asarray(p), factors.pitch_of[y])
    assert np.array_equal(np.asarray(d), factors.duration_of[y])


def decisions(schedule: Schedule, losses) -> tuple[list[str], list[float]]:
    settling = Settling(schedule, learning_rate=0.01)
    actions, rates = [], []
    for loss in losses:
        actions.append(settling.update(loss))
        rates.append(settling.learning_rate)
    return actions, rates


def test_the_learning_rate_falls_on_a_plateau_and_training_stops_after_the_last_fall():
    plateau = [5.0, 4.0, 3.0] + [3.5] * 20
    actions, rates = decisions(Schedule(patience=2, factor=0.5, falls=2), plateau)
    assert actions[:3] == ["best"] * 3
    assert actions[3:9] == ["wait", "fall", "wait", "fall", "wait", "stop"]
    assert rates[-1] == pytest.approx(0.0025) and rates[4] == pytest.approx(0.005)
    # a better epoch resets the wait, not the falls
    actions, _ = decisions(Schedule(patience=2, falls=1), [5, 6, 6, 4, 6, 6, 6])
    assert actions == ["best", "wait", "fall", "best", "wait", "stop", "stop"]


def test_the_schedule_waits_for_the_minimum_epochs_and_in_proportion_to_progress():
    actions, _ = decisions(Schedule(patience=1, falls=0, min_epochs=5), [3, 4, 4, 4, 4, 4])
    assert actions == ["best", "wait", "wait", "wait", "stop", "stop"]
    # best at epoch 10: a patience of half the epochs so far is 5, not 2
    losses = list(np.linspace(5, 3, 10)) + [4.0] * 6
    actions, _ = decisions(Schedule(patience=2, falls=0, progress=0.5), losses)
    assert actions[10:] == ["wait"] * 4 + ["stop", "stop"]
    # patience 0: a constant learning rate, never a stop
    actions, rates = decisions(Schedule(patience=0), [3] + [4] * 30)
    assert set(actions[1:]) == {"wait"} and set(rates) == {0.01}


def test_tutorial_presets_are_refused(kinder):
    with pytest.raises(InputError, match="tutorial"):
        fit_corpus(kinder[:2], kinder[2:3], preset("stateful-lstm"))


@pytest.mark.slow
def test_corpus_lstm_learns_keeps_the_best_epoch_and_reloads(kinder, tmp_path):
    split = split_songs(len(kinder), seed=1)
    vocabulary = Vocabulary.from_melodies(kinder)
    seen = []
    config = small("corpus-lstm", epochs=12, patience=2, learning_rate=0.01)
    bundle, report = fit_corpus(
        take(kinder, split.train),
        take(kinder, split.validation),
        config,
        vocabulary=vocabulary,
        seed=3,
        progress=lambda done, total, logs: seen.append((done, total, logs["val_loss"])),
    )
    val = report.logs["val_loss"]
    assert [s[0] for s in seen] == list(range(1, len(val) + 1)) and seen[0][1] == 12
    assert val[report.best_epoch - 1] == min(val) < val[0]
    assert report.logs["loss"][-1] < report.logs["loss"][0]
    assert bundle.history.stopped_early == (len(val) < 12)
    if bundle.history.stopped_early:  # a plateau after every fall: a multiple of the patience
        assert (len(val) - report.best_epoch) % 2 == 0 and len(val) >= report.best_epoch + 2
    rates = report.logs["learning_rate"]
    assert rates[0] == pytest.approx(0.01) and len(rates) == len(val)
    assert all(b in (pytest.approx(a), pytest.approx(a / 2)) for a, b in itertools.pairwise(rates))
    assert bundle.meta["fit"]["schedule"]["patience"] == 2
    # the kept weights are the best epoch's: their loss on the validation songs is its val_loss
    scores = score_network(bundle, take(kinder, split.validation))
    assert scores.bits * np.log(2) == pytest.approx(min(val), rel=0.05)
    assert bundle.meta["fit"]["best_epoch"] == report.best_epoch
    assert len(bundle.meta["songs"]) == len(split.train)

    path = save_bundle(bundle, tmp_path / "corpus.nabi")
    again = load_bundle(path)
    assert again.config == config and again.vocabulary == vocabulary
    assert again.meta["fit"]["logs"]["val_loss"] == list(val)
    x = again.table[np.random.default_rng(0).integers(0, len(vocabulary), (5, 12))]
    logits, _ = again.runner()(x)
    keras_probs = np.asarray(again.model(x))
    got = np.exp(logits - logits.max(1, keepdims=True))
    np.testing.assert_allclose(got / got.sum(1, keepdims=True), keras_probs, atol=1e-5)


def test_an_ensemble_trains_its_members_side_by_side_and_averages_their_distributions(
    kinder, tmp_path
):
    split = split_songs(len(kinder), seed=1)
    vocabulary = Vocabulary.from_melodies(kinder)
    factors = Factors.of(vocabulary)
    for name in ("corpus-lstm-2heads",):  # (a joint ensemble against Keras: test_models_tutorial)
        config = small(name, epochs=1, members=2)
        bundle, report = fit_corpus(
            take(kinder, split.train),
            take(kinder, split.validation),
            config,
            vocabulary=vocabulary,
            seed=2,
        )
        logs = report.logs
        heads = ("output",) if config.heads == "joint" else ("pitch", "duration")
        members = [sum(np.array(logs[f"val_{p}{h}_loss"]) for h in heads) for p in ("", "m2_")]
        np.testing.assert_allclose(logs["val_loss"], np.mean(members, axis=0), rtol=1e-4)
        assert len({m[-1] for m in members}) == 2  # two different networks
        again = load_bundle(save_bundle(bundle, tmp_path / f"{name}.nabi"))
        assert again.config.members == 2
        x = again.table[np.random.default_rng(0).integers(0, len(vocabulary), (5, 12))]
        log_probs, _ = again.runner()(x)
        outs = [np.asarray(o) for o in again.model(x)]
        if config.heads == "two":
            outs = [
                p[:, factors.pitch_of] * d[:, factors.duration_of]
                for p, d in zip(outs[::2], outs[1::2], strict=True)
            ]
        np.testing.assert_allclose(np.exp(log_probs), np.mean(outs, axis=0), atol=1e-6)
    # the first member starts from the weights of a one-network model of the same seed
    single = build_corpus_model(small("corpus-lstm"), len(vocabulary), seed=2)
    trio = build_corpus_model(small("corpus-lstm", members=3), len(vocabulary), seed=2)
    first = {w.path: np.asarray(w) for w in single.weights}
    shared = [w for w in trio.weights if w.path in first]
    assert len(shared) == len(first) and len(trio.weights) == 3 * len(first)
    for w in shared:
        np.testing.assert_array_equal(np.asarray(w), first[w.path])


@pytest.mark.slow
def test_a_fallen_learning_rate_reaches_the_optimizer_and_the_best_weights_are_saved(kinder):
    """A fall to a rate of 0 freezes the weights: every later validation loss is the same.
    (At 0.05 on 16 songs the model overfits within a few epochs, so a plateau comes.)"""
    split = split_songs(len(kinder), seed=1)
    config = small("corpus-lstm", epochs=12, learning_rate=0.05, dropout=0.0)
    schedule = Schedule(patience=1, factor=0.0, falls=1, min_epochs=8)
    bundle, report = fit_corpus(
        take(kinder, split.train),
        take(kinder, split.validation),
        config,
        vocabulary=Vocabulary.from_melodies(kinder),
        seed=1,
        schedule=schedule,
    )
    val, rates = report.logs["val_loss"], report.logs["learning_rate"]
    assert 0.0 in rates, "no plateau in 12 epochs at a learning rate of 0.05"
    fell = rates.index(0.0)  # the epoch after the fall trains at 0
    assert all(rate == 0.05 for rate in rates[:fell])
    assert len(set(val[fell:])) == 1  # frozen weights
    assert len(val) == max(8, fell + 1)  # the plateau after the last fall stops, not before 8
    assert val[report.best_epoch - 1] == min(val) and report.best_epoch <= fell
    scores = score_network(bundle, take(kinder, split.validation))
    assert scores.bits * np.log(2) == pytest.approx(min(val), rel=0.05)


@pytest.mark.slow
def test_two_heads_and_gru_train_and_score_beside_the_ngram(kinder):
    melodies = prepare(kinder, CorpusOptions(normalize_key=True))
    options = CorpusOptions(normalize_key=True, ngram_order=2)
    split = split_songs(len(melodies), seed=2)
    for name in ("corpus-lstm-2heads", "corpus-gru"):
        result = run_split(melodies, split, small(name, epochs=4), options, seed=1)
        for scores in (result.model, result.ngram):
            assert scores.songs == 2 and scores.notes == sum(
                len(melodies[i].notes) for i in split.test
            )
            assert 0 < scores.pitch_bits < scores.bits < np.log2(len(result.bundle.vocabulary))
            assert 0 <= scores.top1 <= scores.top3 <= 1
        assert result.bundle.meta["corpus_options"]["normalize_key"] is True
        assert result.report.logs["val_loss"][-1] < result.report.logs["val_loss"][0]


@pytest.mark.slow
def test_nabi_train_corpus_then_evaluate(tmp_path, capsys):
    """nabi train --corpus in this process (TensorFlow is loaded once), then nabi evaluate
    as a user runs it, in fresh processes."""
    bundle, summary, again = tmp_path / "k.nabi", tmp_path / "train.json", tmp_path / "eval.json"
    code = main([
        "train", "--corpus", str(KINDER_20), "--preset", "corpus-gru", "--epochs", "1",
        "--members", "2", "--split", "70/10/20", "--normalize-key", "--transpose=-1..1",
        "-o", str(bundle), "--json", str(summary), "--quiet",
    ])  # fmt: skip
    printed = capsys.readouterr().out
    assert code == 0
    assert "16 train" not in printed and "14 train, 2 validation, 4 test" in printed
    assert "3-gram (witten-bell)" in printed and bundle.is_file()
    assert "corpus-gru (2 networks side by side, averaged)" in printed
    trained = json.loads(summary.read_text())
    assert len(trained["split"]["test"]) == 4 and trained["model"]["songs"] == 4
    result = run_nabi("evaluate", str(bundle), "--json", str(again))
    assert result.returncode == 0, result.stderr
    evaluated = json.loads(again.read_text())
    assert evaluated["model"]["bits"] == pytest.approx(trained["model"]["bits"])
    assert evaluated["ngram"]["bits"] == pytest.approx(trained["ngram"]["bits"])
    rows = evaluated["per_song"]  # each song's figures with its title and file
    assert len(rows) == 4 and [r["bits"] for r in rows] == evaluated["model"]["song_bits"]
    assert [r["ngram_bits"] for r in rows] == evaluated["ngram"]["song_bits"]
    assert all(r["title"] and r["source"].endswith("kinder_20.abc") for r in rows), rows
    assert "bits/note" in result.stdout
    result = run_nabi("evaluate", str(bundle), "--corpus", str(KINDER_20))
    assert "14 of these songs are also among the bundle's training songs" in result.stdout
    result = run_nabi("train", "--corpus", str(KINDER_20), "--preset", "lstm")
    assert result.returncode == 2 and "corpus presets" in result.stderr
