"""Corpus training: windows streamed through ``tf.data`` into Keras ``fit``.

The tutorial's presets train with the compiled loop of :mod:`nabi_music.training.loop`;
corpus presets (many songs, an embedding, stacked layers, early stopping) train
here instead:

- windows never cross songs; for presets with the start symbol every note of a
  song is a target, its window left-padded with the start symbol;
- the training windows are turned into features once (NumPy), then shuffled
  by ``tf.data`` with the seed, batched and prefetched while the model trains;
- Keras ``fit`` trains, with the validation songs' loss after each epoch, and a
  :class:`Schedule` on it lets training settle before it stops: the learning
  rate falls when the validation loss stops improving, and training stops only
  at a plateau after the last fall; the weights of the best epoch are kept;
- ``strategy``: ``default`` (one device), ``mirrored`` (``MirroredStrategy``
  over the local devices) or ``multi-worker`` (``MultiWorkerMirroredStrategy``,
  configured by the ``TF_CONFIG`` environment variable); the two distributed
  ones train with :func:`nabi_music.training.distributed.fit_distributed` (Keras ``fit``
  fails across several workers).

Randomness comes from the seed alone: initial weights (seeded initializers),
dropout (seeded generators) and the shuffling (the ``tf.data`` shuffle seed).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from nabi_music import backend
from nabi_music.data.encoding import Factors, Vocabulary, feature_table, start_row
from nabi_music.errors import InputError
from nabi_music.models.builders import build_corpus_model
from nabi_music.models.bundle import Bundle, library_versions, training_meta
from nabi_music.models.history import History
from nabi_music.models.presets import ModelConfig
from nabi_music.music.notes import Melody
from nabi_music.training.distributed import fit_distributed

STRATEGIES = ("default", "mirrored", "multi-worker")

FitProgress = Callable[[int, int, dict[str, float]], None]
"""``progress(epochs_done, epochs_total, logs)``; ``logs`` holds ``loss`` and ``val_loss``."""


def _name(melody: Melody, k: int) -> str:
    return f"{melody.source or 'melody'} ({melody.title or f'melody {k + 1}'})"


def encode_songs(melodies: Sequence[Melody], vocabulary: Vocabulary) -> list[np.ndarray]:
    """Each melody's vocabulary indices (an unknown code is an InputError naming it)."""
    return [vocabulary.encode(m.codes, where=_name(m, k)) for k, m in enumerate(melodies)]


@dataclass(frozen=True)
class Chunks:
    """Windows of ``window`` inputs, each with the next note after every position.

    ``inputs[i, t]`` is followed by ``targets[i, t]``; ``weights[i, t]`` is 1 for the
    targets that count (each note of each song exactly once, with at least half a
    window of context or its whole song so far), 0 for the start padding and repeats.
    """

    inputs: np.ndarray  # (n, window) int32
    targets: np.ndarray  # (n, window) int32
    weights: np.ndarray  # (n, window) float32

    def __len__(self) -> int:
        return len(self.inputs)

    @property
    def notes(self) -> int:
        return int(self.weights.sum())

    def padded(self, multiple: int) -> Chunks:
        """The chunks and copies of the first with weight 0, to a multiple of ``multiple``
        rows: every batch is then full, and splits evenly between distributed replicas."""
        extra = -len(self) % multiple
        if not extra:
            return self
        rows = np.zeros(extra, dtype=np.int64)
        return Chunks(
            np.concatenate([self.inputs, self.inputs[rows]]),
            np.concatenate([self.targets, self.targets[rows]]),
            np.concatenate([self.weights, np.zeros_like(self.weights[rows])]),
        )


