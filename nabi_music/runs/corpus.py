"""The corpus workflows behind ``nabi train --corpus``, ``nabi evaluate`` and
``nabi crossval``: read and prepare the songs, split or fold them by song, train and
score, and write the bundle and the figures. Nothing here prints; the command shows
what these return."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

from nabi_music import backend
from nabi_music.data.corpus import Split, read_corpus, split_songs, take
from nabi_music.errors import InputError, shorten
from nabi_music.evaluation.benchmark import Benchmark, FoldResult, cross_validate_members
from nabi_music.evaluation.cache import PredictionCache
from nabi_music.evaluation.crossval import (
    CorpusOptions,
    CrossValidation,
    SplitResult,
    cross_validate,
    prepare,
    run_split,
    score_network,
    score_ngram,
)
from nabi_music.evaluation.members import MIX, Member, make_task, parse_members, predict_split
from nabi_music.evaluation.scores import Scores
from nabi_music.fileio import atomic_write
from nabi_music.models.bundle import (
    Bundle,
    load_bundle,
    save_bundle,
    song_records,
    training_meta,
)
from nabi_music.models.mixture import NETWORK_KINDS, MixtureBundle
from nabi_music.models.ngram import NgramModel
from nabi_music.models.presets import CORPUS_PRESETS, MetreConfig, ModelConfig, preset
from nabi_music.music.notes import Melody
from nabi_music.music.ranges import parse_transposition_range
from nabi_music.training.fit import FitProgress, make_strategy


def split_fractions(text: str) -> tuple[float, float]:
    """``80/10/10`` -> the validation and test fractions of the songs."""
    try:
        parts = [float(p) for p in text.split("/")]
    except ValueError:
        parts = []
    if (
        len(parts) != 3
        or not all(0 <= p <= 100 for p in parts)
        or parts[0] <= 0
        or parts[1] + parts[2] >= sum(parts)
    ):
        raise InputError(
            f"--split {shorten(text)}: expected train/validation/test percentages as in 80/10/10"
        )
    total = sum(parts)
    return parts[1] / total, parts[2] / total


def corpus_options(
    *,
    transpose: str | None = None,
    normalize_key: bool = False,
    pitch_only: bool = False,
    ngram_order: int | None = None,
    smoothing: str | None = None,
    base: CorpusOptions | None = None,
) -> CorpusOptions:
    """The corpus options from the command's, on top of ``base`` (a bundle's own)."""
    base = base or CorpusOptions(
        transpose=parse_transposition_range(transpose) if transpose else None,
        normalize_key=normalize_key,
        pitch_only=pitch_only,
    )
    return CorpusOptions(
        transpose=base.transpose,
        normalize_key=base.normalize_key,
        pitch_only=base.pitch_only,
        ngram_order=ngram_order or base.ngram_order,
        smoothing=smoothing or base.smoothing,
    )


def _quiet_retracing() -> None:
    """Each fold builds new models, so Keras traces new functions: expected, not a warning."""
    backend.tensorflow().get_logger().setLevel("ERROR")


@dataclass(frozen=True)
class Corpus:
    """The songs of a corpus run, prepared, and how they will be trained."""

    melodies: list[Melody]
    config: ModelConfig
    options: CorpusOptions
    strategy: Any
    meta: dict[str, Any]

    @property
    def notes(self) -> int:
        return sum(len(m.notes) for m in self.melodies)

    def training(self, seed: int) -> dict[str, Any]:
        """The keywords every training of this corpus takes."""
        return {"seed": seed, "strategy": self.strategy}


def load_corpus(
    paths: Sequence[str],
    preset_name: str,
    *,
    options: CorpusOptions,
    read_options: dict[str, Any],
    strategy: str = "default",
    epochs: int | None = None,
    window: int | None = None,
    members: int | None = None,
) -> Corpus:
    """Start TensorFlow (the strategy first: multi-worker wants it before anything runs),
    read the corpus and prepare its songs."""
    if isinstance(preset(preset_name), MetreConfig) and strategy != "default":
        raise InputError(f"{preset_name} trains on one device: leave out --strategy")
    backend.quiet_tensorflow()
    made = make_strategy(strategy)  # before TensorFlow runs anything (multi-worker)
    _quiet_retracing()
    melodies_read = read_corpus(paths, **read_options)
    config = preset(preset_name).with_options(epochs=epochs, window=window, members=members)
    melodies = prepare(melodies_read, options)
    meta = {"corpus": list(paths), "read_options": read_options}
    return Corpus(melodies, config, options, made, meta)


MIXTURE = "mixture"
"""``nabi train --corpus --preset mixture``: networks and n-grams mixed (``--parts``)."""
DEFAULT_PARTS = "metre,ngram,interval-ngram"


def check_train_request(
    preset_name: str, scores: Sequence[str], output: str | None, folds: int | None
) -> Path:
    """Refuse a corpus training that cannot run, before anything is read; the bundle path."""
    if scores:
        raise InputError("give the songs either as SCORE arguments or after --corpus, not both")
    if preset_name not in CORPUS_PRESETS and preset_name != MIXTURE:
        raise InputError(
            f"--corpus trains the corpus presets ({', '.join(CORPUS_PRESETS)}) or a "
            f"{MIXTURE}, not {preset_name}"
        )
    if preset_name == MIXTURE and folds is not None:
        raise InputError(
            "a mixture is cross-validated by `nabi crossval --members ...,mix`, not --folds"
        )
    return Path(output or f"{preset_name}.nabi")


def check_bundle_path(out: Path) -> None:
    """A bundle can be written at ``out``: not a folder, and its folder exists."""
    if out.is_dir():
        raise InputError(f"{out}: is a folder; expected a bundle file name")
    if not out.parent.exists():
        raise InputError(f"{out.parent}: no such folder for the bundle")


def train_folds(
    corpus: Corpus,
    folds: int,
    *,
    seed: int,
    progress_for: Any = None,
    on_fold: Any = None,
) -> CrossValidation:
    """K-fold cross-validation by song (:func:`nabi_music.evaluation.crossval.cross_validate`)."""
    how = corpus.training(seed)
    return cross_validate(
        corpus.melodies,
        folds,
        corpus.config,
        corpus.options,
        **how,
        progress_for=progress_for,
        on_fold=on_fold,
    )


def folds_json(corpus: Corpus, seed: int, cv: CrossValidation) -> dict[str, Any]:
    return {
        "preset": corpus.config.to_dict(),
        "options": corpus.options.to_dict(),
        "seed": seed,
        **cv.to_dict(),
    }


def corpus_split(corpus: Corpus, seed: int, validation: float, test: float) -> Split:
    return split_songs(len(corpus.melodies), seed, validation, test)


def train_split(
    corpus: Corpus,
    split: Split,
    out: Path,
    *,
    seed: int,
    progress: FitProgress | None = None,
) -> SplitResult:
    """Train on the split's training songs, score its test songs, and save the bundle."""
    how = corpus.training(seed)
    result = run_split(
        corpus.melodies,
        split,
        corpus.config,
        corpus.options,
        **how,
        progress=progress,
        meta=corpus.meta,
    )
    # the held-out songs travel in the bundle: `nabi evaluate` reads no file it was not given
    test = song_records(take(corpus.melodies, split.test))
    bundle = replace(result.bundle, meta={**result.bundle.meta, "test_songs": test})
    save_bundle(bundle, out)
    return replace(result, bundle=bundle)


