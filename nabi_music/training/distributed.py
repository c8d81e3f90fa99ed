"""Training over several devices or machines with ``tf.distribute``: a training loop
of TensorFlow's own distribution primitives, for the corpus models.

Keras 3's ``fit`` cannot train with ``MultiWorkerMirroredStrategy`` across two or
more workers: before the first epoch it reduces a data batch across the workers
outside a compiled function, which fails ("Attempt to convert a value
(PerReplica...)", keras-team/keras#20585). This loop uses only the documented
pieces of a custom training loop with a strategy: ``experimental_distribute_dataset``,
``strategy.run`` inside a ``tf.function`` and ``strategy.reduce``, with the model's
own Keras optimizer, which sums the replicas' gradients.

The loss is what ``fit`` minimises: the weighted mean cross-entropy over the
targets that count (summed over the heads of a two-head model), the mean taken
over the whole global batch (each replica divides its sum by the global
weight). After each epoch the validation loss goes to the same
:class:`nabi_music.training.fit.Settling` as in one-device training: the learning rate falls
on a plateau, training stops at the plateau after the last fall, and the best
epoch's weights are kept.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from nabi_music import backend


def fit_distributed(
    model: Any,
    train: Any,
    validation: Any,
    strategy: Any,
    *,
    epochs: int,
    settling: Any,
    members: int = 1,
    progress: Callable[[int, int, dict[str, float]], None] | None = None,
) -> dict[str, tuple[float, ...]]:
    """Train ``model`` (built and compiled in ``strategy.scope()``) on the ``train``
    batches ``(features, targets, weights)`` of the global batch size, the learning
    rate and the stop decided by ``settling`` (a :class:`nabi_music.training.fit.Settling`)
    on the ``validation`` loss. Returns every epoch's ``loss``, ``accuracy``,
    ``val_loss``, ``val_accuracy`` (of the first head: the pitch head of a two-head
    model, the first member's of an ensemble, whose loss is the mean of its
    ``members``') and ``learning_rate``; the model is left with the best epoch's weights."""
    keras = backend.keras()
    tf = backend.tensorflow()

    optimizer = model.optimizer
    with strategy.scope():  # its slots are made here, mirrored, not inside a replica step
        optimizer.build(model.trainable_variables)

    def heads(value: Any) -> list[Any]:
        return list(value) if isinstance(value, (list, tuple)) else [value]

    def sums(x: Any, y: Any, w: Any, training: bool) -> tuple[Any, Any, Any]:
        """This replica's weighted cross-entropy sum, weight sum and weighted hits."""
        probs, targets, weights = heads(model(x, training=training)), heads(y), heads(w)
        loss = (1.0 / members) * tf.add_n(
            [
                tf.reduce_sum(
                    keras.losses.sparse_categorical_crossentropy(t, p) * tf.cast(c, p.dtype)
                )
                for p, t, c in zip(probs, targets, weights, strict=True)
            ]
        )
        first = probs[0]
        hits = tf.cast(
            tf.equal(
                tf.argmax(first, axis=-1, output_type=tf.int32), tf.cast(targets[0], tf.int32)
            ),
            first.dtype,
        )
        weight = tf.cast(weights[0], first.dtype)
        return loss, tf.reduce_sum(weight), tf.reduce_sum(hits * weight)

    def train_step(x: Any, y: Any, w: Any) -> tuple[Any, Any, Any]:
        context = tf.distribute.get_replica_context()
        total = context.all_reduce("SUM", tf.reduce_sum(tf.cast(heads(w)[0], tf.float32)))
        with tf.GradientTape() as tape:
            loss, weight, hits = sums(x, y, w, training=True)
            scaled = loss / tf.maximum(total, 1.0)
        gradients = tape.gradient(scaled, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables, strict=True))
        return loss, weight, hits

    def test_step(x: Any, y: Any, w: Any) -> tuple[Any, Any, Any]:
        return sums(x, y, w, training=False)

    def reduced(step: Callable[..., Any]) -> Any:
        @tf.function
        def run(batch: Any) -> list[Any]:
            per_replica = strategy.run(step, args=batch)
            return [strategy.reduce("SUM", v, axis=None) for v in per_replica]

        return run

    train_fn, test_fn = reduced(train_step), reduced(test_step)
    train_data = strategy.experimental_distribute_dataset(train)
    val_data = strategy.experimental_distribute_dataset(validation)

    def epoch(fn: Any, data: Any) -> tuple[float, float]:
        totals = np.zeros(3)
        for batch in data:
            totals += [float(v) for v in fn(batch)]
        loss, weight, hits = totals
        return loss / max(weight, 1.0), hits / max(weight, 1.0)

    names = ("loss", "accuracy", "val_loss", "val_accuracy", "learning_rate")
    logs: dict[str, list[float]] = {k: [] for k in names}
    best_weights = model.get_weights()
    for done in range(1, epochs + 1):
        rate = settling.learning_rate
        loss, accuracy = epoch(train_fn, train_data)
        val_loss, val_accuracy = epoch(test_fn, val_data)
        for key, value in zip(names, (loss, accuracy, val_loss, val_accuracy, rate), strict=True):
            logs[key].append(float(value))
        if progress is not None:
            progress(done, epochs, {k: v[-1] for k, v in logs.items()})
        action = settling.update(val_loss)
        if action == "best":
            best_weights = model.get_weights()
        elif action == "fall":
            optimizer.learning_rate.assign(settling.learning_rate)
        elif action == "stop":
            break
    model.set_weights(best_weights)
    return {k: tuple(v) for k, v in logs.items()}
