"""The presets' networks: NumPy inference equals Keras, training is reproducible,
bundles reload, and the stateful LSTM learns the song as in the tutorial."""

import numpy as np
import pytest

from nabi_music.data.encoding import (
    TUTORIAL_VOCABULARY,
    Factors,
    Vocabulary,
    feature_table,
    start_row,
)
from nabi_music.errors import InputError
from nabi_music.models.builders import build_model
from nabi_music.models.bundle import Bundle, load_bundle, save_bundle
from nabi_music.models.history import History
from nabi_music.models.presets import PRESETS, ModelConfig, preset
from nabi_music.models.runner import Runner
from nabi_music.music.notes import Melody
from nabi_music.prediction.tutorial import last_epoch_scorer, predict
from nabi_music.training.tutorial import train_preset


@pytest.fixture
def nabiya(nabiya_codes):
    return Melody.from_codes(nabiya_codes, title="나비야", source="nabiya.txt")


@pytest.mark.parametrize(
    "name", [n for n, c in PRESETS.items() if isinstance(c, ModelConfig)]
)  # the metre-aware preset's runner: tests/test_models_metre.py
def test_numpy_inference_equals_keras(name, tmp_path):
    config = PRESETS[name].with_options(window=6)
    vocabulary = Vocabulary.from_codes(["c4", "d8", "e8", "g4", "r4", "c8"])
    factors = Factors.of(vocabulary)
    n_heads = (len(factors.pitches), len(factors.durations))
    model = build_model(config, len(vocabulary), seed=3, n_heads=n_heads)
    table = feature_table(vocabulary, config.encoding)
    if config.start_padded:
        table = start_row(table)  # windows at a song's start hold the start symbol
    x = table[np.random.default_rng(0).integers(0, len(table), (6, config.window))]
    runner = Runner.from_keras(model, config, vocabulary)
    if config.stateful:
        state = runner.zero_state(6)
        h = np.random.default_rng(1).normal(size=(6, config.units)).astype(np.float32)
        probs, kh, kc = model([x, h, h * 0.5])
        logits, (nh, nc) = runner(x, (h, h * 0.5))
        np.testing.assert_allclose(nh, kh, atol=1e-5)
        np.testing.assert_allclose(nc, kc, atol=1e-5)
        assert state[0].shape == (6, config.units)
    else:  # an ensemble's members' distributions averaged; two heads' multiplied
        outputs = model(x)
        outs = [np.asarray(o) for o in (outputs if isinstance(outputs, list) else [outputs])]
        if config.heads == "two":
            outs = [
                p[:, factors.pitch_of] * d[:, factors.duration_of]
                for p, d in zip(outs[::2], outs[1::2], strict=True)
            ]
        assert len(outs) == config.members
        probs = np.mean(outs, axis=0)
        probs /= probs.sum(-1, keepdims=True)  # two heads: over the vocabulary's codes
        logits, _ = runner(x)
    expected = np.asarray(probs)
    got = np.exp(logits - logits.max(-1, keepdims=True))
    got /= got.sum(-1, keepdims=True)
    np.testing.assert_allclose(got, expected, atol=1e-5)
    assert logits.shape == (6, len(vocabulary))
    # a saved bundle's weights, read with h5py (no Keras), are Keras' own, layer by layer
    bundle = Bundle(model, vocabulary, config, seed=3, history=History((), ()))
    loaded = load_bundle(save_bundle(bundle, tmp_path / "model.nabi"))
    assert loaded.weights is not None
    read = loaded.runner().weights
    assert read.keys() == runner.weights.keys()
    for layer, arrays in runner.weights.items():
        assert len(read[layer]) == len(arrays), layer
        for mine, keras_own in zip(read[layer], arrays, strict=True):
            np.testing.assert_array_equal(mine, keras_own)


def test_initial_weights_come_from_the_seed_alone():
    config = PRESETS["lstm"]
    a = build_model(config, 9, seed=7).get_weights()
    b = build_model(config, 9, seed=7).get_weights()
    c = build_model(config, 9, seed=8).get_weights()
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not np.array_equal(a[0], c[0])


def test_config_round_trip():
    for config in PRESETS.values():
        assert type(config).from_dict(config.to_dict()) == config
    with pytest.raises(InputError, match="unknown preset"):
        preset("transformer")


