"""tf.distribute: MirroredStrategy over two logical CPU devices, and
MultiWorkerMirroredStrategy with two worker processes on this machine, train the
corpus model as one device does. Each run is its own subprocess: logical devices
and the cluster must be set up before TensorFlow initialises."""

import json
import os
import socket
import subprocess
import sys

import pytest
from helpers import ROOT

SCRIPT = """
import json, sys, warnings
import tensorflow as tf

strategies = sys.argv[2].split(",")
if "mirrored" in strategies:
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()]
    )
warnings.simplefilter("ignore")
from nabi_music.data.corpus import read_corpus, split_songs, take
from nabi_music.data.encoding import Vocabulary
from nabi_music.training.fit import fit_corpus, make_strategy
from nabi_music.models.presets import preset

made = {s: make_strategy(s) for s in strategies}  # before TensorFlow runs anything
songs = read_corpus([sys.argv[1]])
split = split_songs(len(songs), seed=1)
config = preset("corpus-lstm").with_options(
    units=32, embedding=8, window=12, batch_size=32, epochs=5, dropout=0.0, patience=0,
    learning_rate=0.01, members=1,
)
out = {}
for strategy in strategies:
    bundle, report = fit_corpus(
        take(songs, split.train), take(songs, split.validation), config,
        vocabulary=Vocabulary.from_melodies(songs), seed=2, strategy=made[strategy],
    )
    out[strategy] = {"loss": report.logs["loss"], "val_loss": report.logs["val_loss"],
                     "replicas": report.replicas,
                     "weights": float(sum(abs(w).sum() for w in bundle.model.get_weights()))}
print(json.dumps(out))
"""
CORPUS = str(ROOT / "tests" / "data" / "kinder_20.abc")


def start(strategies: str, tf_config: dict | None = None) -> subprocess.Popen:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    if tf_config is not None:
        env["TF_CONFIG"] = json.dumps(tf_config)
    return subprocess.Popen(
        [sys.executable, "-c", SCRIPT, CORPUS, strategies],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=env,
    )


def finish(process: subprocess.Popen) -> dict:
    try:
        out, err = process.communicate(timeout=600)
    except subprocess.TimeoutExpired:
        process.kill()
        raise
    assert process.returncode == 0, err[-3000:]
    return json.loads(out.strip().splitlines()[-1])


def assert_learns_as_one_device(one: dict, run: dict) -> None:
    assert run["loss"][-1] < run["loss"][0] - 0.3
    assert run["val_loss"][-1] < run["val_loss"][0]
    # the same model, data, global batch and seed: the curve of the one device
    for a, b in zip(one["loss"], run["loss"], strict=True):
        assert abs(a - b) < 0.05 * a


def free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("localhost", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


@pytest.fixture(scope="module")
def runs() -> dict:
    """One device and two mirrored CPUs in one process, and two workers joined by
    TF_CONFIG as two machines would be (README's set-up), all started at once."""
    cluster = {"worker": [f"localhost:{p}" for p in free_ports(2)]}
    workers = [
        start("multi-worker", {"cluster": cluster, "task": {"type": "worker", "index": i}})
        for i in range(2)
    ]
    local = start("default,mirrored")
    first, second = (finish(w)["multi-worker"] for w in workers)
    return {**finish(local), "first worker": first, "second worker": second}


@pytest.mark.slow
def test_mirrored_strategy_over_two_cpus_learns_as_one_device(runs):
    one, two = runs["default"], runs["mirrored"]
    assert one["replicas"] == 1 and two["replicas"] == 2
    assert one["loss"][-1] < one["loss"][0] - 0.3
    assert_learns_as_one_device(one, two)


@pytest.mark.slow
def test_two_workers_train_one_model_as_one_device_does(runs):
    first, second = runs["first worker"], runs["second worker"]
    assert first["replicas"] == second["replicas"] == 2
    # the workers hold one model: the same losses and weights in both processes
    assert first["loss"] == second["loss"] and first["weights"] == second["weights"]
    assert_learns_as_one_device(runs["default"], first)
