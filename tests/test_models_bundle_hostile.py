"""Forged and broken bundles: a ``model.nabi`` is as untrusted as a score.

Each forged bundle is a real one with one field changed. Loading it is one
InputError naming the field (never a TypeError, a KeyError or gigabytes allocated),
and ``nabi predict``, ``nabi generate`` and ``nabi evaluate`` on it print one line
and exit 2, with nothing written.
"""

from __future__ import annotations

import io
import json
import os
import resource
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from helpers import NABIYA_LY, ROOT, SCORES, unknown_compression

from nabi_music.errors import InputError
from nabi_music.models.bundle import (
    MAX_PARAMETERS,
    MAX_VOCABULARY,
    MAX_WINDOW,
    load_bundle,
    song_records,
)
from nabi_music.readers import read
from nabi_music.runs.train import train_to_bundle

MEMORY = 4 * 1024**3
"""Address space of a ``nabi`` run here: a forged size that got through would fail."""


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real bundle (the MLP after two epochs on 나비야), with corpus meta added so
    that ``nabi evaluate`` takes it too."""
    out = tmp_path_factory.mktemp("bundle") / "mlp.nabi"
    melodies = read(SCORES / "nabiya.txt")
    train_to_bundle(melodies, "mlp", str(out), epochs=2)
    meta = {
        "corpus_options": {"ngram_order": 2, "smoothing": "witten-bell"},
        "songs": song_records(melodies),
        "test_songs": song_records(melodies),
    }
    return forge(out, out, config=lambda c: c["meta"].update(meta))


def forge(
    source: Path,
    dest: Path,
    *,
    config: Any = None,
    vocabulary: Any = None,
    keras: Any = None,
    members: dict[str, bytes] | None = None,
) -> Path:
    """A copy of ``source`` with ``config.json`` and ``vocabulary.json`` changed by the
    functions given (they change the parsed JSON in place), the Keras model's own
    ``config.json`` changed by ``keras``, and ``members`` written as they are."""
    with zipfile.ZipFile(source) as zf:
        parts = {name: zf.read(name) for name in zf.namelist()}
    for name, change in (("config.json", config), ("vocabulary.json", vocabulary)):
        if change is not None:
            data = json.loads(parts[name])
            change(data)
            parts[name] = json.dumps(data).encode()
    if keras is not None:
        with zipfile.ZipFile(io.BytesIO(parts["model.keras"])) as inner:
            inner_parts = {name: inner.read(name) for name in inner.namelist()}
        data = json.loads(inner_parts["config.json"])
        keras(data)
        inner_parts["config.json"] = json.dumps(data).encode()
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as inner:
            for name, content in inner_parts.items():
                inner.writestr(name, content)
        parts["model.keras"] = buffer.getvalue()
    parts.update(members or {})
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in parts.items():
            zf.writestr(name, content)
    return dest


def model(key: str, value: Any) -> Any:
    return lambda c: c["model"].__setitem__(key, value)


def layer(name: str, key: str, value: Any) -> Any:
    def change(data: dict[str, Any]) -> None:
        for item in data["config"]["layers"]:
            if item["config"].get("name") == name:
                item["config"][key] = value

    return change


FORGED = {
    # wrong types
    "units as text": ({"config": model("units", "128")}, "model.units"),
    "window a fraction": ({"config": model("window", 4.5)}, "model.window"),
    "stateful as text": ({"config": model("stateful", "yes")}, "model.stateful"),
    "learning rate NaN": ({"config": model("learning_rate", float("nan"))}, "learning_rate"),
    "model a list": ({"config": lambda c: c.__setitem__("model", [1, 2])}, "model"),
    "model missing": ({"config": lambda c: c.pop("model")}, "model"),
    "preset left out": ({"config": lambda c: c["model"].pop("preset")}, "model.preset"),
    "unknown field": ({"config": model("trojan", 1)}, "trojan"),
    "seed as text": ({"config": lambda c: c.__setitem__("seed", "1")}, "seed"),
    "seed negative": ({"config": lambda c: c.__setitem__("seed", -1)}, "seed"),
    "history not an object": ({"config": lambda c: c.__setitem__("history", 3)}, "history"),
    "loss as text": ({"config": lambda c: c["history"].__setitem__("loss", "abc")}, "loss"),
    "kept epoch beyond": (
        {"config": lambda c: c["history"].__setitem__("kept_epoch", 10**9)},
        "kept_epoch",
    ),
    "trained_on a number": ({"config": lambda c: c.__setitem__("trained_on", 7)}, "trained_on"),
    "meta a list": ({"config": lambda c: c.__setitem__("meta", [])}, "meta"),
    "songs an object": ({"config": lambda c: c["meta"].__setitem__("songs", {"a": 1})}, "songs"),
    "song codes unknown": (
        {"config": lambda c: c["meta"]["songs"][0].__setitem__("codes", "g8 zz9")},
        "meta.songs[0].codes",
    ),
    "tempo as text": ({"config": lambda c: c["meta"].__setitem__("tempo", "fast")}, "tempo"),
    "an upbeat that is no length": (
        {"config": lambda c: c["meta"]["songs"][0].__setitem__("pickup", "1/0")},
        "meta.songs[0].pickup",
    ),
    "a metre network's config that is not one": (
        {"config": lambda c: c.update(kind="metre")},
        "got 'architecture'",
    ),
    "an unknown kind of model": ({"config": lambda c: c.update(kind="oracle")}, "kind"),
    "read options smuggled": (
        {"config": lambda c: c["meta"].__setitem__("read_options", {"path": "/etc"})},
        "read_options",
    ),
    "format 2": ({"config": lambda c: c.__setitem__("format", 2)}, "unknown bundle format"),
    # sizes that would allocate
    "units negative": ({"config": model("units", -5)}, "model.units"),
    "units 10^6": ({"config": model("units", 10**6)}, "4,096"),
    "window 10^9": ({"config": model("window", 10**9)}, f"{MAX_WINDOW}"),
    "epochs 10^12": ({"config": model("epochs", 10**12)}, "model.epochs"),
    "layers 10^6": ({"config": model("layers", 10**6)}, "model.layers"),
    "n-gram order 10^9": (
        {"config": lambda c: c["meta"]["corpus_options"].__setitem__("ngram_order", 10**9)},
        "ngram_order",
    ),
    "split index 10^12": (
        {"config": lambda c: c["meta"].__setitem__("split", {"test": [10**12]})},
        "meta.split.test",
    ),
    "vocabulary over the limit": (
        {"vocabulary": lambda v: v.__setitem__("codes", ["c4"] * (MAX_VOCABULARY + 1))},
        f"at most {MAX_VOCABULARY:,}",
    ),
    "vocabulary of 10^6 entries": (
        {"vocabulary": lambda v: v.__setitem__("codes", ["c4"] * 10**6)},
        "vocabulary.json is 6,000,011 bytes unpacked, over the limit of 1,000,000",
    ),
    "vocabulary entry not a code": (
        {"vocabulary": lambda v: v["codes"].__setitem__(0, "$(touch x)")},
        "codes[0]",
    ),
    "vocabulary entry a number": (
        {"vocabulary": lambda v: v["codes"].__setitem__(0, 4)},
        "codes[0]",
    ),
    "vocabulary twice the same code": (
        {"vocabulary": lambda v: v["codes"].__setitem__(1, v["codes"][0])},
        "twice",
    ),
    "Keras dense layer of 10^6 units": (
        {"keras": layer("hidden_2", "units", 10**6)},
        f"over the limit of {MAX_PARAMETERS:,}",
    ),
    "Keras layer size as text": ({"keras": layer("hidden_1", "units", "many")}, "units"),
    "Keras model not what the config says": ({"config": model("window", 8)}, "does not fit"),
    # paths
    "preset name a path": ({"config": model("preset", "../../x")}, "model.preset"),
    # the files themselves
    "member too large": (
        {"members": {"config.json": b" " * 60_000_001}},
        "config.json is 60,000,001 bytes",
    ),
    "vocabulary not JSON": ({"members": {"vocabulary.json": b"\xff\xfe{"}}, "not JSON"),
    "model.keras not a zip": (
        {"members": {"model.keras": b"not a zip"}},
        "the Keras model in the bundle cannot be loaded",
    ),
}


@pytest.mark.parametrize("case", FORGED, ids=list(FORGED))
def test_a_forged_bundle_is_one_input_error_naming_the_field(bundle, tmp_path, case):
    changes, expected = FORGED[case]
    forged = forge(bundle, tmp_path / "forged.nabi", **changes)
    with pytest.raises(InputError) as caught:
        load_bundle(forged)
    message = str(caught.value)
    assert expected in message, message
    assert str(forged) in message and "\n" not in message and len(message) < 400


def test_the_real_bundle_loads(bundle):
    loaded = load_bundle(bundle)
    assert loaded.config.preset == "mlp" and loaded.meta["test_songs"]


def test_a_member_that_says_it_is_huge_is_refused_before_it_is_read(bundle, tmp_path):
    """The zip's directory says config.json unpacks to 4 GB (its data is small):
    refused on what it says, not found out by reading."""
    claimed = tmp_path / "claimed.nabi"
    data = bytearray(bundle.read_bytes())
    entry = data.find(b"PK\x01\x02")
    while data[entry + 46 : entry + 46 + len(b"config.json")] != b"config.json":
        entry = data.find(b"PK\x01\x02", entry + 4)
    data[entry + 24 : entry + 28] = (0xFFFFFFF0).to_bytes(4, "little")
    claimed.write_bytes(bytes(data))
    with pytest.raises(InputError, match=r"config\.json is 4,294,967,280 bytes unpacked"):
        load_bundle(claimed)


def test_a_member_packed_by_an_unknown_method_is_one_input_error(bundle, tmp_path):
    odd = tmp_path / "odd.nabi"
    odd.write_bytes(unknown_compression(bundle.read_bytes(), "config.json"))
    with pytest.raises(InputError, match=r"config\.json cannot be read \(.*compression"):
        load_bundle(odd)


def test_a_truncated_bundle_and_one_that_is_not_a_zip(bundle, tmp_path):
    truncated = tmp_path / "truncated.nabi"
    truncated.write_bytes(bundle.read_bytes()[: bundle.stat().st_size // 2])
    text = tmp_path / "text.nabi"
    text.write_text("model = 'lstm'\n")
    for path in (truncated, text):
        with pytest.raises(InputError, match="not a readable nabi_music bundle"):
            load_bundle(path)


def nabi(*args: str) -> subprocess.CompletedProcess:
    """``nabi`` in a fresh process, with a memory limit and a timeout guard."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))

    return subprocess.run(
        [sys.executable, "-m", "nabi_music.cli", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        preexec_fn=limit,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )


def one_line(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 2, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("nabi: error: "), result.stderr
    return lines[0]


COMMANDS = {
    "predict": lambda b, out: ["predict", b, str(NABIYA_LY), "--out", out, "--no-media"],
    "generate": lambda b, out: ["generate", b, "--out", out, "--formats", "mid"],
    "evaluate": lambda b, out: ["evaluate", b, "--json", f"{out}.json"],
}

THROUGH_THE_COMMAND = (
    "units 10^6",
    "vocabulary over the limit",
    "Keras dense layer of 10^6 units",
    "member too large",
)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_refuses_forged_bundles_with_one_line(bundle, tmp_path, command):
    out = tmp_path / "out"
    for case in THROUGH_THE_COMMAND:
        changes, expected = FORGED[case]
        forged = forge(bundle, tmp_path / "forged.nabi", **changes)
        line = one_line(nabi(*COMMANDS[command](str(forged), str(out))))
        assert expected in line
    truncated = tmp_path / "truncated.nabi"
    truncated.write_bytes(bundle.read_bytes()[:1000])
    assert "not a readable" in one_line(nabi(*COMMANDS[command](str(truncated), str(out))))
    assert not out.exists() and not Path(f"{out}.json").exists()


def test_evaluate_never_opens_the_paths_a_bundle_names(bundle, tmp_path):
    """A bundle that names its corpus as files (``/etc``, ``../../x``, a folder with a
    FIFO that would block whoever reads it) but does not record its test songs: nabi
    refuses to read them; the user names what is read."""
    trap = tmp_path / "trap"
    trap.mkdir()
    os.mkfifo(trap / "songs.txt")

    def older(c: dict[str, Any]) -> None:
        c["meta"].pop("test_songs")
        c["meta"]["corpus"] = [str(trap), "/etc", "../../x"]
        c["meta"]["split"] = {"train": [0], "validation": [], "test": [0]}

    forged = forge(bundle, tmp_path / "older.nabi", config=older)
    line = one_line(nabi("evaluate", str(forged)))
    assert "reads only the files you name" in line and "--corpus" in line
    scored = nabi("evaluate", str(bundle))  # the held-out songs it records: no file read
    assert scored.returncode == 0, scored.stderr
    assert "the held-out test songs of" in scored.stdout and "notes scored" in scored.stdout
