"""Keras builders for the presets (the only module that defines layers).

Every model maps a window of feature vectors ``(batch, window, features)`` to
a softmax over the vocabulary. A stateful model also takes the LSTM state
``h, c`` and returns the new one, so that the state is carried explicitly
from window to window, the same semantics as Keras' ``stateful=True`` without
a fixed batch size baked into the saved model. Initial weights come from the
seed alone (seeded initializers, no global random state).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nabi_music.presets import ModelConfig

if TYPE_CHECKING:
    import keras

LAYER_NAMES = ("hidden_1", "hidden_2", "lstm", "output")


def build_model(config: ModelConfig, n_classes: int, seed: int) -> keras.Model:
    import keras

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
