"""What a benchmark compares, and what each member predicts on one split by song.

Members (``nabi crossval --members``):

- ``metre``: the metre-aware network (:class:`nabi_music.models.presets.MetreConfig`):
  each note's step from the pitch before, its length, contour and degree, and where the
  next note falls in the bar; it predicts the next step (and length), so it is the same
  in every key. Its degrees count from the key's tonic when the songs are
  key-normalised (key information allowed), else from each song's first pitch;
- networks: ``lstm`` and ``gru`` (:data:`NETWORKS`: one recurrent layer of 256,
  dropout 0.5, one network each) and the corpus presets by name (``corpus-lstm`` ...);
- ``ngram``: an n-gram of the task's symbols (pitches, or whole codes), Witten-Bell,
  its order chosen on the validation songs from :data:`ORDERS`; ``ngram-N``: order N;
- ``interval-ngram``: an n-gram of melodic intervals (and rests), its order chosen from
  :data:`INTERVAL_ORDERS`; ``interval-ngram-N``: order N. On the code task each
  pitch's mass is shared among its codes as the code n-gram (its order chosen on the
  validation songs from :data:`ORDERS`) shares it;
- ``mix``: the mixture of every other member listed, the weights and the n-grams'
  orders chosen together on the validation songs.

Two tasks (:data:`TASKS`): ``pitch``, the chromatic pitch of every note from the
pitches before it (rests left out: the published benchmarks' target), and
``code``, the whole code of every note and rest (pitch and duration) from the codes
before it. Each member learns each task on its own songs.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from nabi_music.data.context import CodeParts, code_log_probs, references, song_rows
from nabi_music.data.corpus import Split, take
from nabi_music.data.encoding import Vocabulary, pitch_classes
from nabi_music.errors import InputError
from nabi_music.evaluation.cache import PredictionCache, corpus_digest
from nabi_music.evaluation.crossval import CorpusOptions, corpus_vocabulary, fit_split, prepare
from nabi_music.evaluation.mixture import INTERVAL_ORDERS, ORDERS, bits, choose_mixture, mixture
from nabi_music.evaluation.scores import Scores, network_log_probs, score_predictions
from nabi_music.models.bundle import Bundle
from nabi_music.models.mixture import MixtureConfig, Part
from nabi_music.models.ngram import MAX_ORDER, IntervalNgramModel, NgramModel, spread
from nabi_music.models.presets import CORPUS_PRESETS, MetreConfig, ModelConfig, preset
from nabi_music.music.notes import Melody
from nabi_music.training.fit import FitProgress, FitReport
from nabi_music.training.metre_fit import fit_metre, metre_bundle, metre_log_probs

TASKS = ("pitch", "code")
TASK_TEXT = {
    "pitch": "the chromatic pitch (MIDI number) of every note from the pitches before it, "
    "rests left out",
    "code": "the whole code of every note and rest (pitch and duration) from the codes before it",
}
_SHARED = {"units": 256, "layers": 1, "dropout": 0.5, "batch_size": 16, "patience": 8}
NETWORKS: dict[str, ModelConfig] = {
    "lstm": preset("corpus-lstm").with_options(**_SHARED, members=1),
    "gru": preset("corpus-gru").with_options(**_SHARED, members=1),
}
"""The benchmark's networks: the corpus presets' embedding and window of 32, one
recurrent layer of 256 with dropout 0.5, batches of 16, patience 8, one network each
(the LSTM's settings: the best of a few tried on fold 1 of kinder0, key-normalised
pitch; the GRU takes the same ones untried)."""
DEFAULT_MEMBERS = "metre,ngram,interval-ngram,mix"
MIX = "mix"
METRE = "metre"
MIN_WINDOW = 32
"""The least window of a mixture's runner (its n-grams read the song from it)."""
_FIXED = re.compile(r"(interval-)?ngram-(\d+)")


