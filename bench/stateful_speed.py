"""Benchmark: the tutorial's way against nabi_music's, in one run on one machine.

Both train the ``stateful-lstm`` preset on 나비야 from the same initial weights
until one-step and full-song accuracy are both 100%, then generate the 50
notes of the song from its first four:

- the tutorial's way: one Keras ``fit(epochs=1, batch_size=1, shuffle=False)``
  call per epoch followed by ``reset_states()``, and one ``model.predict`` call
  per generated note;
- nabi_music: the XLA-compiled training loop (tracing and compilation
  included, with its per-epoch one-step score, which picks the kept weights
  and stops at 100%, inside the timed loop) and the NumPy forward pass.

The tutorial's per-epoch 100% check is *not* timed (it runs on a copy of the
weights outside its stopwatch), which favours the tutorial.

Run: ``make bench`` or ``.venv/bin/python bench/stateful_speed.py [--max-epochs N]``.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np

from nabi_music.data.encoding import TUTORIAL_VOCABULARY, feature_table
from nabi_music.data.windows import make_windows
from nabi_music.models.builders import build_model
from nabi_music.models.presets import preset
from nabi_music.models.runner import Runner
from nabi_music.prediction.tutorial import predict_full_song, predict_one_step
from nabi_music.readers import read
from nabi_music.training.loop import train_model

SEED = 1


def tutorial_model(weights: list[np.ndarray], n_classes: int):
    """The tutorial's model: LSTM(128, batch_input_shape=(1, 4, 1), stateful=True)."""
    import keras

    model = keras.Sequential(
        [
            keras.Input(batch_shape=(1, 4, 1)),
            keras.layers.LSTM(128, stateful=True),
            keras.layers.Dense(n_classes, activation="softmax"),
        ]
    )
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    model.set_weights(weights)
    return model


def perfect(runner: Runner, table: np.ndarray, idx: np.ndarray) -> bool:
    one = predict_one_step(runner, table, idx)
    full = predict_full_song(runner, table, idx[:4], len(idx) - 4)
    return bool((one == idx[4:]).all() and (full == idx[4:]).all())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-epochs", type=int, default=2000)
    args = parser.parse_args()

    import keras

    melody = read("scores/nabiya.ly")[0]
    vocab = TUTORIAL_VOCABULARY
    config = preset("stateful-lstm").with_options(epochs=args.max_epochs)
    idx = vocab.encode(melody.codes)
    table = feature_table(vocab, config.encoding)
    windows = make_windows([idx], 4)
    initial = build_model(config, len(vocab), SEED).get_weights()

    # --- the tutorial's way -------------------------------------------------
    x = table[windows.inputs]
    y = keras.utils.to_categorical(windows.targets, len(vocab))
    model = tutorial_model(initial, len(vocab))
    lstm = model.layers[0]
    check = build_model(config, len(vocab), SEED)
    tutorial_seconds = 0.0
    tutorial_epochs = 0
    while tutorial_epochs < args.max_epochs:
        start = time.perf_counter()
        model.fit(x, y, epochs=1, batch_size=1, verbose=0, shuffle=False)
        lstm.reset_states()
        tutorial_seconds += time.perf_counter() - start
        tutorial_epochs += 1
        check.set_weights(model.get_weights())
        if perfect(Runner.from_keras(check, config), table, idx):
            break
    tutorial_reached = tutorial_epochs < args.max_epochs or perfect(
        Runner.from_keras(check, config), table, idx
    )

    start = time.perf_counter()
    lstm.reset_states()
    seq = list(idx[:4])
    for _ in range(len(idx) - 4):
        probs = model.predict(table[np.array(seq[-4:])][None], verbose=0)
        seq.append(int(probs[0].argmax()))
    tutorial_generate = time.perf_counter() - start

    # --- nabi_music -----------------------------------------------------------
    ours = build_model(config, len(vocab), SEED)
    start = time.perf_counter()
    history = train_model(
        ours, config, table, windows, epochs=args.max_epochs, seed=SEED, until_perfect=True
    )
    nabi_seconds = time.perf_counter() - start

    start = time.perf_counter()
    runner = Runner.from_keras(ours, config)
    generated = predict_full_song(runner, table, idx[:4], len(idx) - 4)
    nabi_generate = time.perf_counter() - start
    assert (generated == idx[4:]).all() or not history.stopped_early

    print("stateful-lstm on 나비야, until 100% one-step and full-song accuracy")
    print(f"{'':<26}{'tutorial':>12}{'nabi_music':>12}{'ratio':>9}")
    print(f"{'epochs to 100%':<26}{tutorial_epochs:>12}{history.epochs:>12}")
    print(
        f"{'training wall time (s)':<26}{tutorial_seconds:>12.2f}{nabi_seconds:>12.2f}"
        f"{tutorial_seconds / nabi_seconds:>8.1f}x"
    )
    print(
        f"{'ms per epoch':<26}{1000 * tutorial_seconds / tutorial_epochs:>12.1f}"
        f"{1000 * nabi_seconds / history.epochs:>12.1f}"
    )
    print(
        f"{'generate 50 notes (ms)':<26}{1000 * tutorial_generate:>12.1f}"
        f"{1000 * nabi_generate:>12.2f}{tutorial_generate / nabi_generate:>8.0f}x"
    )
    if not tutorial_reached or not history.stopped_early:
        print(f"note: not both reached 100% within {args.max_epochs} epochs")


if __name__ == "__main__":
    main()
