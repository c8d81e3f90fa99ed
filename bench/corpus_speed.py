"""Corpus training speed on kinder0: notes per second, and the step time with and
without the input pipeline (is tf.data ever the bottleneck?).

    .venv/bin/python bench/corpus_speed.py [--preset corpus-lstm] [--epochs 3] [--members K]

Measured, for one preset on the 171 training songs of an 80/10/10 split of
``corpus:essenFolksong/kinder0.abc`` (full codes: pitch and duration):

- ``fit``: Keras ``fit`` over the ``tf.data`` pipeline (shuffle, batch, feature
  lookup, prefetch), validation included: training notes per second;
- ``step, with input``: the same training steps without validation;
- ``step, no input``: the same steps on one batch held in memory (no pipeline);
  these two alternate ``--repeats`` times and the best of each is kept;
- ``pipeline alone``: the time to draw one batch from the pipeline, with no model;
- ``generate``: notes per second when the NumPy runner predicts one note at a time
  from its window (the loop of generation), with NumPy's BLAS on one thread as
  ``nabi generate`` sets it, and Keras ``predict_on_batch`` doing the same.

``--members`` (default: the preset's, 3) is the number of networks trained side by side
and averaged; ``--members 1`` times one network.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
from nabi_music.backend import BLAS_THREADS  # imports no NumPy

os.environ.setdefault("OPENBLAS_NUM_THREADS", BLAS_THREADS)  # as `nabi generate` runs

import numpy as np


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--preset", default="corpus-lstm")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--members", type=int, help="networks side by side (default: preset's)")
    parser.add_argument("--repeats", type=int, default=3, help="timings alternated, best kept")
    args = parser.parse_args()
    warnings.simplefilter("ignore")

    import tensorflow as tf

    from nabi_music.data.corpus import read_corpus, split_songs, take
    from nabi_music.data.encoding import Factors, Vocabulary
    from nabi_music.models.builders import build_corpus_model
    from nabi_music.models.presets import preset
    from nabi_music.training.fit import (
        compile_model,
        encode_songs,
        fit_corpus,
        make_dataset,
        model_table,
        song_chunks,
    )

    songs = read_corpus(["corpus:essenFolksong/kinder0.abc"], repeats=False)
    split = split_songs(len(songs), seed=1)
    vocabulary = Vocabulary.from_melodies(songs)
    config = preset(args.preset).with_options(epochs=args.epochs, patience=0, members=args.members)
    train = take(songs, split.train)
    print(
        f"{args.preset} on kinder0: {len(train)} training songs, "
        f"{sum(len(m.notes) for m in train)} notes, window {config.window}, "
        f"batch {config.batch_size}, {config.members} network(s), "
        f"{tf.config.threading.get_intra_op_parallelism_threads()} intra-op threads (0: all cores)",
        flush=True,
    )

    bundle, report = fit_corpus(
        train, take(songs, split.validation), config, vocabulary=vocabulary, epochs=args.epochs
    )
    print(
        f"fit ({args.epochs} epochs, validation included, first epoch's tracing included): "
        f"{report.notes_per_second:,.0f} training notes/s",
        flush=True,
    )

    n_classes = len(vocabulary)
    factors = Factors.of(vocabulary) if config.heads == "two" else None
    n_heads = (len(factors.pitches), len(factors.durations)) if factors else None
    chunks = song_chunks(encode_songs(train, vocabulary), config.window, n_classes)
    table = model_table(vocabulary, config)
    dataset = make_dataset(
        chunks, table, config.batch_size, shuffle_seed=1, factors=factors, members=config.members
    )
    steps = int(np.ceil(len(chunks) / config.batch_size))

    model = build_corpus_model(config, n_classes, 1, n_heads=n_heads, sequences=True)
    compile_model(model, config)
    one = dataset.take(1).cache().repeat()
    model.fit(dataset, epochs=1, verbose=0)  # trace and warm up
    model.fit(one, epochs=1, steps_per_epoch=steps, verbose=0)

    def seconds_per_step(data: object, **options: object) -> float:
        start = time.perf_counter()
        model.fit(data, epochs=args.epochs, verbose=0, **options)
        return (time.perf_counter() - start) / (args.epochs * steps)

    # alternated, best of --repeats: the other jobs of a shared machine slow both alike
    with_input, no_input = np.inf, np.inf
    for _ in range(args.repeats):
        with_input = min(with_input, seconds_per_step(dataset))
        no_input = min(no_input, seconds_per_step(one, steps_per_epoch=steps))

    for _ in dataset:
        pass
    start = time.perf_counter()
    batches = 0
    for _ in range(args.epochs):
        for _ in dataset:
            batches += 1
    pipeline = (time.perf_counter() - start) / batches

    notes_per_step = chunks.notes / steps
    print(f"{'':<28}{'ms/step':>9}{'notes/s':>10}")
    print(f"{'step, with input':<28}{with_input * 1e3:>9.2f}{notes_per_step / with_input:>10,.0f}")
    print(f"{'step, no input':<28}{no_input * 1e3:>9.2f}{notes_per_step / no_input:>10,.0f}")
    print(f"{'pipeline alone':<28}{pipeline * 1e3:>9.2f}")
    print(
        f"the pipeline adds {100 * (with_input / no_input - 1):+.1f}% to a step; "
        f"drawing a batch takes {100 * pipeline / no_input:.1f}% of a step's time",
        flush=True,
    )

    runner = bundle.runner()
    full = np.concatenate([table, [[len(table)]]]) if config.start_padded else table
    x = full[np.full((1, config.window), n_classes)].astype(np.float32)
    runner(x)
    n = 200
    start = time.perf_counter()
    for _ in range(n):
        runner(x)
    numpy_rate = n / (time.perf_counter() - start)
    bundle.model.predict_on_batch(x)
    start = time.perf_counter()
    for _ in range(n):
        bundle.model.predict_on_batch(x)
    keras_rate = n / (time.perf_counter() - start)
    print(
        f"generate one note at a time: NumPy runner {numpy_rate:,.0f} notes/s, "
        f"Keras predict_on_batch {keras_rate:,.0f} notes/s ({numpy_rate / keras_rate:.1f}x)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