@dataclass(frozen=True)
class Member:
    """One member: its name, kind (``metre``, ``network``, ``ngram``, ``interval``,
    ``mixture``), a network's config, and an n-gram's orders (one: fixed; several:
    chosen)."""

    name: str
    kind: str
    config: ModelConfig | MetreConfig | None = None
    orders: tuple[int, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "config": self.config.to_dict() if self.config else None,
            "orders": list(self.orders),
        }


def member(name: str, epochs: int | None = None) -> Member:
    """The member named ``name`` (``--epochs`` caps a network's epochs)."""
    if name == METRE:
        return Member(name, "metre", MetreConfig().with_options(epochs=epochs))
    if name in NETWORKS or name in CORPUS_PRESETS:
        config = NETWORKS.get(name) or CORPUS_PRESETS[name]
        kind = "metre" if isinstance(config, MetreConfig) else "network"
        return Member(name, kind, config.with_options(epochs=epochs))
    if name == "ngram":
        return Member(name, "ngram", orders=ORDERS)
    if name == "interval-ngram":
        return Member(name, "interval", orders=INTERVAL_ORDERS)
    if name == MIX:
        return Member(name, "mixture")
    fixed = _FIXED.fullmatch(name)
    if fixed and 1 <= int(fixed.group(2)) <= MAX_ORDER:
        kind = "interval" if fixed.group(1) else "ngram"
        return Member(name, kind, orders=(int(fixed.group(2)),))
    known = [
        METRE,
        *NETWORKS,
        *CORPUS_PRESETS,
        "ngram",
        "ngram-N",
        "interval-ngram",
        "interval-ngram-N",
    ]
    raise InputError(f"--members: unknown member {name!r}; expected {', '.join(known)} or mix")


def reads(config: ModelConfig | MetreConfig) -> int:
    """The notes of the song so far a network's runner reads."""
    return config.history if isinstance(config, MetreConfig) else config.window


def parse_members(text: str, epochs: int | None = None) -> tuple[Member, ...]:
    """``lstm,ngram,mix`` -> the members, each once; ``mix`` mixes at least two others."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise InputError("--members: name at least one member")
    if len(set(names)) != len(names):
        raise InputError(f"--members: a member named twice in {text!r}")
    members = tuple(member(n, epochs) for n in names)
    if MIX in names and len(names) < 3:
        raise InputError("--members: mix needs at least two other members to mix")
    return members


@dataclass(frozen=True)
class Task:
    """The songs of one task as the models see them, and its vocabulary; ``sources``:
    the same songs before the task dropped their rests and lengths (key-normalised when
    the task is), which the metre-aware network reads."""

    name: str
    songs: tuple[Melody, ...]
    options: CorpusOptions
    vocabulary: Vocabulary
    sources: tuple[Melody, ...] = ()

    @cached_property
    def rows(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """Each song's context rows (:func:`nabi_music.data.context.song_rows`)."""
        key, pitched = self.options.normalize_key, self.name == "pitch"
        return [song_rows(m, key, pitched_only=pitched) for m in self.sources]

    def metre_log_probs(self, model: Any, config: MetreConfig, index: int) -> np.ndarray:
        """A metre-aware network's log-probabilities of song ``index``'s codes."""
        step_lp, length_lp = metre_log_probs(model, config, self.rows[index][0])
        key, pitched = self.options.normalize_key, self.name == "pitch"
        refs = references(self.sources[index], key, pitched_only=pitched)
        return code_log_probs(step_lp, length_lp, refs, self.code_parts)

    @cached_property
    def code_parts(self) -> CodeParts:
        return CodeParts.of(self.vocabulary)

    @cached_property
    def pitch_of(self) -> np.ndarray:
        return pitch_classes(self.vocabulary)

    @cached_property
    def groups(self) -> np.ndarray:
        """What the figures and the choices are about: each code's pitch (the pitch
        task), or each code itself (the code task)."""
        return self.pitch_of if self.name == "pitch" else np.arange(len(self.vocabulary))

    @cached_property
    def shared_pitches(self) -> bool:
        """Some pitch is written by more than one code (durations): the interval n-gram's
        mass is then spread over them."""
        return len(np.unique(self.pitch_of)) < len(self.vocabulary)

    @cached_property
    def digest(self) -> str:
        return corpus_digest(self.songs)

    def encode(self, indices: Sequence[int]) -> list[np.ndarray]:
        return [self.vocabulary.encode(self.songs[i].codes) for i in indices]

    def score(self, log_probs: Sequence[np.ndarray], targets: Sequence[np.ndarray]) -> Scores:
        return score_predictions(log_probs, targets, self.pitch_of)


