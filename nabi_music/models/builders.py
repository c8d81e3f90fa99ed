"""Keras builders for the presets (the only module that defines layers).

Every model maps a window of feature vectors ``(batch, window, features)`` to
a softmax over the vocabulary. A stateful model also takes the LSTM state
``h, c`` and returns the new one, so that the state is carried explicitly
from window to window, the same semantics as Keras' ``stateful=True`` without
a fixed batch size baked into the saved model. Initial weights come from the
seed alone (seeded initializers, no global random state).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nabi_music import backend
from nabi_music.data.context import INPUTS, LENGTH_CLASSES, STEP_CLASSES, TOKENS
from nabi_music.models.presets import MetreConfig, ModelConfig, member_prefix

LAYER_NAMES = ("hidden_1", "hidden_2", "lstm", "output")


def build_model(
    config: ModelConfig, n_classes: int, seed: int, n_heads: tuple[int, int] | None = None
) -> Any:
    """The preset's network; ``n_heads`` = (pitches, durations) for a two-head corpus model."""
    keras = backend.keras()

    if config.corpus:
        return build_corpus_model(config, n_classes, seed, n_heads)

    def glorot(k: int) -> keras.initializers.Initializer:
        return keras.initializers.GlorotUniform(seed=seed * 16 + k)

    x_in = keras.Input((config.window, config.n_features), name="window")
    if config.architecture == "mlp":
        x = keras.layers.Flatten(name="flatten")(x_in)
        x = keras.layers.Dense(
            config.units, activation="relu", kernel_initializer=glorot(1), name="hidden_1"
        )(x)
        x = keras.layers.Dense(
            config.units, activation="relu", kernel_initializer=glorot(2), name="hidden_2"
        )(x)
        inputs, extra = [x_in], []
    else:
        lstm = keras.layers.LSTM(
            config.units,
            unroll=True,
            return_state=config.stateful,
            kernel_initializer=glorot(1),
            recurrent_initializer=keras.initializers.Orthogonal(seed=seed * 16 + 2),
            name="lstm",
        )
        if config.stateful:
            h_in = keras.Input((config.units,), name="h")
            c_in = keras.Input((config.units,), name="c")
            x, h, c = lstm(x_in, initial_state=[h_in, c_in])
            inputs, extra = [x_in, h_in, c_in], [h, c]
        else:
            x = lstm(x_in)
            inputs, extra = [x_in], []
    probs = keras.layers.Dense(
        n_classes, activation="softmax", kernel_initializer=glorot(3), name="output"
    )(x)
    if not extra:
        return keras.Model(x_in, probs, name=config.preset)
    return keras.Model(inputs, [probs, *extra], name=config.preset)


def build_corpus_model(
    config: ModelConfig,
    n_classes: int,
    seed: int,
    n_heads: tuple[int, int] | None = None,
    sequences: bool = False,
) -> Any:
    """Embedding (or features) -> ``layers`` LSTM or GRU layers with dropout -> softmax head(s).

    Layer names (the NumPy runner reads the weights by name): ``embedding``,
    ``rnn_1`` .. ``rnn_K``, and ``output`` (joint) or ``pitch`` and ``duration``
    (two heads; the model then returns ``[pitch_probs, duration_probs]``). With
    ``config.members`` above 1 the model holds that many such networks side by
    side on the same input, the layers of member m named with the prefix ``mM_``
    (none for the first), and returns every member's heads in one list. The
    embedding has ``n_classes + 1`` rows: the last is the start symbol. Dropout
    layers draw from seeded generators.

    ``sequences``: the training twin, with the same layers and weights, that
    predicts the next note after every position of the window (the last layer
    returns sequences and the heads apply to each step), so that one window
    trains on every note it holds; its weights load into the window model.
    """
    keras = backend.keras()
    if config.heads == "two" and n_heads is None:
        raise ValueError("a two-head model needs n_heads = (pitches, durations)")
    x_in = keras.Input((config.window, config.n_features), name="window")
    outputs = []
    for member in range(1, config.members + 1):
        outputs += _corpus_member(config, n_classes, seed, member, n_heads, sequences, x_in)
    if len(outputs) == 1:
        return keras.Model(x_in, outputs[0], name=config.preset)
    return keras.Model(x_in, outputs, name=config.preset)


