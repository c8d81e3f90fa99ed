"""Ties joined where one code holds them (music/ties.py)."""

from __future__ import annotations

from fractions import Fraction

import pytest

from nabi_music.music.notes import Note, Pitch
from nabi_music.music.ties import merge_ties


@pytest.mark.parametrize(
    ("codes", "expected"),
    [
        ("c4~ c8", "c4."),
        ("c4~ c16", "c4~ c16"),
        ("c4~ c4~ c16", "c2~ c16"),  # greedy from the left when the whole cannot merge
        ("c8*2/3~ c8*2/3", "c4*2/3"),  # one tuplet value of the same ratio
        ("c4*2/3~ c8*2/3 d4", "c4 d4"),
        ("c4~ d4", "c4 d4"),  # a tie to another pitch is dropped
        ("c4~ r4", "c4 r4"),
        ("c4~", "c4"),
    ],
)
def test_merge_ties(codes, expected):
    from nabi_music.music.notes import parse_codes

    # parse_codes accepts a dangling tie, so build it from the codes directly
    assert " ".join(n.code for n in merge_ties(parse_codes(codes))) == expected


def test_merge_ties_keeps_the_first_spelling():
    notes = [Note(Pitch("c", 1), Fraction(1), tie=True), Note(Pitch("d", -1), Fraction(1, 2))]
    assert merge_ties(notes) == [Note(Pitch("c", 1), Fraction(3, 2))]
