"""The trained networks' forward pass in NumPy, for fast note-by-note prediction.

Calling a Keras model costs about a millisecond however small the input;
generating a song calls it once per note. This runner does the same
arithmetic (Dense, LSTM with Keras' gate order i, f, c, o) on the weights of
the trained Keras model, in float32, with no framework overhead. A test keeps
it equal to Keras.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from nabi_music.presets import ModelConfig

State = tuple[np.ndarray, ...]


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (np.tanh(0.5 * x) + 1.0)


@dataclass(frozen=True)
class Runner:
    """Forward pass of one preset's network: ``(x, state) -> (logits, state)``."""

    config: ModelConfig
    weights: dict[str, tuple[np.ndarray, ...]]

    @classmethod
    def from_keras(cls, model: Any, config: ModelConfig) -> Runner:
        weights = {}
        for layer in model.layers:
            if layer.weights:
                weights[layer.name] = tuple(
                    np.asarray(w, dtype=np.float32) for w in layer.get_weights()
                )
        return cls(config, weights)

    def zero_state(self, batch: int = 1) -> State:
        if not self.config.stateful:
            return ()
        zeros = np.zeros((batch, self.config.units), dtype=np.float32)
        return (zeros, zeros.copy())

    def __call__(self, x: np.ndarray, state: State = ()) -> tuple[np.ndarray, State]:
        """Logits ``(batch, vocabulary)`` of windows ``x``, shape ``(batch, window, features)``."""
        x = np.asarray(x, dtype=np.float32)
        if self.config.architecture == "mlp":
            k1, b1 = self.weights["hidden_1"]
            k2, b2 = self.weights["hidden_2"]
            hidden = np.maximum(x.reshape(len(x), -1) @ k1 + b1, 0.0)
            hidden = np.maximum(hidden @ k2 + b2, 0.0)
        else:
            kernel, recurrent, bias = self.weights["lstm"]
            units = recurrent.shape[0]
            if state:
                h, c = state
            else:
                h = np.zeros((len(x), units), dtype=np.float32)
                c = np.zeros_like(h)
            projected = x @ kernel + bias  # (batch, window, 4 units), all steps at once
            for t in range(x.shape[1]):
                z = projected[:, t] + h @ recurrent
                i = _sigmoid(z[:, :units])
                f = _sigmoid(z[:, units : 2 * units])
                g = np.tanh(z[:, 2 * units : 3 * units])
                o = _sigmoid(z[:, 3 * units :])
                c = f * c + i * g
                h = o * np.tanh(c)
            hidden = h
            if self.config.stateful:
                state = (h, c)
        kernel, bias = self.weights["output"]
        return hidden @ kernel + bias, state
