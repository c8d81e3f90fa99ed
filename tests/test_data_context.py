"""Each note's context rows (data/context.py): where it falls in the bar, its beat
strength, steps from the pitch before, and nothing a row could learn from the note it
predicts."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from nabi_music.data.context import (
    INPUTS,
    MAX_STEP,
    PAD_ROW,
    REST,
    SIZES,
    CodeParts,
    beat_strength,
    code_log_probs,
    joint_tokens,
    last_windows,
    length_class,
    references,
    row_chunks,
    song_rows,
    step_class,
)
from nabi_music.data.encoding import Vocabulary
from nabi_music.data.transpose import transpose
from nabi_music.music.notes import Melody

F = Fraction
COLUMN = {name: k for k, name in enumerate(INPUTS)}


def melody(codes: str, time_signature: str | None = "2/4", **meta) -> Melody:
    return Melody.from_codes(codes, time_signature=time_signature, key="C major", **meta)


@pytest.mark.parametrize(
    ("metre", "expected"),
    [
        # onsets every eighth: 0 bar, 1 half bar, 2 beat, 3 half beat (third in compound)
        ("2/4", [0, 3, 2, 3]),
        ("3/4", [0, 3, 2, 3, 2, 3]),
        ("4/4", [0, 3, 2, 3, 1, 3, 2, 3]),
        ("6/8", [0, 3, 3, 2, 3, 3]),
        ("3/8", [0, 2, 2]),
        ("2/2", [0, 4, 3, 4, 2, 4, 3, 4]),
    ],
)
def test_beat_strength_follows_the_metre(metre, expected):
    assert [beat_strength(F(k, 2), metre) for k in range(len(expected))] == expected


def test_rows_place_each_note_in_its_bar_after_an_upbeat():
    # 2/4 with an eighth upbeat: g8 | e8 e4 f8 | d8 d4
    song = melody("g8 e8 e4 f8 d8 d4", pickup=F(1, 2))
    x, y = song_rows(song, key=False)
    eighth = 48 // 4  # onsets per bar: 48
    assert x[:, COLUMN["position"]].tolist() == [3 * eighth, 0, eighth, 3 * eighth, 0, eighth]
    assert x[:, COLUMN["strength"]].tolist() == [3, 0, 3, 3, 0, 3]
    # steps: g from middle C (+7), then -3, 0, +1, -3, 0
    assert (y[:, 0] - MAX_STEP).tolist() == [7, -3, 0, 1, -3, 0]
    assert y[:, 1].tolist() == [length_class(F(1, 2), False)] * 2 + [
        length_class(F(1), False),
        length_class(F(1, 2), False),
        length_class(F(1, 2), False),
        length_class(F(1), False),
    ]
    assert (x[0, :4] == PAD_ROW[:4]).all()  # no note before the first: only its place
    assert (x[1:, COLUMN["step"]] == y[:-1, 0]).all()  # the note before's step
    assert references(song, key=False).tolist() == [60, 67, 64, 64, 65, 62]


def test_a_row_never_sees_the_note_it_predicts():
    rng = np.random.default_rng(5)
    codes = ["c4", "d8", "e8", "g4.", "r8", "a16", "f16", "b4", "c'2", "e8~", "e8"]
    for _ in range(30):
        song = melody(" ".join(rng.choice(codes, 12)), rng.choice(["2/4", "3/4", "6/8"]))
        x, y = song_rows(song, key=True)
        t = int(rng.integers(1, 12))
        changed = list(song.codes)
        changed[t] = "fis'4." if changed[t] != "fis'4." else "g,8"
        x2, y2 = song_rows(melody(" ".join(changed), song.time_signature), key=True)
        assert (x2[: t + 1] == x[: t + 1]).all()  # row t holds only what came before note t
        assert (y2[:t] == y[:t]).all() and (y2[t] != y[t]).any()


def test_rows_are_the_same_in_every_key_but_the_first_pitch():
    song = melody("c4 d8 e8 f4 r4 g8 a8 g4 c'2")
    x, y = song_rows(song, key=False)
    for shift in (-5, 2, 7):
        moved = transpose(song, shift)
        mx, my = song_rows(moved, key=False)
        assert my[0, 0] == y[0, 0] + shift and mx[1, 0] == x[1, 0] + shift  # the first pitch
        mx[1, 0], my[0, 0] = x[1, 0], y[0, 0]
        assert (mx == x).all() and (my == y).all()
    # with the key known, the tonic is the reference: the first step is the same too
    kx, ky = song_rows(song, key=True)
    mx, my = song_rows(transpose(song, 7), key=True)
    assert (mx == kx).all() and (my == ky).all()


def test_pitch_rows_leave_rests_out_and_count_them_in_the_length_before():
    song = melody("c4 r4 d8 e8 r4 f4")
    x, y = song_rows(song, key=False, pitched_only=True)
    assert len(x) == 4 and REST not in y[:, 0]
    assert x[2, COLUMN["length"]] == length_class(F(1, 2), False)  # d8, no rest after it
    assert x[3, COLUMN["length"]] == length_class(F(3, 2), False)  # e8 and the rest after it
    assert x[3, COLUMN["position"]] == 0  # f4 starts a bar


def test_code_distribution_is_steps_times_lengths_renormalised():
    vocab = Vocabulary.from_codes(["c4", "d4", "d8", "cis4", "des4", "r4", "c''4"])
    parts = CodeParts.of(vocab)
    rng = np.random.default_rng(1)
    steps = np.log(rng.dirichlet(np.ones(SIZES["step"] - 1), size=3))
    lengths = np.log(rng.dirichlet(np.ones(SIZES["length"] - 1), size=3))
    lp = code_log_probs(steps, lengths, np.array([60, 62, 61]), parts)
    assert np.allclose(np.exp(lp).sum(axis=1), 1.0)
    p = np.exp(lp)
    # cis4 and des4 sound alike: they share one pitch's mass equally
    assert p[:, vocab.codes.index("cis4")] == pytest.approx(p[:, vocab.codes.index("des4")])
    # d4 against d8: the same step, their lengths' ratio
    quarter, eighth = length_class(F(1), False), length_class(F(1, 2), False)
    ratio = p[0, vocab.codes.index("d4")] / p[0, vocab.codes.index("d8")]
    assert ratio == pytest.approx(np.exp(lengths[0, quarter] - lengths[0, eighth]), rel=1e-4)
    # c'' (24 above c) from 60: its step's class
    c2 = p[0, vocab.codes.index("c''4")] / p[0, vocab.codes.index("c4")]
    assert c2 == pytest.approx(np.exp(steps[0, MAX_STEP + 24] - steps[0, MAX_STEP]), rel=1e-4)
    assert step_class(200, 60) == 2 * MAX_STEP and step_class(None, 60) == REST


def test_every_row_is_a_target_once_with_its_own_window():
    songs = [song_rows(melody(" ".join(["c8", "d8", "e4"] * n)), key=False) for n in (1, 7, 20)]
    chunks = row_chunks(songs, 8)
    assert chunks.notes == sum(len(x) for x, _ in songs)
    x, _ = songs[2]
    windows = last_windows(x, 8)
    assert (windows[:, -1] == x).all() and (windows[0, :-1] == PAD_ROW).all()
    tokens = joint_tokens(windows)
    assert tokens.max() < sum(SIZES.values()) and tokens.min() >= 0


def test_a_metre_no_bar_can_hold_gives_notes_no_place():
    free = song_rows(melody("c4 d8 e8 f4", None), key=False)[0]
    odd = song_rows(melody("c4 d8 e8 f4", "2+3/8"), key=False)[0]
    assert (odd == free).all()
    assert set(free[:, COLUMN["position"]]) == {SIZES["position"] - 1}