def song_chunks(sequences: Sequence[np.ndarray], window: int, start: int) -> Chunks:
    """The chunks of every song (never across songs), ``start`` being the start symbol.

    Each song is left-padded with ``window`` start symbols; chunks end every half
    window from the song's last note back to its first, so every note is a target
    with the same context the window model sees when it predicts.
    """
    half = max(window // 2, 1)
    inputs, targets, weights = [], [], []
    for seq in sequences:
        if not len(seq):
            continue
        padded = np.concatenate([np.full(window, start, np.int32), np.asarray(seq, np.int32)])
        end = len(padded) - 1  # index of the chunk's last target
        while end >= window:
            idx = np.arange(end - window + 1, end + 1)
            last_chunk = end - half < window
            w = (idx >= window) & ((idx > end - half) | last_chunk)
            inputs.append(padded[idx - 1])
            targets.append(np.where(w, padded[idx], 0))  # padding: any class, weight 0
            weights.append(w.astype(np.float32))
            end -= half
    if not inputs:
        raise InputError("no note to train on")
    return Chunks(np.stack(inputs), np.stack(targets), np.stack(weights))


def model_table(vocabulary: Vocabulary, config: ModelConfig) -> np.ndarray:
    """Features of every index the model reads (with the start symbol's row where used)."""
    table = feature_table(vocabulary, config.encoding)
    return start_row(table) if config.start_padded else table


def make_dataset(
    chunks: Chunks,
    table: np.ndarray,
    batch_size: int,
    *,
    shuffle_seed: int | None = None,
    factors: Factors | None = None,
    members: int = 1,
) -> Any:
    """A ``tf.data`` pipeline of ``(features, targets, weights)`` batches.

    The features are looked up once, in NumPy (a few bytes a note), so that the
    pipeline only shuffles, batches and prefetches while the model trains. With
    ``factors`` the targets and weights are ``(pitch, duration)`` pairs for a
    two-head model, and ``members`` copies of them for an ensemble (one per
    member's heads). ``shuffle_seed`` shuffles the whole set anew each epoch.
    """
    tf = backend.tensorflow()

    features = np.asarray(table, dtype=np.float32)[chunks.inputs]
    if factors is None:
        targets: Any = chunks.targets
        weights: Any = chunks.weights
    else:
        targets = (factors.pitch_of[chunks.targets], factors.duration_of[chunks.targets])
        weights = (chunks.weights, chunks.weights)
    if members > 1:
        twice = factors is not None
        targets = (*targets,) * members if twice else (targets,) * members
        weights = (*weights,) * members if twice else (weights,) * members
    ds = tf.data.Dataset.from_tensor_slices((features, targets, weights))
    if shuffle_seed is not None:
        ds = ds.shuffle(len(chunks), seed=shuffle_seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size)
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    options.deterministic = True
    return ds.with_options(options).prefetch(tf.data.AUTOTUNE)


def make_strategy(name: str) -> Any:
    """The ``tf.distribute`` strategy named ``default``, ``mirrored`` or ``multi-worker``
    (the cluster from ``TF_CONFIG``)."""
    tf = backend.tensorflow()

    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        # every GPU, or else every (logical) CPU device: MirroredStrategy's own default
        # takes one CPU only
        devices = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
        return tf.distribute.MirroredStrategy([d.name for d in devices])
    if name == "multi-worker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise InputError(f"unknown strategy {name!r}; expected one of {', '.join(STRATEGIES)}")


def compile_model(model: Any, config: ModelConfig, jit_compile: bool | str = "auto") -> None:
    keras = backend.keras()

    optimizer = keras.optimizers.Adam(learning_rate=config.learning_rate, clipnorm=1.0)

    def loss() -> Any:
        # the mean over the targets that count (weight 1), not over the padding too
        return keras.losses.SparseCategoricalCrossentropy(reduction="mean_with_sample_weight")

    outputs = config.members * (2 if config.heads == "two" else 1)
    if outputs > 1:  # the loss is the members' mean (of the sums of their heads' losses)
        model.compile(
            optimizer=optimizer,
            loss=[loss() for _ in range(outputs)],
            loss_weights=[1.0 / config.members] * outputs,
            weighted_metrics=[["accuracy"] for _ in range(outputs)],
            jit_compile=jit_compile,
        )
    else:
        model.compile(
            optimizer=optimizer, loss=loss(), weighted_metrics=["accuracy"], jit_compile=jit_compile
        )


@dataclass(frozen=True)
class Schedule:
    """How corpus training settles before it stops, on the validation loss.

    After ``patience`` epochs without a better validation loss the learning rate
    is multiplied by ``factor`` (Keras' ``ReduceLROnPlateau``); at the plateau after
    ``falls`` falls training stops, not before ``min_epochs``. The patience grows
    with the training done: it is at least ``progress`` times the epochs up to the
    best one, so that a long run is not cut by a few noisy epochs. ``patience`` 0:
    a constant learning rate and every epoch trained. The weights kept are those of
    the best epoch.
    """

    patience: int
    factor: float = 0.5
    falls: int = 3
    min_epochs: int = 0
    progress: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def schedule_of(config: ModelConfig) -> Schedule:
    """The schedule of a corpus preset: its ``patience``, and this module's defaults."""
    return Schedule(patience=config.patience)


class Settling:
    """The :class:`Schedule`'s decisions, one validation loss at a time (no TensorFlow):
    :meth:`update` says whether the epoch is the best so far, the learning rate falls,
    or training stops."""

    def __init__(self, schedule: Schedule, learning_rate: float) -> None:
        self.schedule = schedule
        self.learning_rate = learning_rate
        self.best = np.inf
        self.best_epoch = 0
        self.epoch = 0
        self.falls = 0
        self.waited = 0

    @property
    def patience(self) -> int:
        s = self.schedule
        return max(s.patience, int(np.ceil(s.progress * self.best_epoch)))

    def update(self, val_loss: float) -> str:
        """``best``, ``wait``, ``fall`` (the learning rate is now lower) or ``stop``."""
        self.epoch += 1
        if val_loss < self.best:
            self.best, self.best_epoch, self.waited = val_loss, self.epoch, 0
            return "best"
        self.waited += 1
        if not self.schedule.patience or self.waited < self.patience:
            return "wait"
        if self.falls < self.schedule.falls:
            self.falls += 1
            self.waited = 0
            self.learning_rate *= self.schedule.factor
            return "fall"
        return "stop" if self.epoch >= self.schedule.min_epochs else "wait"


@dataclass(frozen=True)
class FitReport:
    """Every epoch's logs (with its ``learning_rate``), and the epoch whose weights were kept."""

    logs: dict[str, tuple[float, ...]]
    best_epoch: int
    seconds: float
    notes: int
    notes_per_second: float
    replicas: int = 1
    schedule: Schedule | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "logs": {k: list(v) for k, v in self.logs.items()},
            "best_epoch": self.best_epoch,
            "seconds": self.seconds,
            "notes": self.notes,
            "notes_per_second": self.notes_per_second,
            "replicas": self.replicas,
            "schedule": self.schedule.to_dict() if self.schedule else None,
        }