@pytest.mark.slow
def test_same_seed_same_predictions_bit_for_bit(nabiya):
    config = preset("stateful-lstm-2f").with_options(epochs=30)
    runs = [train_preset([nabiya], config, seed=5) for _ in range(2)]
    weights = [r.model.get_weights() for r in runs]
    assert all(np.array_equal(x, y) for x, y in zip(*weights, strict=True))
    assert runs[0].history.loss == runs[1].history.loss
    assert len(runs[0].history.loss) == 30
    assert predict(runs[0], nabiya) == predict(runs[1], nabiya)
    # (another seed starts from other weights: test_initial_weights_come_from_the_seed_alone)


@pytest.mark.parametrize("name", ["mlp", "stateful-lstm"])
def test_the_best_epoch_is_kept_and_the_last_is_recorded(nabiya, name, tmp_path):
    """keep="best" keeps the epoch with the most one-step hits (then the lowest loss);
    keep="last" the last epoch; both follow the same trajectory, and each bundle
    predicts what its history says of the kept epoch, whatever the CPU's rounding."""
    config = preset(name).with_options(epochs=120)
    scorer = last_epoch_scorer(nabiya)
    best = train_preset([nabiya], config, seed=3, score_last=scorer)
    last = train_preset([nabiya], config, seed=3, keep="last", score_last=scorer)
    h = best.history
    assert h.loss == last.history.loss and h.one_step_accuracy == last.history.one_step_accuracy
    assert len(h.one_step_accuracy) == h.epochs == 120
    ranked = max(range(h.epochs), key=lambda e: (h.one_step_accuracy[e], -h.loss[e], -e))
    assert (h.keep, h.kept_epoch) == ("best", ranked + 1)
    assert (last.history.keep, last.history.kept_epoch) == ("last", 120)
    kept, final = predict(best, nabiya), predict(last, nabiya)
    assert kept.one_step.accuracy == h.one_step_accuracy[h.kept_epoch - 1]
    assert final.one_step.accuracy == h.one_step_accuracy[-1]
    # both histories carry the last epoch's figures, full-song accuracy included
    for history in (h, last.history):
        assert history.last["epoch"] == 120
        assert history.last["one_step_accuracy"] == final.one_step.accuracy
        assert history.last["full_song_accuracy"] == final.full_song.accuracy
    if h.kept_epoch != 120:
        weights = zip(best.model.get_weights(), last.model.get_weights(), strict=True)
        assert not all(np.array_equal(a, b) for a, b in weights)
    again = load_bundle(save_bundle(best, tmp_path / "model.nabi")).history
    assert (again.kept_epoch, again.keep, again.last) == (h.kept_epoch, "best", h.last)


def test_an_unknown_keep_is_an_input_error(nabiya):
    with pytest.raises(InputError, match="keep"):
        train_preset([nabiya], preset("mlp").with_options(epochs=2), keep="first")


@pytest.mark.slow
def test_stateful_lstm_sings_the_whole_song(nabiya, tmp_path):
    """The tutorial's result: 100% one-step and 100% full-song, stopped as soon as reached."""
    seen = []
    bundle = train_preset(
        [nabiya],
        preset("stateful-lstm"),
        vocabulary=TUTORIAL_VOCABULARY,
        until_perfect=True,
        progress=lambda done, total, loss, acc: seen.append((done, total)),
    )
    history = bundle.history
    assert history.stopped_early and history.epochs < 2000
    assert history.one_step_accuracy[-1] == 1.0
    assert max(history.one_step_accuracy[:-1]) < 1.0
    assert len(history.one_step_accuracy) == history.epochs
    assert history.loss[0] > history.loss[-1]
    assert seen[-1] == (history.epochs, 2000)
    prediction = predict(bundle, nabiya)
    assert prediction.one_step.accuracy == 1.0
    assert prediction.full_song.accuracy == 1.0
    assert list(prediction.full_song.predicted) == nabiya.codes

    # the bundle reloads and predicts the same without retraining
    path = save_bundle(bundle, tmp_path / "model.nabi")
    again = load_bundle(path)
    assert again.config == bundle.config and again.seed == bundle.seed
    assert again.vocabulary == TUTORIAL_VOCABULARY
    assert again.history.loss == history.loss
    assert predict(again, nabiya) == prediction


def test_broken_bundles_are_input_errors(tmp_path):
    with pytest.raises(InputError, match="no such bundle"):
        load_bundle(tmp_path / "missing.nabi")
    junk = tmp_path / "junk.nabi"
    junk.write_bytes(b"\x00not a zip" * 10)
    with pytest.raises(InputError, match="not a readable nabi_music bundle"):
        load_bundle(junk)
