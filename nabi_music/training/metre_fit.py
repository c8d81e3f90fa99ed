"""Train a metre-aware network (:class:`nabi_music.models.presets.MetreConfig`) on songs'
context rows (:mod:`nabi_music.data.context`), and read its predictions.

Training is that of the corpus presets (:mod:`nabi_music.training.fit`): windows of
rows from each song's start, shuffled by ``tf.data`` with the seed, Keras ``fit``
with the validation songs' loss after each epoch, the :class:`Schedule` settling
the learning rate and stopping at a plateau, the best epoch's weights kept.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from nabi_music import backend
from nabi_music.data.context import RowChunks, joint_tokens, last_windows, row_chunks, song_rows
from nabi_music.data.encoding import Vocabulary
from nabi_music.errors import InputError
from nabi_music.models.builders import build_metre_model
from nabi_music.models.bundle import Bundle, library_versions, training_meta
from nabi_music.models.history import History
from nabi_music.models.presets import MetreConfig
from nabi_music.music.notes import Melody
from nabi_music.training.fit import FitProgress, FitReport, Schedule, Settling, settle_callback

Rows = tuple[np.ndarray, np.ndarray]
"""One song's input rows and target rows (:func:`nabi_music.data.context.song_rows`)."""


def _dataset(chunks: RowChunks, config: MetreConfig, shuffle_seed: int | None = None) -> Any:
    tf = backend.tensorflow()
    heads = [chunks.targets[..., 0]] + [chunks.targets[..., 1]] * config.lengths
    targets = tuple(heads) * config.members
    weights = (chunks.weights,) * len(targets)
    if len(targets) == 1:
        targets, weights = targets[0], weights[0]
    ds = tf.data.Dataset.from_tensor_slices((joint_tokens(chunks.inputs), targets, weights))
    if shuffle_seed is not None:
        ds = ds.shuffle(len(chunks.inputs), seed=shuffle_seed, reshuffle_each_iteration=True)
    options = tf.data.Options()
    options.deterministic = True
    return ds.batch(config.batch_size).with_options(options).prefetch(tf.data.AUTOTUNE)


def fit_metre(
    train: Sequence[Rows],
    validation: Sequence[Rows],
    config: MetreConfig,
    *,
    seed: int = 1,
    progress: FitProgress | None = None,
    schedule: Schedule | None = None,
) -> tuple[Any, FitReport]:
    """Train on the ``train`` songs' rows, settling and stopping on ``validation``'s:
    the model with the best epoch's weights, and the report of the run."""
    keras = backend.keras()
    if not train or not validation:
        raise InputError("training needs training songs and validation songs")
    train_chunks = row_chunks(train, config.window)
    val_chunks = row_chunks(validation, config.window)
    model = build_metre_model(config, seed)
    outputs = config.members * (2 if config.lengths else 1)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=config.learning_rate, clipnorm=1.0),
        loss=[
            keras.losses.SparseCategoricalCrossentropy(reduction="mean_with_sample_weight")
            for _ in range(outputs)
        ],
        loss_weights=[1.0 / config.members] * outputs,
        jit_compile="auto",
    )
    settling = Settling(schedule or Schedule(patience=config.patience), config.learning_rate)
    callbacks: list[Any] = [settle_callback(settling)]
    if progress is not None:

        class _Progress(keras.callbacks.Callback):
            def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
                progress(epoch + 1, config.epochs, {k: float(v) for k, v in (logs or {}).items()})

        callbacks.append(_Progress())
    start = time.perf_counter()
    result = model.fit(
        _dataset(train_chunks, config, shuffle_seed=seed),
        validation_data=_dataset(val_chunks, config),
        epochs=config.epochs,
        callbacks=callbacks,
        verbose=0,
        shuffle=False,
    )
    seconds = time.perf_counter() - start
    logs = {k: tuple(float(v) for v in vs) for k, vs in result.history.items()}
    report = FitReport(
        logs=logs,
        best_epoch=settling.best_epoch,
        seconds=seconds,
        notes=train_chunks.notes,
        notes_per_second=train_chunks.notes * len(logs["val_loss"]) / seconds,
        schedule=settling.schedule,
    )
    return model, report


def metre_log_probs(
    model: Any, config: MetreConfig, rows: np.ndarray, batch: int = 2048
) -> tuple[np.ndarray, np.ndarray | None]:
    """The natural-log distributions of the step (and the length) after each of one
    song's rows, each from the window of rows ending at it, averaged over members."""
    windows = joint_tokens(last_windows(rows, config.window))
    steps, lengths = [], []
    for lo in range(0, len(windows), batch):
        out = model(windows[lo : lo + batch], training=False)
        out = out if isinstance(out, list | tuple) else [out]
        per = 2 if config.lengths else 1
        heads = [np.asarray(o)[:, -1].astype(np.float64) for o in out]
        steps.append(np.mean(heads[0::per], axis=0))
        if config.lengths:
            lengths.append(np.mean(heads[1::per], axis=0))
    tiny = np.finfo(np.float64).tiny
    step_lp = np.log(np.concatenate(steps) + tiny)
    length_lp = np.log(np.concatenate(lengths) + tiny) if config.lengths else None
    return step_lp, length_lp


def fit_metre_bundle(
    train: Sequence[Melody],
    validation: Sequence[Melody],
    config: MetreConfig,
    *,
    vocabulary: Vocabulary | None = None,
    seed: int = 1,
    epochs: int | None = None,
    progress: FitProgress | None = None,
    meta: dict[str, Any] | None = None,
    schedule: Schedule | None = None,
) -> tuple[Bundle, FitReport]:
    """:func:`fit_metre` on the songs' rows (:func:`nabi_music.data.context.song_rows`),
    as a bundle that predicts, is scored and composes as the corpus presets' do.
    ``vocabulary`` defaults to the codes of both sets."""
    config = config.with_options(epochs=epochs)
    vocabulary = vocabulary or Vocabulary.from_melodies([*train, *validation])
    model, report = fit_metre(
        [song_rows(m, config.key) for m in train],
        [song_rows(m, config.key) for m in validation],
        config,
        seed=seed,
        progress=progress,
        schedule=schedule,
    )
    return metre_bundle(model, report, config, vocabulary, seed, train, meta), report


def metre_bundle(
    model: Any,
    report: FitReport,
    config: MetreConfig,
    vocabulary: Vocabulary,
    seed: int,
    train: Sequence[Melody],
    meta: dict[str, Any] | None = None,
) -> Bundle:
    """A trained metre-aware network as a bundle, with its training songs recorded."""
    logs, best = report.logs, report.best_epoch
    history = History(
        loss=logs["loss"],
        accuracy=(),
        seconds=report.seconds,
        stopped_early=len(logs["loss"]) < config.epochs,
        kept_epoch=best,
        keep="best",
        last={"epoch": len(logs["loss"]), "loss": logs["loss"][-1]},
    )
    return Bundle(
        model=model,
        vocabulary=vocabulary,
        config=config,
        seed=seed,
        history=history,
        trained_on=tuple(dict.fromkeys(m.source for m in train)),
        versions=library_versions(),
        meta={**training_meta(train), **(meta or {}), "fit": report.to_dict()},
    )
