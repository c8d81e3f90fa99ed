"""The one training loop every preset uses, compiled whole by XLA.

The tutorial trains its stateful LSTM with one Keras ``fit`` call per epoch and
a batch of one window: about two milliseconds of Python and dispatch overhead
for each 4-step update. Here a chunk of epochs, the batches of every epoch,
the carried LSTM state and the per-epoch score that chooses the kept weights all run inside one
XLA-compiled TensorFlow function, with the model's own Keras layers and
Keras' Adam. The semantics are the tutorial's:

- stateless presets: Keras ``fit`` batches, reshuffled every epoch when the
  preset shuffles (the last batch may be short: it is padded and masked);
- stateful presets: one window per update, in order; the state left by a
  window is the initial state of the next window of the same melody; the state
  is reset at each melody start and each epoch.

Randomness comes from the seed only (initial weights and the shuffling).

Batch-1 Adam on a few dozen windows is unstable: the loss falls to 1e-5 and
then spikes every few hundred epochs, and which epochs spike depends on float
rounding, which differs between CPUs (XLA compiles for the host's instruction
set). So the model keeps the weights of its best epoch, not of its last one:
after every epoch the watched melody is predicted one step at a time and the
weights are kept when they score higher (or as high with a lower training
loss). The kept model's accuracy is then the same on every CPU, although the
trajectory that led to it is not.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from nabi_music import backend
from nabi_music.data.windows import Windows
from nabi_music.errors import InputError
from nabi_music.models.history import History
from nabi_music.models.presets import ModelConfig

CHUNK_EPOCHS = 25
"""Epochs per compiled call: the progress bar moves once per chunk."""

Progress = Callable[[int, int, float, float], None]
"""``progress(epochs_done, epochs_total, loss, accuracy)``."""


def epoch_schedule(
    config: ModelConfig, n_windows: int, epochs: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Window indices ``(epochs, steps, batch)`` and their weights (0 marks padding)."""
    batch = config.batch_size
    steps = math.ceil(n_windows / batch)
    order = np.empty((epochs, steps * batch), dtype=np.int32)
    weights = np.zeros((epochs, steps * batch), dtype=np.float32)
    for e in range(epochs):
        perm = rng.permutation(n_windows) if config.shuffle else np.arange(n_windows)
        order[e, :n_windows] = perm
        order[e, n_windows:] = 0
        weights[e, :n_windows] = 1.0
    return order.reshape(epochs, steps, batch), weights.reshape(epochs, steps, batch)


