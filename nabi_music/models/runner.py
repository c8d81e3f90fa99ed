"""The trained networks' forward pass in NumPy, for fast note-by-note prediction.

Calling a Keras model costs about a millisecond however small the input;
generating a song calls it once per note. This runner does the same
arithmetic (Dense, LSTM with Keras' gate order i, f, c, o) on the weights of
the trained Keras model, in float32, with no framework overhead. A test keeps
it equal to Keras.

Corpus models add an embedding lookup, stacked LSTM or GRU layers (Keras 3's
GRU: ``reset_after=True``, gate order z, r, h) and dropout (the identity at
prediction time). For every preset the runner returns logits over the
vocabulary's codes; for a two-head model they are the joint log-probabilities
``log p(pitch) + log p(duration)`` of each code, so that argmax and sampling
over codes work unchanged (a softmax over them renormalises over the codes the
vocabulary holds).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from nabi_music.data.encoding import Factors, Vocabulary
from nabi_music.models.presets import ModelConfig, member_prefix

State = tuple[np.ndarray, ...]


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (np.tanh(0.5 * x) + 1.0)


def _lstm_cell(z: np.ndarray, c: np.ndarray, units: int) -> tuple[np.ndarray, np.ndarray]:
    """One LSTM step from the gate pre-activations ``z`` (Keras' gate order i, f, c, o)."""
    i = _sigmoid(z[:, :units])
    f = _sigmoid(z[:, units : 2 * units])
    g = np.tanh(z[:, 2 * units : 3 * units])
    o = _sigmoid(z[:, 3 * units :])
    c = f * c + i * g
    return o * np.tanh(c), c


@dataclass(frozen=True)
class Runner:
    """Forward pass of one preset's network: ``(x, state) -> (logits, state)``."""

    config: ModelConfig
    weights: dict[str, tuple[np.ndarray, ...]]
    factors: Factors | None = None

    @classmethod
    def from_keras(
        cls, model: Any, config: ModelConfig, vocabulary: Vocabulary | None = None
    ) -> Runner:
        """The runner of a Keras model; a two-head model needs its ``vocabulary``."""
        return cls.from_weights(layer_weights(model), config, vocabulary)

    @classmethod
    def from_weights(
        cls,
        weights: dict[str, tuple[np.ndarray, ...]],
        config: ModelConfig,
        vocabulary: Vocabulary | None = None,
    ) -> Runner:
        """The runner of each layer's weights by name (as ``layer.get_weights()`` orders
        them); a two-head model needs its ``vocabulary``."""
        factors = None
        if config.heads == "two":
            if vocabulary is None:
                raise ValueError("a two-head model's runner needs the vocabulary")
            factors = Factors.of(vocabulary)
        return cls(config, weights, factors)

    def zero_state(self, batch: int = 1) -> State:
        if not self.config.stateful:
            return ()
        zeros = np.zeros((batch, self.config.units), dtype=np.float32)
        return (zeros, zeros.copy())

    def __call__(self, x: np.ndarray, state: State = ()) -> tuple[np.ndarray, State]:
        """Logits ``(batch, vocabulary)`` of windows ``x``, shape ``(batch, window, features)``."""
        x = np.asarray(x, dtype=np.float32)
        if self.config.corpus:
            return self._corpus_logits(x), state
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
                h, c = _lstm_cell(projected[:, t] + h @ recurrent, c, units)
            hidden = h
            if self.config.stateful:
                state = (h, c)
        kernel, bias = self.weights["output"]
        return hidden @ kernel + bias, state

    def _corpus_logits(self, x: np.ndarray) -> np.ndarray:
        """Log-probabilities; an ensemble's are those of its members' mean distribution."""
        members = [
            self._member_log_probs(x, member_prefix(m)) for m in range(1, self.config.members + 1)
        ]
        if len(members) == 1:
            return members[0]
        stacked = np.stack(members)
        top = stacked.max(axis=0)
        return top + np.log(np.exp(stacked - top).mean(axis=0))

    def _member_log_probs(self, x: np.ndarray, prefix: str) -> np.ndarray:
        if self.config.encoding == "embedding":
            (table,) = self.weights[f"{prefix}embedding"]
            x = table[np.rint(x[..., 0]).astype(np.int64)]
        for k in range(1, self.config.layers + 1):
            weights = self.weights[f"{prefix}rnn_{k}"]
            step = lstm_sequence if self.config.architecture == "lstm" else _gru_sequence
            x = step(x, *weights)
        hidden = x[:, -1]
        if self.config.heads == "joint":
            kernel, bias = self.weights[f"{prefix}output"]
            return log_softmax(hidden @ kernel + bias)
        assert self.factors is not None
        kp, bp = self.weights[f"{prefix}pitch"]
        kd, bd = self.weights[f"{prefix}duration"]
        pitch = log_softmax(hidden @ kp + bp)
        duration = log_softmax(hidden @ kd + bd)
        return pitch[:, self.factors.pitch_of] + duration[:, self.factors.duration_of]


def layer_weights(model: Any) -> dict[str, tuple[np.ndarray, ...]]:
    """Each layer's weights of a Keras model, by the layer's name, in float32."""
    return {
        layer.name: tuple(np.asarray(w, dtype=np.float32) for w in layer.get_weights())
        for layer in model.layers
        if layer.weights
    }


def log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def lstm_sequence(
    x: np.ndarray, kernel: np.ndarray, recurrent: np.ndarray, bias: np.ndarray
) -> np.ndarray:
    """Every step's output ``(batch, steps, units)`` of a Keras LSTM from a zero state."""
    units = recurrent.shape[0]
    h = np.zeros((len(x), units), dtype=np.float32)
    c = np.zeros_like(h)
    projected = x @ kernel + bias
    out = np.empty((len(x), x.shape[1], units), dtype=np.float32)
    for t in range(x.shape[1]):
        h, c = _lstm_cell(projected[:, t] + h @ recurrent, c, units)
        out[:, t] = h
    return out


def _gru_sequence(
    x: np.ndarray, kernel: np.ndarray, recurrent: np.ndarray, bias: np.ndarray
) -> np.ndarray:
    """Every step's output of a Keras 3 GRU (``reset_after=True``, gates z, r, h)."""
    units = recurrent.shape[0]
    h = np.zeros((len(x), units), dtype=np.float32)
    projected = x @ kernel + bias[0]
    out = np.empty((len(x), x.shape[1], units), dtype=np.float32)
    for t in range(x.shape[1]):
        xz = projected[:, t]
        hz = h @ recurrent + bias[1]
        z = _sigmoid(xz[:, :units] + hz[:, :units])
        r = _sigmoid(xz[:, units : 2 * units] + hz[:, units : 2 * units])
        candidate = np.tanh(xz[:, 2 * units :] + r * hz[:, 2 * units :])
        h = z * h + (1.0 - z) * candidate
        out[:, t] = h
    return out
