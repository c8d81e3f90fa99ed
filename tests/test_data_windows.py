import numpy as np
import pytest

from nabi_music.data.encoding import TUTORIAL_VOCABULARY
from nabi_music.data.windows import make_windows
from nabi_music.errors import InputError


def test_the_tutorials_dataset(nabiya_codes):
    """The tutorial's seq2dataset(seq, 4): 50 rows of 4 inputs and 1 label."""
    w = make_windows([TUTORIAL_VOCABULARY.encode(nabiya_codes)], 4)
    assert w.inputs.shape == (50, 4) and w.targets.shape == (50,)
    assert [*list(w.inputs[0]), w.targets[0]] == [11, 9, 2, 10, 8]
    assert [*list(w.inputs[-1]), w.targets[-1]] == [11, 11, 9, 9, 2]


def test_no_window_spans_two_melodies():
    a = np.arange(0, 6)
    b = np.arange(100, 105)
    w = make_windows([a, b], 3)
    assert len(w) == 3 + 2
    for row, target, song in zip(w.inputs, w.targets, w.song, strict=True):
        values = [*row, target]
        assert all(v < 100 for v in values) or all(v >= 100 for v in values)
        assert song == (0 if values[0] < 100 else 1)
    assert list(w.first) == [True, False, False, True, False]


@pytest.mark.parametrize("window", [1, 2, 8])
def test_window_size_is_configurable(window):
    seq = np.arange(20)
    w = make_windows([seq], window)
    assert w.inputs.shape == (20 - window, window)
    assert list(w.targets) == list(range(window, 20))


def test_melody_shorter_than_window_plus_one():
    with pytest.raises(InputError, match=r"short.txt has 4 notes; a window of 4 needs at least 5"):
        make_windows([np.arange(4)], 4, names=["short.txt"])