def _corpus_member(
    config: ModelConfig,
    n_classes: int,
    seed: int,
    member: int,
    n_heads: tuple[int, int] | None,
    sequences: bool,
    x_in: Any,
) -> list[Any]:
    """One network of a corpus model on the input ``x_in``: its head outputs."""
    keras = backend.keras()
    prefix = member_prefix(member)

    def rng(k: int) -> int:  # the first member's seeds are those of a one-network model
        return seed * 64 + k + 1_000_003 * (member - 1)

    x = x_in
    if config.encoding == "embedding":
        x = keras.layers.Reshape((config.window,), name=f"{prefix}indices")(x)
        x = keras.layers.Embedding(
            n_classes + 1,
            config.embedding,
            embeddings_initializer=keras.initializers.RandomUniform(-0.05, 0.05, seed=rng(1)),
            name=f"{prefix}embedding",
        )(x)
    cell = keras.layers.LSTM if config.architecture == "lstm" else keras.layers.GRU
    x = _recurrent_stack(x, cell, config, prefix, rng, sequences)

    def head(size: int, name: str, k: int) -> Any:
        return keras.layers.Dense(
            size,
            activation="softmax",
            kernel_initializer=keras.initializers.GlorotUniform(seed=rng(k)),
            name=f"{prefix}{name}",
        )(x)

    if config.heads == "joint":
        return [head(n_classes, "output", 2)]
    assert n_heads is not None
    return [head(n_heads[0], "pitch", 2), head(n_heads[1], "duration", 3)]


def _recurrent_stack(
    x: Any,
    cell: Any,
    config: ModelConfig | MetreConfig,
    prefix: str,
    rng: Callable[[int], int],
    sequences: bool,
) -> Any:
    """``config.layers`` recurrent layers of ``cell`` on ``x``, each after a dropout, and
    a dropout after the last (the last layer returns every step's output only with
    ``sequences``); layer names and seeds as every corpus network has them."""
    keras = backend.keras()
    for k in range(1, config.layers + 1):
        if config.dropout:
            x = keras.layers.Dropout(
                config.dropout, seed=rng(10 + 3 * k), name=f"{prefix}dropout_{k}"
            )(x)
        x = cell(
            config.units,
            return_sequences=sequences or k < config.layers,
            kernel_initializer=keras.initializers.GlorotUniform(seed=rng(8 + 3 * k)),
            recurrent_initializer=keras.initializers.Orthogonal(seed=rng(9 + 3 * k)),
            name=f"{prefix}rnn_{k}",
        )(x)
    if config.dropout:
        x = keras.layers.Dropout(config.dropout, seed=rng(4), name=f"{prefix}dropout_out")(x)
    return x


def build_metre_model(config: MetreConfig, seed: int) -> Any:
    """The metre-aware network (:class:`MetreConfig`): rows of context tokens
    ``(batch, window, len(INPUTS))``, as indices into one table of every input's tokens
    (:func:`nabi_music.data.context.joint_tokens`), each embedded ``config.embedding``
    wide and the row's embeddings side by side, through the LSTM layers, to the next
    step's distribution after every row (and the next length's, with
    ``config.lengths``), for each of ``config.members`` networks side by side (layer
    names prefixed ``mM_`` after the first)."""
    keras = backend.keras()
    x_in = keras.Input((config.window, len(INPUTS)), dtype="int32", name="rows")
    outputs = []
    for member in range(1, config.members + 1):
        prefix = member_prefix(member)

        def rng(k: int, member: int = member) -> int:
            return seed * 64 + k + 1_000_003 * (member - 1)

        x = keras.layers.Embedding(
            TOKENS,
            config.embedding,
            embeddings_initializer=keras.initializers.RandomUniform(-0.05, 0.05, seed=rng(1)),
            name=f"{prefix}embedding",
        )(x_in)
        x = keras.layers.Reshape(
            (config.window, len(INPUTS) * config.embedding), name=f"{prefix}context"
        )(x)
        x = _recurrent_stack(x, keras.layers.LSTM, config, prefix, rng, sequences=True)
        heads = [("step", STEP_CLASSES, 2)] + ([("length", LENGTH_CLASSES, 3)] * config.lengths)
        for name, size, k in heads:
            outputs.append(
                keras.layers.Dense(
                    size,
                    activation="softmax",
                    kernel_initializer=keras.initializers.GlorotUniform(seed=rng(k)),
                    name=f"{prefix}{name}",
                )(x)
            )
    return keras.Model(x_in, outputs if len(outputs) > 1 else outputs[0], name=config.preset)