def write_json(path: str | None, data: dict[str, Any]) -> Path | None:
    """Write ``data`` as JSON to ``path`` (atomically); nothing without a path."""
    if not path:
        return None
    with atomic_write(Path(path)) as tmp:
        Path(tmp).write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n")
    return Path(path)


@dataclass(frozen=True)
class Evaluation:
    """A bundle's figures on held-out songs, beside the n-gram's."""

    bundle: Bundle
    where: str
    skipped: int
    overlap: int
    """How many of the songs scored are among the bundle's training songs."""
    options: CorpusOptions
    model: Scores
    ngram: Scores
    scored: tuple[Melody, ...] = ()
    """The songs scored, in order (``song_bits[i]`` is ``scored[song_index[i]]``'s)."""

    def per_song(self) -> list[dict[str, Any]]:
        """Each scored song's title and file beside its own figures, the model's and the
        n-gram's (bits per note of the code and of the pitch)."""
        ngram = dict(
            zip(
                self.ngram.song_index,
                zip(self.ngram.song_bits, self.ngram.song_pitch_bits, strict=True),
                strict=True,
            )
        )
        rows = []
        for k, bits, pitch in zip(
            self.model.song_index, self.model.song_bits, self.model.song_pitch_bits, strict=True
        ):
            song = self.scored[k]
            n_bits, n_pitch = ngram.get(k, (None, None))
            rows.append(
                {
                    "title": song.title,
                    "source": song.source or None,
                    "notes": len(song.notes),
                    "bits": bits,
                    "pitch_bits": pitch,
                    "ngram_bits": n_bits,
                    "ngram_pitch_bits": n_pitch,
                }
            )
        return rows

    def to_dict(self, bundle_path: str) -> dict[str, Any]:
        return {
            "bundle": str(bundle_path),
            "songs": self.where,
            "per_song": self.per_song(),
            "skipped_songs": self.skipped,
            "training_songs_among_them": self.overlap,
            "options": self.options.to_dict(),
            "model": self.model.to_dict(),
            "ngram": self.ngram.to_dict(),
        }


