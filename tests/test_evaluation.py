"""Held-out figures: bits per note (full code and pitch alone), top-k accuracy, and
the networks' predictions of every note from a song's start."""

import numpy as np
import pytest

from nabi_music.data.encoding import Vocabulary, feature_table, pitch_classes
from nabi_music.evaluation.comparison import compare
from nabi_music.evaluation.scores import Scores, behind, network_log_probs, score_predictions
from nabi_music.models.presets import preset
from nabi_music.models.runner import Runner

CODES = ["c4", "c8", "d4", "d8"]


def test_uniform_predictions_cost_two_bits_and_one_for_the_pitch():
    vocabulary = Vocabulary.from_codes(CODES)
    pitch_of = pitch_classes(vocabulary)
    uniform = np.log(np.full((5, 4), 0.25))
    targets = np.array([0, 1, 2, 3, 0])
    scores = score_predictions([uniform], [targets], pitch_of)
    assert scores.bits == pytest.approx(2.0)
    assert scores.pitch_bits == pytest.approx(1.0)
    assert scores.notes == 5 and scores.songs == 1
    assert scores.top1 == 0.0  # ties count against the target
    assert scores.top3 == 0.0 and scores.pitch_top1 == 0.0


def test_sure_and_wrong_predictions():
    vocabulary = Vocabulary.from_codes(CODES)
    i = {c: k for k, c in enumerate(vocabulary.codes)}
    probs = np.full((2, 4), 0.1)
    probs[0, i["c4"]] = 0.7  # right code
    probs[1, i["d4"]] = 0.7  # right pitch, wrong duration: the real note is d8
    targets = np.array([i["c4"], i["d8"]])
    scores = score_predictions([np.log(probs)], [targets], pitch_classes(vocabulary))
    assert scores.bits == pytest.approx((-np.log2(0.7) - np.log2(0.1)) / 2)
    assert scores.pitch_bits == pytest.approx(-np.log2(0.8))
    assert scores.top1 == 0.5 and scores.pitch_top1 == 1.0
    assert scores.top3 == 0.5  # the 0.1s tie with the target: not among the top 3
    # unnormalised rows (joint two-head logits) are renormalised over the codes
    shifted = score_predictions([np.log(probs) + 3.0], [targets], pitch_classes(vocabulary))
    assert shifted.bits == pytest.approx(scores.bits)
    # songs weigh by their notes; each song's own mean is kept
    both = score_predictions(
        [np.log(probs), np.log(probs[:1])], [targets, targets[:1]], pitch_classes(vocabulary)
    )
    assert both.notes == 3 and len(both.song_bits) == 2
    assert both.song_bits[1] == pytest.approx(-np.log2(0.7))


@pytest.mark.parametrize("name", ["corpus-lstm", "corpus-lstm-2heads", "lstm"])
def test_networks_score_from_the_song_start_or_after_the_first_window(name):
    from nabi_music.models.builders import build_model

    vocabulary = Vocabulary.from_codes(CODES)
    config = preset(name).with_options(window=4, units=8)
    model = build_model(config, 4, seed=1, n_heads=(2, 2))
    runner = Runner.from_keras(model, config, vocabulary)
    table = feature_table(vocabulary, config.encoding)
    seq = np.array([0, 1, 2, 3, 0, 1, 2])
    lp, start = network_log_probs(runner, table, seq, batch=3)
    expected_start = 0 if config.start_padded else 4
    assert start == expected_start and lp.shape == (len(seq) - start, 4)
    np.testing.assert_allclose(np.exp(lp).sum(axis=1), 1.0, atol=1e-9)
    if config.start_padded:  # the first note is predicted from the start symbol alone
        first, _ = runner(np.full((1, 4, 1), 4.0, dtype=np.float32))
        np.testing.assert_allclose(lp[0] - lp[0].max(), first[0] - first[0].max(), atol=1e-5)


def test_comparison_is_kept():
    assert compare(["c4", "d4", "e4"], ["c4", "d4", "f4"], 1).describe() == "1 of 2 wrong — 50%"


def test_the_figures_a_model_is_behind_the_ngram_on_are_named():
    model = Scores(20, 900, 3.9, 2.5, 0.279, 0.60, 0.40, 0.75)
    ngram = Scores(20, 900, 4.05, 2.7, 0.290, 0.55, 0.42, 0.70)
    assert behind(model, ngram) == [
        "top-1 (27.9% against 29.0%)",
        "pitch top-1 (40.0% against 42.0%)",
    ]
    assert behind(ngram, ngram) == []
    assert behind(ngram, model) == [
        "bits/note (4.050 against 3.900)",
        "pitch bits (2.700 against 2.500)",
        "top-3 (55.0% against 60.0%)",
        "pitch top-3 (70.0% against 75.0%)",
    ]