class _CompiledTrainer:
    """Holds the compiled chunk function of one model, and the weights of its kept epoch."""

    def __init__(self, model: Any, config: ModelConfig) -> None:
        keras = backend.keras()
        tf = backend.tensorflow()

        self.model = model
        self.config = config
        optimizer = keras.optimizers.Adam(learning_rate=config.learning_rate)
        optimizer.build(model.trainable_variables)
        self.optimizer = optimizer
        # The kept epoch: its weights, its one-step hits, its training loss, its number.
        self.kept = [tf.Variable(v.numpy(), trainable=False) for v in model.weights]
        self.kept_hits = tf.Variable(-1, dtype=tf.int32, trainable=False)
        self.kept_loss = tf.Variable(math.inf, dtype=tf.float32, trainable=False)
        self.kept_epoch = tf.Variable(0, dtype=tf.int32, trainable=False)
        units = config.units
        stateful = config.stateful
        kept, kept_hits, kept_loss, kept_epoch = (
            self.kept,
            self.kept_hits,
            self.kept_loss,
            self.kept_epoch,
        )

        def zero_state(batch: int) -> tuple:
            if not stateful:
                return ()
            zeros = tf.zeros((batch, units), tf.float32)
            return (zeros, zeros)

        def forward(x: Any, state: tuple, training: bool) -> tuple[Any, tuple]:
            if not stateful:
                return model(x, training=training), ()
            probs, h, c = model([x, *state], training=training)
            batch = tf.shape(x)[0]
            return probs, (tf.reshape(h, (batch, units)), tf.reshape(c, (batch, units)))

        def one_step_hits(watch_x: Any, watch_y: Any) -> Any:
            """Correct one-step predictions of the watched melody, with the current weights."""
            if not stateful:
                probs, _ = forward(watch_x, (), False)
                return tf.reduce_sum(
                    tf.cast(tf.argmax(probs, -1, output_type=tf.int32) == watch_y, tf.int32)
                )

            def body(i: Any, state: tuple, correct: Any) -> tuple:
                probs, state = forward(watch_x[i][None], state, False)
                hit = tf.cast(tf.argmax(probs[0], output_type=tf.int32) == watch_y[i], tf.int32)
                return i + 1, state, correct + hit

            n = tf.shape(watch_y)[0]
            return tf.while_loop(lambda i, *_: i < n, body, (0, zero_state(1), tf.constant(0)))[2]

        @tf.function(jit_compile=True, autograph=False)
        def run_chunk(
            xs: Any,
            ys: Any,
            order: Any,
            weights: Any,
            resets: Any,
            n_epochs: Any,
            watch_x: Any,
            watch_y: Any,
            first_epoch: Any,
            keep_best: Any,
            stop_at: Any,
        ) -> tuple:
            """Train up to ``n_epochs`` epochs; after each, score the watched melody one
            step at a time and keep the weights when they beat the kept epoch's (more
            hits, or as many with a lower training loss; every epoch when not
            ``keep_best``). Stops early once the kept epoch has ``stop_at`` hits."""
            chunk, steps, batch = order.shape

            def epoch_body(e: Any, losses: Any, accs: Any, ones: Any) -> tuple:
                def step(s: Any, state: tuple, loss_sum: Any, hit_sum: Any, count: Any):
                    idx = order[e, s]
                    w = weights[e, s]
                    x = tf.gather(xs, idx)
                    y = tf.gather(ys, idx)
                    if stateful:
                        keep = 1.0 - resets[s]
                        state = tuple(st * keep for st in state)
                    with tf.GradientTape() as tape:
                        probs, new_state = forward(x, state, True)
                        per_window = keras.losses.sparse_categorical_crossentropy(y, probs)
                        loss = tf.reduce_sum(per_window * w) / tf.reduce_sum(w)
                    grads = tape.gradient(loss, model.trainable_variables)
                    optimizer.apply(grads, model.trainable_variables)
                    hits = tf.cast(tf.argmax(probs, -1, output_type=tf.int32) == y, tf.float32)
                    return (
                        s + 1,
                        tuple(tf.stop_gradient(st) for st in new_state),
                        loss_sum + tf.reduce_sum(per_window * w),
                        hit_sum + tf.reduce_sum(hits * w),
                        count + tf.reduce_sum(w),
                    )

                _, _, loss_sum, hit_sum, count = tf.while_loop(
                    lambda s, *_: s < steps,
                    step,
                    (0, zero_state(batch), tf.constant(0.0), tf.constant(0.0), tf.constant(0.0)),
                )
                epoch_loss = loss_sum / count
                with tf.control_dependencies([epoch_loss]):
                    hits = one_step_hits(watch_x, watch_y)
                better = tf.logical_or(
                    tf.logical_not(keep_best),
                    tf.logical_or(
                        hits > kept_hits,
                        tf.logical_and(hits == kept_hits, epoch_loss < kept_loss),
                    ),
                )
                updates = [
                    k.assign(tf.where(better, v.value, k))
                    for k, v in zip(kept, model.weights, strict=True)
                ]
                updates += [
                    kept_hits.assign(tf.where(better, hits, kept_hits)),
                    kept_loss.assign(tf.where(better, epoch_loss, kept_loss)),
                    kept_epoch.assign(tf.where(better, first_epoch + e + 1, kept_epoch)),
                ]
                with tf.control_dependencies(updates):
                    e = e + 1
                return (
                    e,
                    losses.write(e - 1, epoch_loss),
                    accs.write(e - 1, hit_sum / count),
                    ones.write(e - 1, hits),
                )

            arrays = (
                tf.TensorArray(tf.float32, size=chunk),
                tf.TensorArray(tf.float32, size=chunk),
                tf.TensorArray(tf.int32, size=chunk),
            )
            done, losses, accs, ones = tf.while_loop(
                lambda e, *_: tf.logical_and(e < n_epochs, kept_hits < stop_at),
                epoch_body,
                (0, *arrays),
            )
            return done, losses.stack(), accs.stack(), ones.stack()

        self.run_chunk = run_chunk

    def restore_kept(self) -> None:
        """Put the kept epoch's weights back into the model."""
        for variable, kept in zip(self.model.weights, self.kept, strict=True):
            variable.assign(kept.numpy())


KEEPS = ("best", "last")
"""Which epoch's weights training keeps: the best-scored one, or the last one."""