def make_task(
    name: str,
    melodies: Sequence[Melody],
    normalize_key: bool,
    transpose: tuple[int, int] | None = None,
) -> Task:
    """The ``pitch`` or ``code`` task of ``melodies`` (each with at least one pitch)."""
    options = CorpusOptions(
        pitch_only=name == "pitch", normalize_key=normalize_key, transpose=transpose
    )
    songs = prepare(melodies, options)
    if len(songs) != len(melodies):
        raise InputError("every song of a benchmark needs a note with a pitch")
    sources = prepare(melodies, CorpusOptions(normalize_key=normalize_key))
    return Task(name, tuple(songs), options, corpus_vocabulary(songs, options), tuple(sources))


def figures(scores: Scores, task: str) -> dict[str, float | int]:
    """The benchmark's figures of a task: bits per note pooled over notes and as the
    mean of the songs' own means, top-1 and top-3 accuracy."""
    pitch = task == "pitch"
    song_bits = scores.song_pitch_bits if pitch else scores.song_bits
    return {
        "bits_pooled": scores.pitch_bits if pitch else scores.bits,
        "bits_song_mean": float(np.mean(song_bits)),
        "top1": scores.pitch_top1 if pitch else scores.top1,
        "top3": scores.pitch_top3 if pitch else scores.top3,
        "notes": scores.notes,
        "songs": scores.songs,
    }


def network(bundle: Any, songs: Sequence[Melody]) -> list[np.ndarray]:
    """A trained model's log-probabilities of each song, from its start."""
    runner, table = bundle.runner(), bundle.table
    return [network_log_probs(runner, table, bundle.vocabulary.encode(m.codes))[0] for m in songs]


@dataclass
class SplitPredictions:
    """What each member predicts of one split's validation and test songs, what it
    took (``info``: seconds, cached, epochs, orders, weights), the mixture chosen, and
    the trained networks when kept."""

    validation: dict[str, list[np.ndarray]] = field(default_factory=dict)
    test: dict[str, list[np.ndarray]] = field(default_factory=dict)
    info: dict[str, dict[str, Any]] = field(default_factory=dict)
    mixture: MixtureConfig | None = None
    networks: dict[str, Bundle] = field(default_factory=dict)


def _fit_info(report: FitReport, start: float) -> dict[str, Any]:
    """What training a network took: its epochs, best epoch and seconds since ``start``."""
    return {
        "epochs": len(report.logs["loss"]),
        "best_epoch": report.best_epoch,
        "seconds": time.perf_counter() - start,
    }


