"""The one training loop every preset uses, compiled whole by XLA.

The tutorial trains its stateful LSTM with one Keras ``fit`` call per epoch and
a batch of one window: about two milliseconds of Python and dispatch overhead
for each 4-step update. Here a chunk of epochs, the batches of every epoch,
the carried LSTM state and (with ``until_perfect``) the per-epoch 100% check
all run inside one XLA-compiled TensorFlow function, with the
model's own Keras layers and Keras' Adam. The semantics are the tutorial's:

- stateless presets: Keras ``fit`` batches, reshuffled every epoch when the
  preset shuffles (the last batch may be short: it is padded and masked);
- stateful presets: one window per update, in order; the state left by a
  window is the initial state of the next window of the same melody; the state
  is reset at each melody start and each epoch.

Randomness comes from the seed only (initial weights and the shuffling).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from nabi_music import backend
from nabi_music.data.windows import Windows
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
    """Holds the compiled chunk function of one model."""

    def __init__(self, model: Any, config: ModelConfig) -> None:
        keras = backend.keras()
        tf = backend.tensorflow()

        self.model = model
        self.config = config
        optimizer = keras.optimizers.Adam(learning_rate=config.learning_rate)
        optimizer.build(model.trainable_variables)
        self.optimizer = optimizer
        units = config.units
        stateful = config.stateful

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
        ) -> tuple:
            chunk, steps, batch = order.shape

            def epoch_body(e: Any, losses: Any, accs: Any) -> tuple:
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
                losses = losses.write(e, loss_sum / count)
                accs = accs.write(e, hit_sum / count)
                return e + 1, losses, accs

            arrays = (
                tf.TensorArray(tf.float32, size=chunk),
                tf.TensorArray(tf.float32, size=chunk),
            )
            _, losses, accs = tf.while_loop(lambda e, *_: e < n_epochs, epoch_body, (0, *arrays))
            return losses.stack(), accs.stack()

        self.run_chunk = run_chunk
        self.one_step_hits = tf.function(one_step_hits, jit_compile=True, autograph=False)


def train_model(
    model: Any,
    config: ModelConfig,
    table: np.ndarray,
    windows: Windows,
    *,
    epochs: int,
    seed: int,
    until_perfect: bool = False,
    watch: np.ndarray | None = None,
    progress: Progress | None = None,
) -> History:
    """Train ``model`` in place on ``windows`` and return its per-epoch history.

    With ``until_perfect``, the one-step accuracy on ``watch`` (an index
    sequence; default the first melody of ``windows``) is measured after every
    epoch, and training stops as soon as it is 100%. Predictions are argmax
    and deterministic, so one-step accuracy is 100% exactly when full-song
    accuracy is: if every one-step prediction is right, the full song feeds
    back exactly the real notes (and the same state), and the other way round.
    """
    tf = backend.tensorflow()

    rng = np.random.default_rng(seed)
    if watch is None:
        first_song = windows.song == 0
        watch = np.concatenate([windows.inputs[first_song][0], windows.targets[first_song]]).astype(
            np.int32
        )
    window = config.window
    watch_windows = np.lib.stride_tricks.sliding_window_view(watch, window)[:-1]
    table32 = np.asarray(table, dtype=np.float32)
    constants = {
        "xs": tf.constant(table32[windows.inputs]),
        "ys": tf.constant(windows.targets),
        "resets": tf.constant(windows.first.astype(np.float32)),
        "watch_x": tf.constant(table32[watch_windows]),
        "watch_y": tf.constant(watch[window:]),
    }
    trainer = _CompiledTrainer(model, config)
    # With until_perfect, one epoch per call and the check after it; the check's
    # first (compiling) call runs on the other core while the first epoch compiles.
    # Concrete functions: calling a tf.function costs over a millisecond of
    # argument matching per call here, as much as a whole epoch of the song.
    chunk = 1 if until_perfect else min(CHUNK_EPOCHS, epochs)
    n_watch = len(watch) - window
    watch_x, watch_y = constants.pop("watch_x"), constants.pop("watch_y")
    order, weights = epoch_schedule(config, len(windows), chunk, rng)
    run_chunk = trainer.run_chunk.get_concrete_function(
        order=tf.constant(order), weights=tf.constant(weights), n_epochs=tf.constant(1), **constants
    )
    check = trainer.one_step_hits.get_concrete_function(watch_x, watch_y)
    warm_up = threading.Thread(target=check, args=(watch_x, watch_y))
    if until_perfect:
        warm_up.start()
    losses: list[float] = []
    accs: list[float] = []
    ones: list[float] = []
    done = False
    start = time.perf_counter()
    while len(losses) < epochs and not done:
        todo = min(chunk, epochs - len(losses))
        if losses:
            order, weights = epoch_schedule(config, len(windows), chunk, rng)
        loss, acc = run_chunk(
            order=tf.constant(order),
            weights=tf.constant(weights),
            n_epochs=tf.constant(todo),
            **constants,
        )
        losses += [float(v) for v in loss.numpy()[:todo]]
        accs += [float(v) for v in acc.numpy()[:todo]]
        if until_perfect:
            if warm_up.is_alive():
                warm_up.join()
            hits = int(check(watch_x, watch_y))
            ones.append(hits / n_watch)
            done = hits == n_watch
        if progress is not None:
            progress(len(losses), epochs, losses[-1], accs[-1])
    return History(
        loss=tuple(losses),
        accuracy=tuple(accs),
        one_step_accuracy=tuple(ones),
        seconds=time.perf_counter() - start,
        stopped_early=done,
    )
