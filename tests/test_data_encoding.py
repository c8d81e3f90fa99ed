import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nabi_music.data.encoding import TUTORIAL_VOCABULARY, Vocabulary, feature_table
from nabi_music.errors import InputError


def test_tutorial_vocabulary_is_the_tutorials_code2idx():
    code2idx = {"c4": 0, "d4": 1, "e4": 2, "f4": 3, "g4": 4, "a4": 5, "b4": 6}
    code2idx |= {"c8": 7, "d8": 8, "e8": 9, "f8": 10, "g8": 11, "a8": 12, "b8": 13}
    assert {c: i for i, c in enumerate(TUTORIAL_VOCABULARY.codes)} == code2idx


def test_vocabulary_from_data_is_in_the_tutorials_stable_order(nabiya_codes):
    vocab = Vocabulary.from_codes(nabiya_codes)
    assert vocab.codes == ("d4", "e4", "f4", "g4", "c8", "d8", "e8", "f8", "g8")
    assert Vocabulary.from_codes(reversed(nabiya_codes)) == vocab
    assert Vocabulary.from_codes(["r4", "c4", "cis4", "c2", "c4~"]).codes == (
        "c2", "r4", "c4", "c4~", "cis4"
    )  # fmt: skip


def test_vocabulary_json_round_trip(tmp_path, nabiya_codes):
    vocab = Vocabulary.from_codes(nabiya_codes)
    vocab.save(tmp_path / "vocabulary.json")
    assert Vocabulary.load(tmp_path / "vocabulary.json") == vocab


def test_encode_decode(nabiya_codes):
    idx = TUTORIAL_VOCABULARY.encode(nabiya_codes)
    assert list(idx[:5]) == [11, 9, 2, 10, 8]  # the tutorial's first dataset row
    assert TUTORIAL_VOCABULARY.decode(idx) == nabiya_codes


def test_unknown_codes_are_named():
    with pytest.raises(InputError, match=r"never saw: fis8 c2; it knows"):
        TUTORIAL_VOCABULARY.encode(["g8", "fis8", "c2", "fis8"], where="x.ly")


def test_index_encoding_is_the_tutorials_index_over_13():
    table = feature_table(TUTORIAL_VOCABULARY, "index")
    assert table.shape == (14, 1)
    np.testing.assert_allclose(table[:, 0], np.arange(14) / 13)


def test_two_features_give_pitch_and_duration_separately():
    table = feature_table(TUTORIAL_VOCABULARY, "pitch-duration")
    np.testing.assert_allclose(table[:7, 0], np.arange(7) / 6)  # c..b -> letter index / 6
    np.testing.assert_allclose(table[7:, 0], np.arange(7) / 6)
    assert list(table[:, 1]) == [0.0] * 7 + [1.0] * 7  # quarter 0, eighth 1


def test_unknown_encoding():
    with pytest.raises(InputError, match="unknown encoding"):
        feature_table(TUTORIAL_VOCABULARY, "onehot")


@given(st.lists(st.sampled_from(["c4", "d8", "r2", "fis'16", "bes,4.", "g8*2/3"]), min_size=1))
def test_encode_decode_round_trip(codes):
    vocab = Vocabulary.from_codes(codes)
    assert vocab.decode(vocab.encode(codes)) == codes