def train_model(
    model: Any,
    config: ModelConfig,
    table: np.ndarray,
    windows: Windows,
    *,
    epochs: int,
    seed: int,
    until_perfect: bool = False,
    keep: str = "best",
    watch: np.ndarray | None = None,
    progress: Progress | None = None,
    score_last: Callable[[], dict[str, float]] | None = None,
) -> History:
    """Train ``model`` in place on ``windows`` and return its per-epoch history.

    After every epoch the one-step accuracy on ``watch`` (an index sequence;
    default the first melody of ``windows``) is measured with that epoch's
    weights. With ``keep="best"`` the model ends with the weights of the best
    epoch (most one-step hits, ties broken by the lower training loss), as
    Keras' ``restore_best_weights``; with ``keep="last"``, those of the last
    epoch (the tutorial's literal behaviour). ``score_last`` is called while
    the model still holds the last epoch's weights; what it returns joins the
    last epoch's figures in :attr:`History.last`.

    With ``until_perfect``, training stops after the first epoch whose one-step
    accuracy is 100%. Predictions are argmax and deterministic, so one-step
    accuracy is 100% exactly when full-song accuracy is: if every one-step
    prediction is right, the full song feeds back exactly the real notes (and
    the same state), and the other way round.
    """
    tf = backend.tensorflow()

    if keep not in KEEPS:
        raise InputError(f"unknown --keep {keep!r}; expected one of {', '.join(KEEPS)}")
    rng = np.random.default_rng(seed)
    if watch is None:
        first_song = windows.song == 0
        watch = np.concatenate([windows.inputs[first_song][0], windows.targets[first_song]]).astype(
            np.int32
        )
    window = config.window
    watch_windows = np.lib.stride_tricks.sliding_window_view(watch, window)[:-1]
    table32 = np.asarray(table, dtype=np.float32)
    n_watch = len(watch) - window
    constants = {
        "xs": tf.constant(table32[windows.inputs]),
        "ys": tf.constant(windows.targets),
        "resets": tf.constant(windows.first.astype(np.float32)),
        "watch_x": tf.constant(table32[watch_windows]),
        "watch_y": tf.constant(watch[window:]),
        "keep_best": tf.constant(keep == "best"),
        "stop_at": tf.constant(n_watch if until_perfect else n_watch + 1),
    }
    trainer = _CompiledTrainer(model, config)
    # Concrete functions: calling a tf.function costs over a millisecond of
    # argument matching per call here, as much as a whole epoch of the song.
    chunk = min(CHUNK_EPOCHS, epochs)
    order, weights = epoch_schedule(config, len(windows), chunk, rng)
    run_chunk = trainer.run_chunk.get_concrete_function(
        order=tf.constant(order),
        weights=tf.constant(weights),
        n_epochs=tf.constant(1),
        first_epoch=tf.constant(0),
        **constants,
    )
    losses: list[float] = []
    accs: list[float] = []
    ones: list[float] = []
    start = time.perf_counter()
    while len(losses) < epochs:
        if losses:
            if until_perfect and int(trainer.kept_hits.numpy()) == n_watch:
                break
            order, weights = epoch_schedule(config, len(windows), chunk, rng)
        done, loss, acc, hits = run_chunk(
            order=tf.constant(order),
            weights=tf.constant(weights),
            n_epochs=tf.constant(min(chunk, epochs - len(losses))),
            first_epoch=tf.constant(len(losses)),
            **constants,
        )
        done = int(done)
        losses += [float(v) for v in loss.numpy()[:done]]
        accs += [float(v) for v in acc.numpy()[:done]]
        ones += [int(v) / n_watch for v in hits.numpy()[:done]]
        if progress is not None:
            progress(len(losses), epochs, losses[-1], accs[-1])
    seconds = time.perf_counter() - start
    last = {
        "epoch": len(losses),
        "loss": losses[-1],
        "accuracy": accs[-1],
        "one_step_accuracy": ones[-1],
    }
    if score_last is not None:
        last.update(score_last())
    trainer.restore_kept()
    return History(
        loss=tuple(losses),
        accuracy=tuple(accs),
        one_step_accuracy=tuple(ones),
        seconds=seconds,
        stopped_early=until_perfect and ones[-1] == 1.0,
        kept_epoch=int(trainer.kept_epoch.numpy()),
        keep=keep,
        last=last,
    )
