"""Vocabulary (note code <-> index) and the feature encoders the models read.

The vocabulary is built from the data in one stable order: longer durations
first, then rests, then pitches from low to high, the tutorial's own order
(``c4 .. b4`` before ``c8 .. b8``). The tutorial's fixed 14-code dictionary is
:data:`TUTORIAL_VOCABULARY`, so that its numbers can be reproduced.

An encoder turns each vocabulary index into a short feature vector; models see
a window of such vectors. Encoders are tables of shape ``(len(vocabulary),
features)``, so the same lookup serves training, prediction and generation.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nabi_music.errors import InputError
from nabi_music.music.notes import Melody, Note, parse_code

ENCODINGS = ("index", "pitch-duration", "embedding")
VOCABULARIES = ("data", "tutorial")
"""How a vocabulary is chosen: built from the data, or the tutorial's fixed 14 codes."""


def _order_key(note: Note) -> tuple:
    pitch = -1 if note.pitch is None else note.pitch.midi
    alter = 0 if note.pitch is None else note.pitch.alter
    return (-note.duration, note.pitch is not None, pitch, alter, note.tie)


@dataclass(frozen=True)
class Vocabulary:
    """The codes a model knows, in index order."""

    codes: tuple[str, ...]

    def __post_init__(self) -> None:
        if len(set(self.codes)) != len(self.codes):
            raise InputError("a vocabulary cannot hold a code twice")

    def __len__(self) -> int:
        return len(self.codes)

    def __contains__(self, code: object) -> bool:
        return code in self._lookup

    @property
    def _lookup(self) -> dict[str, int]:
        return {code: i for i, code in enumerate(self.codes)}

    @classmethod
    def from_codes(cls, codes: Iterable[str]) -> Vocabulary:
        notes = {code: parse_code(code) for code in set(codes)}
        return cls(tuple(sorted(notes, key=lambda c: (_order_key(notes[c]), c))))

    @classmethod
    def from_melodies(cls, melodies: Iterable[Melody]) -> Vocabulary:
        return cls.from_codes(code for m in melodies for code in m.codes)

    def unknown(self, codes: Iterable[str]) -> list[str]:
        """The codes this vocabulary does not hold, each once, in first-seen order."""
        lookup = self._lookup
        return list(dict.fromkeys(c for c in codes if c not in lookup))

    def encode(self, codes: Sequence[str], where: str = "the melody") -> np.ndarray:
        """Indices of codes; an unknown code is an :class:`InputError` naming it."""
        missing = self.unknown(codes)
        if missing:
            raise InputError(
                f"{where} holds codes the model never saw: {' '.join(missing)}; "
                f"it knows {' '.join(self.codes)}"
            )
        lookup = self._lookup
        return np.fromiter((lookup[c] for c in codes), dtype=np.int32, count=len(codes))

    def decode(self, indices: Iterable[int]) -> list[str]:
        return [self.codes[int(i)] for i in indices]

    def to_json(self) -> str:
        return json.dumps({"codes": list(self.codes)}, ensure_ascii=False, indent=1)

    @classmethod
    def from_json(cls, text: str) -> Vocabulary:
        try:
            codes = json.loads(text)["codes"]
        except (ValueError, KeyError, TypeError) as err:
            raise InputError(f"not a vocabulary file: {err}") from err
        return cls(tuple(str(c) for c in codes))

    def save(self, path: str | Path) -> None:
        Path(path).write_text(self.to_json() + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> Vocabulary:
        return cls.from_json(Path(path).read_text(encoding="utf-8"))


TUTORIAL_VOCABULARY = Vocabulary(
    ("c4", "d4", "e4", "f4", "g4", "a4", "b4", "c8", "d8", "e8", "f8", "g8", "a8", "b8")
)
"""The tutorial's ``code2idx``: ``c4..b4 -> 0..6``, ``c8..b8 -> 7..13``."""


def _ranks(values: Sequence) -> np.ndarray:
    """Each value's rank among the distinct values, scaled to 0..1."""
    distinct = sorted(set(values))
    scale = max(len(distinct) - 1, 1)
    rank = {v: i for i, v in enumerate(distinct)}
    return np.array([rank[v] / scale for v in values], dtype=np.float32)


def feature_table(vocabulary: Vocabulary, encoding: str) -> np.ndarray:
    """The features of every vocabulary index, shape ``(len(vocabulary), n_features)``.

    ``index``: one feature, index / (size - 1) (the tutorial's index/13).
    ``pitch-duration``: pitch and duration as two features, each its rank among
    the vocabulary's distinct pitches (rests lowest) or durations (longest
    first), scaled to 0..1; for the tutorial's dictionary that is the letter
    index / 6 and 0 for quarters, 1 for eighths, as in the tutorial.
    ``embedding``: the index itself (the model looks up its embedding); the
    start symbol that pads a window at a song's start is index
    ``len(vocabulary)``, the row :func:`start_row` adds.
    """
    size = len(vocabulary)
    if encoding == "embedding":
        return np.arange(size, dtype=np.float32)[:, None]
    if encoding == "index":
        return (np.arange(size, dtype=np.float32) / max(size - 1, 1))[:, None]
    if encoding == "pitch-duration":
        notes = [parse_code(c) for c in vocabulary.codes]
        pitches = _ranks([-1 if n.pitch is None else n.pitch.midi for n in notes])
        durations = _ranks([-n.duration for n in notes])
        return np.stack([pitches, durations], axis=1)
    raise InputError(f"unknown encoding {encoding!r}; expected one of {', '.join(ENCODINGS)}")


def start_row(table: np.ndarray) -> np.ndarray:
    """``table`` with one more row: the start symbol (index ``len(table)``) of the embedding."""
    return np.concatenate([table, np.array([[len(table)]], dtype=table.dtype)])


def split_code(code: str) -> tuple[str, str]:
    """A code's pitch part and duration part: ``fis'4.~`` -> ``("fis'", "4.~")``."""
    for k, ch in enumerate(code):
        if ch.isdigit():
            return code[:k], code[k:]
    raise InputError(f"not a note code: {code!r}")


@dataclass(frozen=True)
class Factors:
    """A vocabulary's codes as (pitch, duration) pairs, for models with two heads.

    ``pitches`` and ``durations`` list the distinct parts in vocabulary order of
    first appearance; ``pitch_of[i]`` and ``duration_of[i]`` index code ``i``'s parts.
    """

    pitches: tuple[str, ...]
    durations: tuple[str, ...]
    pitch_of: np.ndarray
    duration_of: np.ndarray

    @classmethod
    def of(cls, vocabulary: Vocabulary) -> Factors:
        parts = [split_code(c) for c in vocabulary.codes]
        pitches = tuple(dict.fromkeys(p for p, _ in parts))
        durations = tuple(dict.fromkeys(d for _, d in parts))
        p_index = {p: i for i, p in enumerate(pitches)}
        d_index = {d: i for i, d in enumerate(durations)}
        return cls(
            pitches,
            durations,
            np.array([p_index[p] for p, _ in parts], dtype=np.int32),
            np.array([d_index[d] for _, d in parts], dtype=np.int32),
        )


def pitch_classes(vocabulary: Vocabulary) -> np.ndarray:
    """Each code's sounding pitch: its MIDI number, -1 for a rest (spelling and tie ignored)."""
    out = []
    for code in vocabulary.codes:
        pitch = parse_code(code).pitch
        out.append(-1 if pitch is None else pitch.midi)
    return np.array(out, dtype=np.int32)


def choose_vocabulary(name: str, melodies: Sequence[Melody]) -> Vocabulary:
    """``data``: built from the melodies; ``tutorial``: the tutorial's 14 codes."""
    if name == "data":
        return Vocabulary.from_melodies(melodies)
    if name == "tutorial":
        return TUTORIAL_VOCABULARY
    raise InputError(f"unknown vocabulary {name!r}; expected one of {', '.join(VOCABULARIES)}")