def evaluate_bundle(
    bundle_path: str,
    corpus: Sequence[str] | None = None,
    *,
    ngram_order: int | None = None,
    smoothing: str | None = None,
) -> Evaluation:
    """Score held-out songs (``corpus``, or the bundle's own test songs) with the bundle
    and with the n-gram counted on the bundle's training songs."""
    if not Path(bundle_path).is_file():
        raise InputError(f"{bundle_path}: no such bundle file")
    bundle = load_bundle(bundle_path)  # checked before TensorFlow starts
    meta = bundle.meta
    if "corpus_options" not in meta or "songs" not in meta:
        raise InputError(
            f"{bundle_path}: not trained on a corpus (no corpus options or training songs "
            "recorded); train it with `nabi train --corpus`"
        )
    options = corpus_options(
        ngram_order=ngram_order,
        smoothing=smoothing,
        base=CorpusOptions.from_dict(meta["corpus_options"]),
    )
    try:
        NgramModel(options.ngram_order, len(bundle.vocabulary), options.smoothing)
    except InputError as err:
        raise InputError(f"{bundle_path}: {err}") from None
    train = _recorded(meta["songs"])
    if corpus:
        songs = prepare(read_corpus(corpus), options)
        where = " ".join(corpus)
    elif "test_songs" in meta:
        songs = _recorded(meta["test_songs"])
        where = f"the held-out test songs of {_paths(meta.get('corpus', ())) or bundle_path}"
    else:
        songs, where = _older_test_songs(bundle_path, meta, options)
    known = [s for s in songs if not bundle.vocabulary.unknown(s.codes)]
    skipped = len(songs) - len(known)
    if not known:
        raise InputError(f"no song of {where} is written in codes the bundle knows")
    seen = {" ".join(m.codes) for m in train}
    overlap = sum(1 for s in known if " ".join(s.codes) in seen)
    model = score_network(bundle, known)
    start = 0 if bundle.config.start_padded else bundle.config.window
    ngram = score_ngram(train, known, bundle.vocabulary, options, start)
    return Evaluation(bundle, where, skipped, overlap, options, model, ngram, tuple(known))


def _recorded(songs: Sequence[dict[str, Any]]) -> list[Melody]:
    """Songs a bundle records (checked by :func:`load_bundle`), without the empty ones."""
    melodies = [
        replace(
            Melody.from_codes(s["codes"], title=s.get("title"), source=s.get("source") or ""),
            key=s.get("key"),
            time_signature=s.get("time_signature"),
            pickup=Fraction(s["pickup"]) if s.get("pickup") else None,
        )
        for s in songs
    ]
    return [m for m in melodies if m.notes]


def _paths(paths: Sequence[str]) -> str:
    shown = " ".join(shorten(p, 60) for p in paths[:3])
    return shown + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")


def _older_test_songs(
    bundle_path: str, meta: dict[str, Any], options: CorpusOptions
) -> tuple[list[Melody], str]:
    """The held-out songs of a bundle that records only where its corpus was: read again
    when it was music21's corpus (``corpus:`` paths); files and folders a bundle names
    are never opened unless the user names them (``--corpus``)."""
    paths, split = meta.get("corpus"), meta.get("split")
    if not paths or not split:
        raise InputError(f"{bundle_path}: records no corpus split; give --corpus PATH")
    files = [p for p in paths if not p.startswith("corpus:")]
    if files:
        raise InputError(
            f"{bundle_path}: does not record its held-out songs, and nabi reads only the "
            f"files you name, not {shorten(files[0])}: give --corpus PATH to score songs"
        )
    everything = prepare(read_corpus(paths, **meta.get("read_options", {})), options)
    beyond = [i for i in split["test"] if i >= len(everything)]
    if beyond:
        raise InputError(
            f"{bundle_path}: its split names song {beyond[0] + 1}, and {_paths(paths)} "
            f"holds {len(everything)} songs"
        )
    return take(everything, split["test"]), f"the held-out test songs of {_paths(paths)}"


# --- nabi crossval -----------------------------------------------------------------

DEFAULT_CACHE = "outputs/crossval-cache"


def check_crossval_request(members: str, epochs: int | None) -> tuple[Member, ...]:
    """The members asked for, refused before anything is read when unknown."""
    return parse_members(members, epochs)


