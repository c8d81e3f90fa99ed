"""A mixture as one model: its runner gives what the cross-validation mixes from its
parts, it travels as one bundle (networks, the songs its n-grams count, weights and
orders), and a forged mixture bundle is one InputError naming the field."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from nabi_music.data.encoding import Vocabulary, pitch_classes
from nabi_music.errors import InputError
from nabi_music.evaluation.crossval import CorpusOptions
from nabi_music.evaluation.members import network
from nabi_music.models.builders import build_model
from nabi_music.models.bundle import Bundle, load_bundle, save_bundle, training_meta
from nabi_music.models.history import History
from nabi_music.models.mixture import MixtureBundle, MixtureConfig, Part, mix
from nabi_music.models.ngram import IntervalNgramModel, NgramModel, spread
from nabi_music.models.presets import preset
from nabi_music.music.notes import Melody

SONGS = [
    "c4 d8 e8 c4 r4 c4 d8 e8 c2",
    "g4 e8 e8 f4 d8 d8 c4 d4 e4 f4 g2",
    "c8 c8 g4 g4 a8 a8 g2 f4 f4 e4 r8 e8 d2",
    "e4 d4 c4 d4 e8 e8 e4 r4 d4 d4 d2",
    "c4 e4 g4 c'4 g8 e8 c2",
]


@pytest.fixture(scope="module")
def parts() -> tuple[Vocabulary, list[Melody], Bundle]:
    songs = [Melody.from_codes(s.split(), title=f"song {k}") for k, s in enumerate(SONGS)]
    vocabulary = Vocabulary.from_melodies(songs)
    config = preset("corpus-lstm").with_options(units=8, embedding=4, window=6, members=1)
    model = build_model(config, len(vocabulary), seed=1)
    meta = {**training_meta(songs[:3]), "corpus_options": CorpusOptions().to_dict()}
    return vocabulary, songs, Bundle(model, vocabulary, config, 1, History((), ()), meta=meta)


def _mixture(vocabulary, songs, net) -> MixtureBundle:
    config = MixtureConfig(
        parts=(
            Part("lstm", "network", 0.3),
            Part("ngram", "ngram", 0.3, order=3),
            Part("interval-ngram", "interval", 0.4, order=2),
        ),
        window=8,
        spread_order=2,
    )
    return MixtureBundle(vocabulary, config, {"lstm": net}, 1, meta=dict(net.meta))


def test_the_runner_gives_what_the_parts_mix_to(parts):
    """Song by song from its start, the mixture's runner equals the parts' predictions
    mixed as the cross-validation mixes them (the interval n-gram's durations from the
    code 2-gram)."""
    vocabulary, songs, net = parts
    bundle = _mixture(vocabulary, songs, net)
    train = [vocabulary.encode(m.codes) for m in songs[:3]]
    pitch_of = pitch_classes(vocabulary)
    ngram = NgramModel(3, len(vocabulary)).fit(train)
    by = NgramModel(2, len(vocabulary)).fit(train)
    interval = IntervalNgramModel(2, pitch_of).fit(train)
    for song in songs[3:]:
        y = vocabulary.encode(song.codes)
        expected = mix(
            [
                network(net, [song])[0],
                ngram.log_probs(y),
                spread(interval.log_probs(y), by.log_probs(y), pitch_of),
            ],
            (0.3, 0.3, 0.4),
        )
        got = network(bundle, [song])[0]  # through the runner, window by window
        np.testing.assert_allclose(got, expected, atol=1e-6)
        np.testing.assert_allclose(np.exp(got).sum(axis=1), 1.0, atol=1e-9)


def test_a_mixture_bundle_saves_and_loads_as_one_file(parts, tmp_path):
    vocabulary, songs, net = parts
    bundle = _mixture(vocabulary, songs, net)
    path = save_bundle(bundle, tmp_path / "mix.nabi")
    with zipfile.ZipFile(path) as zf:
        assert sorted(zf.namelist()) == ["mixture.json", "networks/lstm.nabi", "vocabulary.json"]
    loaded = load_bundle(path)
    assert isinstance(loaded, MixtureBundle)
    assert loaded.config == bundle.config and loaded.vocabulary == vocabulary
    assert "mixture" in repr(loaded) and "interval-ngram 2 0.40" in repr(loaded)
    for song in songs[3:]:
        np.testing.assert_allclose(
            network(loaded, [song])[0], network(bundle, [song])[0], atol=1e-6
        )


def test_mixture_configs_are_checked():
    with pytest.raises(InputError, match="add up to 1"):
        MixtureConfig((Part("ngram", "ngram", 0.5, 2),), window=8)
    with pytest.raises(InputError, match="spread_order"):
        MixtureConfig((Part("interval-ngram", "interval", 1.0, 2),), window=8)
    with pytest.raises(InputError, match="window"):
        MixtureConfig((Part("ngram", "ngram", 1.0, 9),), window=8)
    with pytest.raises(InputError, match="order"):
        Part("lstm", "network", 1.0, order=3)
    with pytest.raises(InputError, match="name"):
        Part("../x", "ngram", 1.0, order=3)


def _forged(path: Path, out: Path, change) -> Path:
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    data = json.loads(members["mixture.json"])
    change(data, members)
    members["mixture.json"] = json.dumps(data).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, content in members.items():
            zf.writestr(name, content)
    out.write_bytes(buffer.getvalue())
    return out


def _set(path, value):
    def change(data, members):
        target = data
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


@pytest.mark.parametrize(
    "change, message",
    [
        (_set(["mixture", "parts", 0, "weight"], 7), "mixture.parts\\[0\\].weight"),
        (_set(["mixture", "parts", 0, "kind"], "oracle"), "mixture.parts\\[0\\].kind"),
        (_set(["mixture", "parts", 1, "order"], 10**9), "mixture.parts\\[1\\].order"),
        (_set(["mixture", "parts", 0, "name"], "../../x"), "mixture.parts\\[0\\].name"),
        (_set(["mixture", "window"], 10**9), "mixture.window"),
        (_set(["mixture", "parts", 2, "weight"], 0.9), "add up to 1"),
        (_set(["kind"], "other"), "format, kind"),
        (_set(["meta", "songs"], []), "meta.songs"),
        (_set(["meta", "songs", 0, "codes"], "c4 cis'''''4"), "meta.songs\\[0\\].codes"),
        (lambda data, members: members.pop("networks/lstm.nabi"), "missing networks/lstm"),
        (
            lambda data, members: members.update({"networks/lstm.nabi": b"not a zip"}),
            "networks/lstm.nabi",
        ),
    ],
)
def test_a_forged_mixture_bundle_is_one_input_error_naming_the_field(
    parts, tmp_path, change, message
):
    vocabulary, songs, net = parts
    path = save_bundle(_mixture(vocabulary, songs, net), tmp_path / "mix.nabi")
    forged = _forged(path, tmp_path / "forged.nabi", change)
    with pytest.raises(InputError, match=message):
        load_bundle(forged)
