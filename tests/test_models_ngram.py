"""The n-gram models: NLTK's Witten-Bell counts, renormalised over the codes, with a
floor for unseen codes; the interval model, with rests and durations."""

import numpy as np
import pytest

from nabi_music.errors import InputError
from nabi_music.models.ngram import IntervalNgramModel, NgramModel, spread


def test_witten_bell_by_hand():
    """Training "0 1 0 1", bigrams: p(1 | 0) = 2/3 * 1 + 1/3 * p_uni(1), p_uni(1) = 2/6 (NLTK
    counts <s> and </s> among the unigrams); p(0 | 0) = 1/3 * 2/6. Renormalised over the two
    codes: 7/8; with the step to the uniform (2 types, 4 tokens: 1/3): 2/3 * 7/8 + 1/3 * 1/2."""
    model = NgramModel(order=2, n_classes=2).fit([[0, 1, 0, 1]])
    assert model.distribution([0])[1] == pytest.approx(0.75)
    assert model.distribution([0]).sum() == pytest.approx(1.0)


def test_every_code_keeps_a_probability_and_rows_sum_to_one():
    model = NgramModel(order=3, n_classes=6).fit([[0, 1, 2, 0, 1, 2, 0, 1, 2], [2, 1, 0]])
    lp = model.log_probs([0, 1, 2, 5, 0, 1])
    assert lp.shape == (6, 6)
    np.testing.assert_allclose(np.exp(lp).sum(axis=1), 1.0)
    assert np.isfinite(lp).all()  # code 5 was never seen, 3 and 4 neither
    assert lp[2].argmax() == 2  # "0 1" -> 2, learnt
    assert np.exp(lp[2, 2]) > 0.6
    assert model.log_probs([0, 1, 2], start=2).shape == (1, 6)


def test_kneser_ney_and_orders():
    songs = [[0, 1, 2, 3] * 5, [3, 2, 1, 0] * 5]
    for smoothing in ("witten-bell", "kneser-ney"):
        for order in (1, 2, 4) if smoothing == "witten-bell" else (2, 4):
            model = NgramModel(order, 4, smoothing).fit(songs)
            np.testing.assert_allclose(np.exp(model.log_probs([0, 1, 2, 3])).sum(1), 1.0)
    unigram = NgramModel(1, 4).fit([[0, 0, 0, 1]])
    assert unigram.distribution([1, 1, 1])[0] > unigram.distribution([])[1]
    with pytest.raises(InputError, match="smoothing"):
        NgramModel(2, 4, "laplace")
    with pytest.raises(InputError, match="at least 2"):
        NgramModel(1, 4, "kneser-ney")


def test_the_interval_model_hears_a_tune_in_any_key():
    """Learnt in C (MIDI 60 62 64 60 ...), the tune is as likely a fifth up, after its
    first note; a pitch n-gram counted on the same song knows nothing of it there."""
    pitch_of = np.arange(55, 80)  # code c is MIDI pitch 55 + c
    tune = [60, 62, 64, 60, 60, 62, 64, 60, 64, 65, 67]
    codes = [p - 55 for p in tune]
    fifth_up = [c + 7 for c in codes]
    model = IntervalNgramModel(3, pitch_of).fit([codes])
    here, there = model.log_probs(codes), model.log_probs(fifth_up)
    assert here.shape == (len(tune), len(pitch_of))
    np.testing.assert_allclose(np.exp(there).sum(axis=1), 1.0)
    rows = np.arange(1, len(tune))
    np.testing.assert_allclose(there[rows, np.array(fifth_up)[rows]], here[rows, codes[1:]])
    assert (there[rows, np.array(fifth_up)[rows]] > np.log(0.3)).all()
    assert here[0].argmax() == codes[0]  # the first note: as the training songs begin
    pitch_model = NgramModel(3, len(pitch_of)).fit([codes])
    transposed = pitch_model.log_probs(fifth_up)[rows, np.array(fifth_up)[rows]]
    assert (transposed < there[rows, np.array(fifth_up)[rows]]).all()
    assert model.log_probs(fifth_up, start=4).shape == (len(tune) - 4, len(pitch_of))
    np.testing.assert_allclose(np.exp(here[5]), model.distribution(codes[:5]))
    with pytest.raises(InputError, match="a pitch"):
        IntervalNgramModel(2, [-1])


def test_witten_bell_at_once_is_nltk_to_the_last_bit():
    """The scores of every code after a context, computed at once on NLTK's counts, are
    NLTK's own ``score``, code by code, bit for bit, whatever the order and context."""
    rng = np.random.default_rng(0)
    songs = [list(rng.integers(0, 12, rng.integers(5, 40))) for _ in range(40)]
    for order in (1, 2, 3, 5, 8):
        model = NgramModel(order, 14).fit(songs)
        for song in [list(rng.integers(0, 14, 12)) for _ in range(3)]:  # 12, 13: never seen
            for t in range(len(song)):
                k = order - 1
                recent = [str(c) for c in song[:t][max(t - k, 0) :]] if k else []
                key = ("<s>",) * (k - len(recent)) + tuple(recent)
                nltk = [model._lm.score(str(c), key) for c in range(14)]
                assert model._witten_bell(key).tolist() == nltk


def test_the_interval_model_steps_over_rests_and_shares_a_pitch_among_its_codes():
    """Codes 0..3: c4 c8 r4 e4 (MIDI 60, 60, rest, 64). A rest is a symbol of its own and
    keeps the last pitch; c4 and c8 share the pitch's mass, equally or as another model
    shares it (spread)."""
    pitch_of = [60, 60, -1, 64]
    songs = [[0, 3, 2, 1, 3], [1, 3, 2, 0, 3]]
    model = IntervalNgramModel(2, pitch_of).fit(songs)
    lp = model.log_probs([0, 3, 2, 1])
    p = np.exp(lp)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    assert p[1, 0] == pytest.approx(p[1, 1])  # one pitch, two codes: equal shares
    assert p[2, 2] > 0.5  # after c e: the rest, as learnt
    assert p[3, 0] + p[3, 1] > 0.5  # after the rest: down a third from e, as learnt
    by = np.log(np.tile([[0.6, 0.2, 0.1, 0.1]], (4, 1)))
    shared = np.exp(spread(lp, by, pitch_of))
    np.testing.assert_allclose(shared.sum(axis=1), 1.0)
    np.testing.assert_allclose(shared[:, 0] + shared[:, 1], p[:, 0] + p[:, 1])
    np.testing.assert_allclose(shared[:, 0], 3 * shared[:, 1])  # as 0.6 to 0.2
    np.testing.assert_allclose(shared[:, 2:], p[:, 2:])  # alone in their pitch: kept
