"""A corpus of melodies: gathering score paths, and splitting songs for training.

``gather(specs)`` turns what a user typed (files, folders, glob patterns,
``corpus:`` paths) into score paths; :func:`read_corpus` reads every melody of
them. Splits are always by song, never by window: a song's windows all land in
one of train, validation or test, so no test note was seen in training.
:func:`split_songs` makes one seeded split, :func:`folds` the K splits of
K-fold cross-validation (every song is a test song exactly once).
"""

from __future__ import annotations

import glob
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from nabi_music.errors import InputError, NabiWarning
from nabi_music.music.notes import Melody, Note, Pitch
from nabi_music.readers import CORPUS_PREFIX, READERS, read

SCORE_SUFFIXES = tuple(READERS)


def gather(specs: Sequence[str]) -> list[str]:
    """Score paths from files, folders (searched recursively), glob patterns and
    ``corpus:`` paths, in the order given, each once; a spec matching no score is an error."""
    if not specs:
        raise InputError("no corpus given; expected files, folders, globs or corpus:PATH")
    out: list[str] = []
    for spec in specs:
        if spec.startswith(CORPUS_PREFIX):
            found = [spec]
        elif Path(spec).is_dir():
            found = sorted(
                str(p)
                for p in Path(spec).rglob("*")
                if p.is_file() and p.suffix.lower() in SCORE_SUFFIXES
            )
        elif Path(spec).is_file():
            found = [spec]
        elif glob.has_magic(spec):
            found = sorted(
                p
                for p in glob.glob(spec, recursive=True)
                if Path(p).is_file() and Path(p).suffix.lower() in SCORE_SUFFIXES
            )
        else:
            raise InputError(f"{spec}: no such file or folder; expected a score, folder or glob")
        if not found:
            raise InputError(
                f"{spec}: holds no score file; expected one of {' '.join(SCORE_SUFFIXES)}"
            )
        out.extend(found)
    return list(dict.fromkeys(out))


def read_corpus(specs: Sequence[str], **options: Any) -> list[Melody]:
    """Every melody of every score :func:`gather` finds (a corpus file may hold hundreds),
    each melody once: one read again (the same codes, from another file such as
    ``nabiya.ly`` and ``nabiya.txt``, or twice in one file) is left out with a warning
    naming both, so that it can never be a training song and a test song at once.
    ``options`` go to :func:`nabi_music.readers.read`."""
    melodies: list[Melody] = []
    seen: dict[tuple[str, ...], Melody] = {}
    for path in gather(specs):
        for melody in read(path, **options):
            first = seen.setdefault(tuple(melody.codes), melody)
            if first is melody:
                melodies.append(melody)
            else:
                warnings.warn(
                    f"{_named(melody)}: the same melody as {_named(first)} "
                    f"({len(melody.notes)} notes); kept once",
                    NabiWarning,
                    stacklevel=2,
                )
    return melodies


def _named(melody: Melody) -> str:
    return f"{melody.source} ({melody.title})" if melody.title else melody.source


def pitch_only(melody: Melody) -> Melody:
    """The melody as chromatic pitches alone: rests dropped, every note a quarter note
    spelled from its MIDI number, so that each code stands for one MIDI pitch."""
    notes = tuple(Note(Pitch.from_midi(n.pitch.midi), Fraction(1)) for n in melody.notes if n.pitch)
    return melody.with_notes(notes)


@dataclass(frozen=True)
class Split:
    """Song indices of the training, validation and test sets (disjoint)."""

    train: tuple[int, ...]
    validation: tuple[int, ...]
    test: tuple[int, ...]

    def __post_init__(self) -> None:
        sets = [set(self.train), set(self.validation), set(self.test)]
        if sum(len(s) for s in sets) != len(set().union(*sets)):
            raise ValueError("a song can be in only one of train, validation and test")

    def to_dict(self) -> dict[str, list[int]]:
        return {
            "train": list(self.train),
            "validation": list(self.validation),
            "test": list(self.test),
        }


def _count(fraction: float, n: int) -> int:
    return max(1, round(fraction * n)) if fraction > 0 else 0


def split_songs(n_songs: int, seed: int, validation: float = 0.1, test: float = 0.1) -> Split:
    """A seeded random split of ``n_songs`` songs (default 80/10/10), each set sorted."""
    if not (0 <= validation < 1 and 0 <= test < 1 and validation + test < 1):
        raise InputError(
            f"validation and test fractions must add to less than 1, got {validation} and {test}"
        )
    n_val, n_test = _count(validation, n_songs), _count(test, n_songs)
    if n_songs - n_val - n_test < 1:
        raise InputError(
            f"{n_songs} songs are too few to split into train, validation and test; "
            f"need at least {n_val + n_test + 1}"
        )
    order = np.random.default_rng(seed).permutation(n_songs)
    return Split(
        train=tuple(sorted(int(i) for i in order[n_val + n_test :])),
        validation=tuple(sorted(int(i) for i in order[:n_val])),
        test=tuple(sorted(int(i) for i in order[n_val : n_val + n_test])),
    )


def folds(n_songs: int, k: int, seed: int, validation: float = 0.1) -> list[Split]:
    """K-fold cross-validation by song: fold ``i`` tests on the ``i``-th of ``k`` seeded,
    near-equal parts, and takes ``validation`` of all songs from the rest for early stopping."""
    if k < 2:
        raise InputError(f"--folds must be at least 2, got {k}")
    n_val = _count(validation, n_songs)
    if n_songs < k or n_songs - -(-n_songs // k) - n_val < 1:
        raise InputError(f"{n_songs} songs are too few for {k} folds")
    rng = np.random.default_rng(seed)
    parts = np.array_split(rng.permutation(n_songs), k)
    out = []
    for i, part in enumerate(parts):
        rest = np.concatenate([p for j, p in enumerate(parts) if j != i])
        rest = rng.permutation(rest)
        out.append(
            Split(
                train=tuple(sorted(int(s) for s in rest[n_val:])),
                validation=tuple(sorted(int(s) for s in rest[:n_val])),
                test=tuple(sorted(int(s) for s in part)),
            )
        )
    return out


def take(melodies: Sequence[Melody], indices: Sequence[int]) -> list[Melody]:
    return [melodies[i] for i in indices]
