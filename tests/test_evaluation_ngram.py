"""The n-gram baseline: NLTK's Witten-Bell counts, renormalised over the codes,
with a floor for unseen codes."""

import numpy as np
import pytest

from nabi_music.errors import InputError
from nabi_music.evaluation.ngram import IntervalNgramModel, NgramModel


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
    with pytest.raises(InputError, match="pitched codes only"):
        IntervalNgramModel(2, [60, -1, 62])