def predict_split(
    task: Task,
    split: Split,
    members: Sequence[Member],
    *,
    seed: int = 1,
    fold: int = 0,
    folds: int | None = None,
    cache: PredictionCache | None = None,
    progress_for: Callable[[str], FitProgress | None] | None = None,
    keep_networks: bool = False,
) -> SplitPredictions:
    """Every member's predictions of ``split``'s validation and test songs: networks
    trained on its training songs (settled on its validation songs), n-grams counted on
    them, orders and mixture weights chosen on the validation songs. With
    ``keep_networks`` the networks are trained now and kept (no cache)."""
    cache = cache or PredictionCache(None, code="")
    out = SplitPredictions()
    val_y, test_y = task.encode(split.validation), task.encode(split.test)
    train_y = task.encode(split.train)
    base = {
        "task": task.name,
        "corpus": task.digest,
        "key_normalised": task.options.normalize_key,
        "transpose": list(task.options.transpose) if task.options.transpose else None,
        "folds": folds,
        "fold": fold,
        "seed": seed,
        "split": split.to_dict(),
    }
    seconds: dict[str, float] = {m.name: 0.0 for m in members}
    cached: dict[str, bool] = {m.name: True for m in members}

    def fetch(owner: str, key: dict[str, Any], compute: Callable) -> tuple[list, list, dict]:
        val, test, info = cache.fetch({**base, **key}, compute)
        seconds[owner] += info["seconds"]
        cached[owner] = cached[owner] and info["cached"]
        return val, test, info

    def network_predictions(name: str, key: dict[str, Any], train: Callable) -> None:
        """A network's predictions: trained now and kept, or fetched from the cache."""
        if keep_networks:
            val, test, info = train()
            seconds[name], cached[name] = info["seconds"], False
        else:
            val, test, info = fetch(name, key, train)
        out.validation[name], out.test[name] = val, test
        out.info[name] = {"epochs": info["epochs"], "best_epoch": info.get("best_epoch")}

    for m in members:
        if m.kind != "metre":
            continue
        assert isinstance(m.config, MetreConfig)
        config = m.config.with_options(key=task.options.normalize_key, lengths=task.name == "code")
        label = f"{task.name} fold {fold + 1}{f'/{folds}' if folds else ''} {m.name}"

        def train_metre(
            config: MetreConfig = config, label: str = label, name: str = m.name
        ) -> tuple[list, list, dict]:
            start = time.perf_counter()
            model, report = fit_metre(
                take(task.rows, split.train),
                take(task.rows, split.validation),
                config,
                seed=seed,
                progress=progress_for(label) if progress_for else None,
            )
            if keep_networks:
                train_songs = take(task.sources, split.train)
                out.networks[name] = metre_bundle(
                    model, report, config, task.vocabulary, seed, train_songs
                )
            val = [task.metre_log_probs(model, config, i) for i in split.validation]
            test = [task.metre_log_probs(model, config, i) for i in split.test]
            return val, test, _fit_info(report, start)

        key = {"member": m.name, "kind": "metre", "config": config.to_dict()}
        network_predictions(m.name, key, train_metre)

    for m in members:
        if m.kind != "network":
            continue
        assert isinstance(m.config, ModelConfig)
        label = f"{task.name} fold {fold + 1}{f'/{folds}' if folds else ''} {m.name}"

        def train(m: Member = m, label: str = label) -> tuple[list, list, dict]:
            start = time.perf_counter()
            bundle, report = fit_split(
                list(task.songs),
                split,
                m.config,  # type: ignore[arg-type]
                task.options,
                vocabulary=task.vocabulary,
                seed=seed,
                progress=progress_for(label) if progress_for else None,
            )
            if keep_networks:
                out.networks[m.name] = bundle
            val = network(bundle, take(task.songs, split.validation))
            test = network(bundle, take(task.songs, split.test))
            return val, test, _fit_info(report, start)

        key = {"member": m.name, "kind": "network", "config": m.config.to_dict()}
        network_predictions(m.name, key, train)

    # the n-grams of every order needed, each counted once on the training songs
    intervals = [m for m in members if m.kind == "interval"]
    grams = [m for m in members if m.kind == "ngram"]
    need_spread = bool(intervals) and task.shared_pitches
    ngram_orders = sorted({k for m in grams for k in m.orders} | set(ORDERS if need_spread else ()))
    ngram_owner = {k: next((m.name for m in grams if k in m.orders), None) for k in ngram_orders}
    smoothing = task.options.smoothing
    n = len(task.vocabulary)
    ngram: dict[int, tuple[list, list]] = {}
    for k in ngram_orders:

        def count(k: int = k) -> tuple[list, list, dict]:
            model = NgramModel(k, n, smoothing).fit(train_y)
            return [model.log_probs(y) for y in val_y], [model.log_probs(y) for y in test_y], {}

        owner = ngram_owner[k] or intervals[0].name
        key = {"member": f"ngram-{k}", "kind": "ngram", "order": k, "smoothing": smoothing}
        ngram[k] = fetch(owner, key, count)[:2]
    spread_order = None
    if need_spread:
        spread_order = min(ORDERS, key=lambda k: bits(ngram[k][0], val_y, task.groups))
    interval: dict[int, tuple[list, list]] = {}
    for k in sorted({k for m in intervals for k in m.orders}):

        def count_intervals(k: int = k) -> tuple[list, list, dict]:
            model = IntervalNgramModel(k, task.pitch_of, smoothing).fit(train_y)
            return [model.log_probs(y) for y in val_y], [model.log_probs(y) for y in test_y], {}

        owner = next(m.name for m in intervals if k in m.orders)
        key = {"member": f"interval-{k}", "kind": "interval", "order": k, "smoothing": smoothing}
        val, test = fetch(owner, key, count_intervals)[:2]
        if spread_order is not None:
            by_val, by_test = ngram[spread_order]
            val = [spread(a, b, task.pitch_of) for a, b in zip(val, by_val, strict=True)]
            test = [spread(a, b, task.pitch_of) for a, b in zip(test, by_test, strict=True)]
        interval[k] = (val, test)

    def options(m: Member) -> list[tuple[list, list]]:
        """What member ``m`` may predict: one for a network, one per order for an n-gram."""
        if m.kind in ("network", "metre"):
            return [(out.validation[m.name], out.test[m.name])]
        table = ngram if m.kind == "ngram" else interval
        return [table[k] for k in m.orders]

    for m in [*grams, *intervals]:
        scored = [bits(val, val_y, task.groups) for val, _ in options(m)]
        best = int(np.argmin(scored))
        out.validation[m.name], out.test[m.name] = options(m)[best]
        out.info[m.name] = {"order": m.orders[best]}
        if m.kind == "interval" and spread_order is not None:
            out.info[m.name]["spread_order"] = spread_order

    mixes = [m for m in members if m.kind == "mixture"]
    if mixes:
        start = time.perf_counter()
        parts = [m for m in members if m.kind != "mixture"]
        choice, weights, _ = choose_mixture(
            [[val for val, _ in options(m)] for m in parts], val_y, task.groups
        )
        chosen = [options(m)[k] for m, k in zip(parts, choice, strict=True)]
        name = mixes[0].name
        out.validation[name] = mixture([val for val, _ in chosen], weights)
        out.test[name] = mixture([test for _, test in chosen], weights)
        weighted = [
            (m.name, m.kind, w, m.orders[k] if m.orders else 0)
            for m, k, w in zip(parts, choice, weights, strict=True)
        ]
        has_intervals = any(kind == "interval" for _, kind, _, _ in weighted)
        out.mixture = MixtureConfig(
            parts=tuple(Part(*p) for p in weighted),
            window=max([MIN_WINDOW, *(reads(m.config) for m in parts if m.config)]),
            # with one code per pitch, spreading changes nothing: any order will do
            spread_order=(spread_order or 1) if has_intervals else None,
            smoothing=smoothing,
        )
        out.info[name] = {
            "weights": {n: w for n, _, w, _ in weighted},
            "orders": {n: k for n, _, _, k in weighted if k},
        }
        if spread_order is not None and has_intervals:
            out.info[name]["spread_order"] = spread_order
        seconds[name] += time.perf_counter() - start
        cached[name] = False
    for m in members:
        out.info.setdefault(m.name, {})
        out.info[m.name].update(seconds=seconds[m.name], cached=cached[m.name])
    return out
