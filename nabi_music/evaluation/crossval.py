"""Train on a corpus split by song, and score the held-out songs beside the n-gram.

:func:`run_split` trains a corpus preset on one split's training songs (early
stopping on its validation songs) and scores its test songs, and an n-gram
model counted on the same training songs, with the same figures.
:func:`cross_validate` does it for each of K folds by song and pools the
figures over every song of the corpus (each one a test song exactly once).

How songs are prepared (:class:`CorpusOptions`) travels in the bundle, so
that ``nabi evaluate`` prepares new songs the same way:

- ``normalize_key``: every song (training and test) moved to C major or A minor
  by its written key, or the key the Krumhansl-Schmuckler algorithm finds; a
  pitch's probability is then that of the pitch a known shift away;
- ``pitch_only``: rests dropped and every note's duration ignored (chromatic
  pitch, the target of the published melody-prediction benchmarks);
- ``transpose``: the training songs (only) also at every shift in the range.

The vocabulary is every code of the corpus (and of the transposed songs): the
alphabet is known in advance, as in IDyOM's benchmarks; only training songs
are counted or learnt from.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from nabi_music.data.corpus import Split, folds, pitch_only, take
from nabi_music.data.encoding import Vocabulary, pitch_classes
from nabi_music.data.transpose import normalize_key, transpositions
from nabi_music.errors import InputError
from nabi_music.evaluation.scores import Scores, network_log_probs, score_predictions
from nabi_music.models.bundle import Bundle, training_meta
from nabi_music.models.metre_runner import for_song
from nabi_music.models.ngram import NgramModel
from nabi_music.models.presets import MetreConfig, ModelConfig
from nabi_music.music.notes import Melody
from nabi_music.training.fit import FitProgress, FitReport, Schedule, fit_corpus
from nabi_music.training.metre_fit import fit_metre_bundle


@dataclass(frozen=True)
class CorpusOptions:
    """How songs are prepared and the baseline built (saved in the bundle's meta)."""

    transpose: tuple[int, int] | None = None
    normalize_key: bool = False
    pitch_only: bool = False
    ngram_order: int = 3
    smoothing: str = "witten-bell"

    def to_dict(self) -> dict[str, Any]:
        return {
            "transpose": list(self.transpose) if self.transpose else None,
            "normalize_key": self.normalize_key,
            "pitch_only": self.pitch_only,
            "ngram_order": self.ngram_order,
            "smoothing": self.smoothing,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CorpusOptions:
        t = data.get("transpose")
        return cls(
            transpose=(int(t[0]), int(t[1])) if t else None,
            normalize_key=bool(data.get("normalize_key", False)),
            pitch_only=bool(data.get("pitch_only", False)),
            ngram_order=int(data.get("ngram_order", 3)),
            smoothing=str(data.get("smoothing", "witten-bell")),
        )


def prepare(melodies: Sequence[Melody], options: CorpusOptions) -> list[Melody]:
    """The songs as the model sees them (key normalised, pitch only), training or test."""
    out = []
    for m in melodies:
        if options.normalize_key:
            m = normalize_key(m)[0]
        if options.pitch_only:
            m = pitch_only(m)
        if m.notes:
            out.append(m)
    return out


def corpus_vocabulary(melodies: Sequence[Melody], options: CorpusOptions) -> Vocabulary:
    """Every code of the (prepared) corpus, and of its transpositions when training uses them."""
    songs = list(melodies)
    if options.transpose:
        songs = transpositions(songs, *options.transpose)
    return Vocabulary.from_melodies(songs)


@dataclass(frozen=True)
class SplitResult:
    """One split's trained bundle and held-out figures (model and n-gram)."""

    split: Split
    model: Scores
    ngram: Scores
    report: FitReport
    bundle: Bundle

    def to_dict(self) -> dict[str, Any]:
        return {
            "split": self.split.to_dict(),
            "model": self.model.to_dict(),
            "ngram": self.ngram.to_dict(),
            "fit": self.report.to_dict(),
        }


def score_network(bundle: Bundle, songs: Sequence[Melody]) -> Scores:
    """The bundle's figures on ``songs`` (prepared, every code in its vocabulary)."""
    runner = bundle.runner()
    table = bundle.table
    log_probs, targets = [], []
    for k, song in enumerate(songs):
        seq = bundle.vocabulary.encode(song.codes, where=song.source or f"song {k + 1}")
        lp, start = network_log_probs(for_song(runner, song), table, seq)
        log_probs.append(lp)
        targets.append(seq[start:])
    return score_predictions(log_probs, targets, pitch_classes(bundle.vocabulary))


def score_ngram(
    train: Sequence[Melody],
    songs: Sequence[Melody],
    vocabulary: Vocabulary,
    options: CorpusOptions,
    start: int = 0,
) -> Scores:
    """An n-gram model counted on ``train``, scored on ``songs`` from note ``start`` on."""
    model = NgramModel(options.ngram_order, len(vocabulary), options.smoothing)
    model.fit([vocabulary.encode(m.codes) for m in train])
    log_probs, targets = [], []
    for song in songs:
        seq = vocabulary.encode(song.codes)
        log_probs.append(model.log_probs(seq, start))
        targets.append(seq[start:])
    return score_predictions(log_probs, targets, pitch_classes(vocabulary))


def fit_split(
    melodies: Sequence[Melody],
    split: Split,
    config: ModelConfig | MetreConfig,
    options: CorpusOptions,
    *,
    vocabulary: Vocabulary | None = None,
    seed: int = 1,
    epochs: int | None = None,
    strategy: str | Any = "default",
    progress: FitProgress | None = None,
    meta: dict[str, Any] | None = None,
    schedule: Schedule | None = None,
) -> tuple[Bundle, FitReport]:
    """Train on ``split.train`` (prepared ``melodies``, transposed when ``options`` say
    so), settling and stopping on ``split.validation`` (``schedule``: the preset's by
    default): the bundle and the report of its training."""
    vocabulary = vocabulary or corpus_vocabulary(melodies, options)
    train = take(melodies, split.train)
    fit_songs = transpositions(train, *options.transpose) if options.transpose else train
    meta = {
        **training_meta(train),
        **(meta or {}),
        "corpus_options": options.to_dict(),
        "split": split.to_dict(),
    }
    if isinstance(config, MetreConfig):
        if options.pitch_only:
            raise InputError(
                f"{config.preset} reads each note's length and place in the bar: "
                "train it without --pitch-only"
            )
        return fit_metre_bundle(
            fit_songs,
            take(melodies, split.validation),
            config.with_options(key=options.normalize_key),
            vocabulary=vocabulary,
            seed=seed,
            epochs=epochs,
            progress=progress,
            schedule=schedule,
            meta=meta,
        )
    return fit_corpus(
        fit_songs,
        take(melodies, split.validation),
        config,
        vocabulary=vocabulary,
        seed=seed,
        epochs=epochs,
        strategy=strategy,
        progress=progress,
        schedule=schedule,
        meta=meta,
    )


def run_split(
    melodies: Sequence[Melody],
    split: Split,
    config: ModelConfig,
    options: CorpusOptions,
    *,
    vocabulary: Vocabulary | None = None,
    seed: int = 1,
    epochs: int | None = None,
    strategy: str | Any = "default",
    progress: FitProgress | None = None,
    meta: dict[str, Any] | None = None,
    schedule: Schedule | None = None,
) -> SplitResult:
    """Train on ``split.train`` (:func:`fit_split`) and score ``split.test`` with the
    network and with the n-gram model counted on the same training songs."""
    vocabulary = vocabulary or corpus_vocabulary(melodies, options)
    bundle, report = fit_split(
        melodies,
        split,
        config,
        options,
        vocabulary=vocabulary,
        seed=seed,
        epochs=epochs,
        strategy=strategy,
        progress=progress,
        meta=meta,
        schedule=schedule,
    )
    test = take(melodies, split.test)
    model_scores = score_network(bundle, test)
    start = 0 if config.start_padded else config.window
    ngram_scores = score_ngram(take(melodies, split.train), test, vocabulary, options, start)
    return SplitResult(split, model_scores, ngram_scores, report, bundle)


def pool(scores: Sequence[Scores]) -> Scores:
    """Figures over the notes of several disjoint test sets (means weighted by notes)."""
    notes = np.array([s.notes for s in scores], dtype=np.float64)

    def mean(name: str) -> float:
        return float(np.dot([getattr(s, name) for s in scores], notes) / notes.sum())

    return Scores(
        songs=sum(s.songs for s in scores),
        notes=int(notes.sum()),
        bits=mean("bits"),
        pitch_bits=mean("pitch_bits"),
        top1=mean("top1"),
        top3=mean("top3"),
        pitch_top1=mean("pitch_top1"),
        pitch_top3=mean("pitch_top3"),
        song_bits=tuple(b for s in scores for b in s.song_bits),
        song_pitch_bits=tuple(b for s in scores for b in s.song_pitch_bits),
    )


@dataclass(frozen=True)
class CrossValidation:
    """K folds by song; ``model`` and ``ngram`` pool every fold's test notes."""

    folds: tuple[SplitResult, ...]

    @property
    def model(self) -> Scores:
        return pool([f.model for f in self.folds])

    @property
    def ngram(self) -> Scores:
        return pool([f.ngram for f in self.folds])

    def to_dict(self) -> dict[str, Any]:
        return {
            "folds": [f.to_dict() for f in self.folds],
            "model": self.model.to_dict(),
            "ngram": self.ngram.to_dict(),
        }


def cross_validate(
    melodies: Sequence[Melody],
    k: int,
    config: ModelConfig,
    options: CorpusOptions,
    *,
    seed: int = 1,
    epochs: int | None = None,
    strategy: str | Any = "default",
    progress_for: Callable[[int], FitProgress | None] | None = None,
    on_fold: Callable[[int, SplitResult], None] | None = None,
) -> CrossValidation:
    """K-fold cross-validation by song of ``config`` (and the n-gram) on prepared melodies."""
    vocabulary = corpus_vocabulary(melodies, options)
    results = []
    for i, split in enumerate(folds(len(melodies), k, seed)):
        result = run_split(
            melodies,
            split,
            config,
            options,
            vocabulary=vocabulary,
            seed=seed,
            epochs=epochs,
            strategy=strategy,
            progress=progress_for(i) if progress_for else None,
        )
        if on_fold:
            on_fold(i, result)
        results.append(result)
    return CrossValidation(tuple(results))