def settle_callback(settling: Settling) -> Any:
    """A Keras callback applying ``settling`` to ``fit``."""
    keras = backend.keras()

    class Settle(keras.callbacks.Callback):
        """Applies a :class:`Settling` after each epoch: keeps the best weights, lowers the
        optimizer's learning rate, stops; logs the epoch's learning rate; ends with the
        best epoch's weights."""

        def __init__(self, settling: Settling) -> None:
            super().__init__()
            self.settling = settling
            self.best_weights: list[Any] | None = None

        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            logs = logs if logs is not None else {}
            logs["learning_rate"] = self.settling.learning_rate  # the rate this epoch trained at
            action = self.settling.update(float(logs["val_loss"]))
            if action == "best":
                self.best_weights = self.model.get_weights()
            elif action == "fall":
                self.model.optimizer.learning_rate.assign(self.settling.learning_rate)
            elif action == "stop":
                self.model.stop_training = True

        def on_train_end(self, logs: dict | None = None) -> None:
            if self.best_weights is not None:
                self.model.set_weights(self.best_weights)

    return Settle(settling)


def fit_corpus(
    train: Sequence[Melody],
    validation: Sequence[Melody],
    config: ModelConfig,
    *,
    vocabulary: Vocabulary | None = None,
    seed: int = 1,
    epochs: int | None = None,
    strategy: str | Any = "default",
    progress: FitProgress | None = None,
    meta: dict[str, Any] | None = None,
    schedule: Schedule | None = None,
) -> tuple[Bundle, FitReport]:
    """Train a stateless preset on ``train`` songs with early stopping on ``validation``.

    ``vocabulary`` defaults to the codes of both sets; pass the whole corpus's
    so that held-out songs can be scored. ``strategy``: a name of
    :data:`STRATEGIES` or a strategy made by :func:`make_strategy` (make a
    ``multi-worker`` one once, before TensorFlow runs anything: its collective
    ops are configured at program start-up). Returns the bundle with the best
    epoch's weights and the report of the run (also kept in ``bundle.meta["fit"]``).
    """
    keras = backend.keras()
    tf = backend.tensorflow()

    if not (config.corpus and config.start_padded):
        raise InputError(
            f"{config.preset} is one of the tutorial's presets (trained by its own loop); "
            "corpus training takes the corpus presets (corpus-lstm, corpus-gru, corpus-lstm-2heads)"
        )
    if not train or not validation:
        raise InputError("corpus training needs training songs and validation songs")
    chosen = make_strategy(strategy) if isinstance(strategy, str) else strategy
    distributed = chosen is not tf.distribute.get_strategy()
    vocabulary = vocabulary or Vocabulary.from_melodies([*train, *validation])
    n_classes = len(vocabulary)
    factors = Factors.of(vocabulary) if config.heads == "two" else None
    n_heads = (len(factors.pitches), len(factors.durations)) if factors else None
    table = model_table(vocabulary, config)
    train_chunks = song_chunks(encode_songs(train, vocabulary), config.window, n_classes)
    val_chunks = song_chunks(encode_songs(validation, vocabulary), config.window, n_classes)
    if distributed:  # full batches only: each splits evenly between the replicas
        train_chunks = train_chunks.padded(config.batch_size)
        val_chunks = val_chunks.padded(config.batch_size)
    train_ds = make_dataset(
        train_chunks,
        table,
        config.batch_size,
        shuffle_seed=seed,
        factors=factors,
        members=config.members,
    )
    val_ds = make_dataset(
        val_chunks, table, config.batch_size, factors=factors, members=config.members
    )

    with chosen.scope():
        trainer = build_corpus_model(config, n_classes, seed, n_heads=n_heads, sequences=True)
        compile_model(trainer, config, jit_compile=False if distributed else "auto")

    total = epochs or config.epochs
    plan = schedule or schedule_of(config)
    settling = Settling(plan, config.learning_rate)
    start = time.perf_counter()
    if distributed:
        logs = fit_distributed(
            trainer,
            train_ds,
            val_ds,
            chosen,
            epochs=total,
            settling=settling,
            members=config.members,
            progress=progress,
        )
    else:
        callbacks: list[Any] = [settle_callback(settling)]
        if progress is not None:

            class _Progress(keras.callbacks.Callback):
                def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
                    progress(epoch + 1, total, {k: float(v) for k, v in (logs or {}).items()})

            callbacks.append(_Progress())

        result = trainer.fit(
            train_ds,
            validation_data=val_ds,
            epochs=total,
            callbacks=callbacks,
            verbose=0,
            shuffle=False,  # tf.data shuffles, with the seed
        )
        logs = {k: tuple(float(v) for v in vs) for k, vs in result.history.items()}
    seconds = time.perf_counter() - start
    model = build_corpus_model(config, n_classes, seed, n_heads=n_heads)
    model.set_weights(trainer.get_weights())  # the best epoch's (restored by the schedule)
    val_loss = logs["val_loss"]
    best = settling.best_epoch - 1
    # the first member's (pitch head's) accuracy
    accuracy = logs.get("accuracy") or logs.get("output_accuracy") or logs.get("pitch_accuracy")
    accuracy = accuracy or ()
    report = FitReport(
        logs=logs,
        best_epoch=best + 1,
        seconds=seconds,
        notes=train_chunks.notes,
        notes_per_second=train_chunks.notes * len(val_loss) / seconds,
        replicas=int(chosen.num_replicas_in_sync),
        schedule=plan,
    )
    history = History(
        loss=logs["loss"],
        accuracy=tuple(accuracy),
        seconds=seconds,
        stopped_early=len(val_loss) < total,
        kept_epoch=best + 1,
        keep="best",
        last={
            "epoch": len(val_loss),
            "loss": logs["loss"][-1],
            **({"accuracy": accuracy[-1]} if accuracy else {}),
        },
    )
    bundle = Bundle(
        model=model,
        vocabulary=vocabulary,
        config=config,
        seed=seed,
        history=history,
        trained_on=tuple(dict.fromkeys(m.source for m in train)),
        versions=library_versions(),
        meta={**training_meta(train), **(meta or {}), "fit": report.to_dict()},
    )
    return bundle, report