def run_crossval(
    corpus: Sequence[str],
    members: Sequence[Member],
    *,
    folds: int = 10,
    seed: int = 1,
    key_normalise: bool = False,
    read_options: dict[str, Any] | None = None,
    cache: str | None = DEFAULT_CACHE,
    json_path: str | None = None,
    table_path: str | None = None,
    progress_for: Any = None,
    on_fold: Callable[[str, int, dict[str, FoldResult]], None] | None = None,
) -> Benchmark:
    """``nabi crossval``: read the corpus, cross-validate ``members`` by song on both
    tasks (:func:`nabi_music.evaluation.benchmark.cross_validate_members`), and write the
    figures as JSON (``json_path``) and as tables (``table_path``)."""
    read_options = dict(read_options or {})
    if any(m.kind in NETWORK_KINDS for m in members):
        backend.quiet_tensorflow()
        _quiet_retracing()
    melodies = read_corpus(corpus, **read_options)
    bench = cross_validate_members(
        melodies,
        members,
        folds=folds,
        seed=seed,
        key_normalised=key_normalise,
        cache=PredictionCache(Path(cache) if cache else None),
        progress_for=progress_for,
        on_fold=on_fold,
        meta={"command": "nabi crossval", "corpus": list(corpus), "read_options": read_options},
    )
    write_json(json_path, bench.to_dict())
    if table_path:
        with atomic_write(Path(table_path)) as tmp:
            Path(tmp).write_text(bench.tables() + "\n", encoding="utf-8")
    return bench


# --- nabi train --corpus --preset mixture --------------------------------------------


@dataclass(frozen=True)
class MixtureTraining:
    """A mixture trained on one split: the bundle, each part's and the mixture's figures
    on the held-out test songs, the baseline n-gram's, and what each part took."""

    bundle: MixtureBundle
    split: Split
    scores: dict[str, Scores]
    """Each part's figures and the mixture's, the mixture scored by the bundle itself
    (as ``nabi evaluate`` scores it)."""
    ngram: Scores
    info: dict[str, dict[str, Any]]
    mixed: Scores
    """The mixture's figures from its parts' predictions, as ``nabi crossval`` mixes them."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "split": self.split.to_dict(),
            "mixture": self.bundle.config.to_dict(),
            "model": self.scores[MIX].to_dict(),
            "parts": {name: s.to_dict() for name, s in self.scores.items() if name != MIX},
            "ngram": self.ngram.to_dict(),
            "info": self.info,
        }


def train_mixture(
    paths: Sequence[str],
    parts: str,
    out: Path,
    *,
    options: CorpusOptions,
    read_options: dict[str, Any],
    seed: int = 1,
    validation: float = 0.1,
    test: float = 0.1,
    epochs: int | None = None,
    progress_for: Any = None,
) -> MixtureTraining:
    """Train a mixture's networks and count its n-grams on a split's training songs,
    choose its n-gram orders and weights on the validation songs, save it as one bundle
    (holding its held-out test songs) and score the test songs with it."""
    members = parse_members(f"{parts},{MIX}", epochs)
    if options.pitch_only and any(m.kind == "metre" for m in members):
        raise InputError(
            "a metre-aware part reads each note's length and place in the bar: "
            "train the mixture without --pitch-only"
        )
    if any(m.kind in NETWORK_KINDS for m in members):
        backend.quiet_tensorflow()
        _quiet_retracing()
    melodies = [m for m in read_corpus(paths, **read_options) if any(n.pitch for n in m.notes)]
    task = make_task(
        "pitch" if options.pitch_only else "code",
        melodies,
        options.normalize_key,
        options.transpose,
    )
    task = replace(task, options=options)
    split = split_songs(len(task.songs), seed, validation, test)
    predicted = predict_split(
        task, split, members, seed=seed, keep_networks=True, progress_for=progress_for
    )
    assert predicted.mixture is not None
    train_songs, test_songs = take(task.songs, split.train), take(task.songs, split.test)
    bundle = MixtureBundle(
        vocabulary=task.vocabulary,
        config=predicted.mixture,
        networks={
            p.name: predicted.networks[p.name]
            for p in predicted.mixture.parts
            if p.kind in NETWORK_KINDS
        },
        seed=seed,
        meta={
            **training_meta(train_songs),
            "corpus": list(paths),
            "read_options": read_options,
            "corpus_options": options.to_dict(),
            "split": split.to_dict(),
            "test_songs": song_records(test_songs),
        },
        trained_on=tuple(dict.fromkeys(m.source for m in train_songs if m.source)),
    )
    save_bundle(bundle, out)
    test_y = task.encode(split.test)
    scores = {m.name: task.score(predicted.test[m.name], test_y) for m in members}
    mixed = scores[MIX]
    scores[MIX] = score_network(bundle, test_songs)  # as `nabi evaluate` scores it
    ngram = score_ngram(train_songs, test_songs, task.vocabulary, options)
    return MixtureTraining(bundle, split, scores, ngram, predicted.info, mixed)
