"""tf.distribute: MirroredStrategy over two logical CPU devices trains the corpus
model as one device does (in a subprocess: logical devices must be set up before
TensorFlow initialises its devices)."""

import json
import subprocess
import sys

import pytest
from conftest import ROOT

SCRIPT = """
import json, sys, warnings
import tensorflow as tf

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(
    cpu, [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()]
)
warnings.simplefilter("ignore")
from nabi_music.corpus import read_corpus, split_songs, take
from nabi_music.encoding import Vocabulary
from nabi_music.fit import fit_corpus
from nabi_music.presets import preset

songs = read_corpus([sys.argv[1]])
split = split_songs(len(songs), seed=1)
config = preset("corpus-lstm").with_options(
    units=32, embedding=8, window=12, batch_size=32, epochs=5, dropout=0.0, patience=0,
    learning_rate=0.01,
)
out = {}
for strategy in ("default", "mirrored"):
    bundle, report = fit_corpus(
        take(songs, split.train), take(songs, split.validation), config,
        vocabulary=Vocabulary.from_melodies(songs), seed=2, strategy=strategy,
    )
    out[strategy] = {"loss": report.logs["loss"], "val_loss": report.logs["val_loss"],
                     "replicas": report.replicas}
print(json.dumps(out))
"""


@pytest.mark.slow
def test_mirrored_strategy_over_two_cpus_learns_as_one_device():
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(ROOT / "tests" / "data" / "kinder_20.abc")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
        env={**__import__("os").environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    runs = json.loads(result.stdout.strip().splitlines()[-1])
    one, two = runs["default"], runs["mirrored"]
    assert one["replicas"] == 1 and two["replicas"] == 2
    for run in (one, two):
        assert run["loss"][-1] < run["loss"][0] - 0.3
        assert run["val_loss"][-1] < run["val_loss"][0]
    # the same model, data and seed: the two devices follow the one device's curve
    for a, b in zip(one["loss"], two["loss"], strict=True):
        assert abs(a - b) < 0.05 * a
