"""Seeded sampling over logits and the generation loop (no training needed)."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import NABIYA

from nabi_music.data.encoding import Vocabulary, feature_table
from nabi_music.errors import InputError
from nabi_music.prediction.sampling import (
    Count,
    Sampling,
    choose,
    distribution,
    generate,
    generate_batch,
    generators,
)
from nabi_music.prediction.tutorial import predict_full_song


def test_distribution_temperature_top_k_and_mask():
    logits = np.array([2.0, 1.0, 0.0, 3.0])
    p = distribution(logits, Sampling(1.0))
    assert p.sum() == pytest.approx(1.0)
    assert p == pytest.approx(np.exp(logits) / np.exp(logits).sum())
    hot = distribution(logits, Sampling(0.5))
    assert hot[3] > p[3]  # a lower temperature sharpens
    top2 = distribution(logits, Sampling(1.0, top_k=2))
    assert set(np.flatnonzero(top2)) == {0, 3}
    masked = distribution(logits, Sampling(1.0, top_k=2), np.array([1, 1, 1, 0], dtype=bool))
    assert set(np.flatnonzero(masked)) == {0, 1}  # top-k among the allowed codes
    assert list(distribution(logits, Sampling(0.0))) == [0, 0, 0, 1]
    assert list(distribution(logits, Sampling(2.0, top_k=1))) == [0, 0, 0, 1]
    with pytest.raises(InputError, match="constraints leave none"):
        distribution(logits, Sampling(1.0), np.zeros(4, dtype=bool))


@pytest.mark.parametrize(
    "kwargs", [{"temperature": -1}, {"temperature": float("nan")}, {"top_k": 0}]
)
def test_bad_sampling_options_are_input_errors(kwargs):
    with pytest.raises(InputError):
        Sampling(**kwargs)


def test_choose_follows_the_distribution():
    rng = np.random.default_rng(0)
    logits = np.log(np.array([0.1, 0.2, 0.7]))
    draws = np.bincount([choose(logits, rng, Sampling(1.0)) for _ in range(20000)], minlength=3)
    assert draws / draws.sum() == pytest.approx([0.1, 0.2, 0.7], abs=0.015)
    mask = np.array([True, True, False])
    assert all(choose(logits, rng, Sampling(1.0), mask) != 2 for _ in range(500))


class FakeRunner:
    """A deterministic stand-in for a model: logits from a hash of the window."""

    class config:
        window = 4
        stateful = False

    def __init__(self, size: int) -> None:
        self.size = size

    def zero_state(self) -> tuple:
        return ()

    def __call__(self, x, state=()):
        rows = []
        for window in np.asarray(x):
            seed = int(abs((window.ravel() * np.arange(1, window.size + 1)).sum() * 1000))
            rows.append(np.random.default_rng(seed % 2**32).normal(size=self.size))
        return np.array(rows), state


def test_same_seed_same_melody_other_seed_other_melody():
    runner = FakeRunner(14)
    table = np.arange(14, dtype=np.float32)[:, None]

    def melody(seed: int) -> list[int]:
        rng = generators(seed, 1)[0]
        return list(generate(runner, table, [0, 1, 2, 3], Count(40), rng, Sampling(1.0)))

    assert melody(7) == melody(7)
    assert melody(7) != melody(8)
    # melody k of a run does not depend on how many melodies were asked for
    a = [g.random() for g in generators(3, 2)]
    b = [g.random() for g in generators(3, 5)][:2]
    assert a == b


def test_a_batch_gives_each_melody_what_it_gets_alone():
    runner = FakeRunner(14)
    table = np.arange(14, dtype=np.float32)[:, None]
    primers = [[0, 1, 2, 3], [5, 5, 6, 7, 1], [2, 3]]
    lengths = [12, 30, 7]
    batch = generate_batch(
        runner,
        table,
        primers,
        [Count(n) for n in lengths],
        generators(9, 3),
        Sampling(1.2, top_k=6),
        start_symbol=13,
    )
    alone = [
        generate(runner, table, p, Count(n), g, Sampling(1.2, top_k=6), start_symbol=13)
        for p, n, g in zip(primers, lengths, generators(9, 3), strict=True)
    ]
    assert [list(b) for b in batch] == [list(a) for a in alone]
    assert [len(b) for b in batch] == lengths


@pytest.fixture(scope="module")
def untrained():
    from nabi_music.models.builders import build_model
    from nabi_music.models.presets import preset
    from nabi_music.models.runner import Runner

    vocabulary = Vocabulary.from_codes(NABIYA)
    out = {}
    for name in ("stateful-lstm", "lstm"):
        config = preset(name)
        model = build_model(config, len(vocabulary), seed=3)
        out[name] = (Runner.from_keras(model, config), feature_table(vocabulary, config.encoding))
    return vocabulary, out


@pytest.mark.parametrize("name", ["stateful-lstm", "lstm"])
def test_greedy_sampling_is_full_song_prediction(untrained, name):
    vocabulary, runners = untrained
    runner, table = runners[name]
    primer = vocabulary.encode(NABIYA[:4])
    expected = predict_full_song(runner, table, primer, 30)
    for sampling in (Sampling(0.0), Sampling(1.5, top_k=1)):
        rng = np.random.default_rng(0)
        got = generate(runner, table, primer, Count(30), rng, sampling)
        assert list(got) == list(expected)


def test_a_longer_primer_warms_the_state_up(untrained):
    vocabulary, runners = untrained
    runner, table = runners["stateful-lstm"]
    indices = vocabulary.encode(NABIYA)
    got = generate(runner, table, indices[:10], Count(5), np.random.default_rng(0), Sampling(0))
    # the same as teacher-forced stepping through the first 10 notes, then feeding back
    state = runner.zero_state()
    seq = list(indices[:10])
    for j in range(7):  # windows 0..6, the last one ends at the primer's last note
        logits, state = runner(table[np.array(seq[j : j + 4])][None], state)
    expected = []
    for _ in range(5):
        expected.append(int(logits[0].argmax()))
        seq.append(expected[-1])
        logits, state = runner(table[np.array(seq[-4:])][None], state)
    assert list(got) == expected


def test_a_short_primer_is_an_input_error(untrained):
    _, runners = untrained
    runner, table = runners["lstm"]
    with pytest.raises(InputError, match="primer has 2 notes"):
        generate(runner, table, [0, 1], Count(3), np.random.default_rng(0), Sampling())
