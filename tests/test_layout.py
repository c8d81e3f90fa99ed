"""The package's layout holds: data flows one way through the stages, no import cycles,
heavy libraries only through their bridges, and a light start-up."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from helpers import NABIYA, ROOT

from nabi_music.data.encoding import Vocabulary
from nabi_music.evaluation.crossval import CorpusOptions
from nabi_music.models.builders import build_model
from nabi_music.models.bundle import Bundle, save_bundle, song_records, training_meta
from nabi_music.models.history import History
from nabi_music.models.presets import preset
from nabi_music.music.notes import Melody

PACKAGE = ROOT / "nabi_music"

STAGES = (
    ("errors", "fileio", "backend", "version", "display"),
    ("music",),
    ("readers",),
    ("writers",),
    ("data",),
    ("models",),
    ("training",),
    ("evaluation",),
    ("prediction",),
    ("media",),
    ("pages",),
    ("runs",),
    ("cli", "api"),
    ("__init__",),
)
"""The stages in the order data flows: a module imports only from its own stage and
the stages before it. The public API (``api`` and the package's ``__init__``, which
hands it on lazily) comes last."""

HEAVY = {"tensorflow": "backend", "keras": "backend", "music21": "backend"}
"""Heavy libraries and the one module that may import them."""


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _stage(module: str) -> int:
    parts = module.split(".")
    room = parts[1] if len(parts) > 1 else "__init__"
    for i, rooms in enumerate(STAGES):
        if room in rooms:
            return i
    raise AssertionError(f"{module}: in no stage of STAGES; add its room there")


def _imports(path: Path) -> list[tuple[str, int, bool]]:
    """(imported name, line, at the top level of the module) of every import."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = {id(node) for node in tree.body}
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, node.lineno, id(node) in top) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{a.name}" for a in node.names]
            known = [n for n in names if n in MODULES]
            out += [(n, node.lineno, id(node) in top) for n in known or [node.module]]
    return out


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for module, path in MODULES.items():
        for name, _, _ in _imports(path):
            if name.split(".")[0] != "nabi_music":
                continue
            while name not in MODULES:
                name = name.rsplit(".", 1)[0]
            if name != module:
                graph[module].add(name)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_every_module_has_a_one_line_purpose():
    for module, path in MODULES.items():
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
        assert doc and doc.strip(), f"{module} says nothing of its purpose"


def test_no_import_cycles():
    assert _cycles(_graph()) == []


def test_no_import_reaches_up_a_stage():
    upward = [
        f"{module} (stage {_stage(module)}) imports {target} (stage {_stage(target)})"
        for module, targets in _graph().items()
        for target in sorted(targets)
        if _stage(target) > _stage(module)
    ]
    assert upward == []


def test_the_package_imports_itself_at_the_top_of_modules():
    """Every edge in sight; only the package's ``__init__`` loads its API on first use."""
    inside = [
        f"{module}:{line} {name}"
        for module, path in MODULES.items()
        for name, line, top in _imports(path)
        if name.split(".")[0] == "nabi_music" and not top and module != "nabi_music"
    ]
    assert inside == []


def test_heavy_libraries_only_through_the_backend():
    strays = [
        f"{module}:{line} {name}"
        for module, path in MODULES.items()
        for name, line, top in _imports(path)
        if (owner := HEAVY.get(name.split(".")[0])) is not None
        and (module != f"nabi_music.{owner}" or top)
    ]
    assert strays == []


def test_a_cycle_and_an_upward_import_are_found():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}
    assert _cycles(graph) == [["a", "b", "c"]]
    assert _stage("nabi_music.cli.main") > _stage("nabi_music.runs.song")


CHECK = (
    "import sys\n"
    "{code}\n"
    "heavy = sorted(m for m in ('tensorflow', 'keras', 'music21', 'matplotlib') "
    "if m in sys.modules)\n"
    "assert not heavy, heavy\n"
)


def _light(code: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", CHECK.format(code=code)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


def test_import_nabi_music_is_light():
    _light("import nabi_music")


def test_nabi_help_is_light():
    _light(
        "import contextlib, io\n"
        "from nabi_music.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        "    main(['--help'])\n"
        "for command in ('inspect', 'train', 'evaluate', 'predict', 'song', 'render', "
        "'generate', 'crossval'):\n"
        "    with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        "        main([command, '--help'])"
    )


def test_the_nabi_command_starts_light():
    """``nabi --help`` as a user runs it: no heavy library among the modules imported."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "nabi_music.cli", "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    imported = {
        line.rsplit("|", 1)[1].strip().split(".")[0]
        for line in result.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    assert "nabi_music" in imported
    assert not imported & {"tensorflow", "keras", "music21", "matplotlib", "soundfile"}


def test_commands_on_a_trained_bundle_never_start_tensorflow(tmp_path):
    """``nabi predict``, ``nabi generate`` and ``nabi evaluate`` run the NumPy runner on
    the weights read from the bundle with h5py: neither TensorFlow nor Keras among the
    modules they import."""
    song = Melody.from_codes(NABIYA, title="나비야")
    vocabulary = Vocabulary.from_codes(NABIYA)
    paths = {}
    for name in ("stateful-lstm", "corpus-lstm"):
        config = preset(name).with_options(units=8)
        model = build_model(config, len(vocabulary), seed=1)
        meta = {
            **training_meta([song]),
            "test_songs": song_records([song]),
            "corpus_options": CorpusOptions().to_dict(),
        }
        bundle = Bundle(model, vocabulary, config, 1, History((), ()), meta=meta)
        paths[name] = str(save_bundle(bundle, tmp_path / f"{name}.nabi"))
    score = str(ROOT / "scores" / "nabiya.ly")
    commands = [
        ["predict", paths["stateful-lstm"], score, "--no-media", "--out", str(tmp_path / "p")],
        ["generate", paths["corpus-lstm"], "--length", "16", "--out", str(tmp_path / "a")],
        ["generate", paths["stateful-lstm"], "--length", "16", "--out", str(tmp_path / "b")],
        ["evaluate", paths["corpus-lstm"]],
    ]
    for args in commands:
        result = subprocess.run(
            [sys.executable, "-X", "importtime", "-m", "nabi_music.cli", *args],
            capture_output=True, text=True, cwd=ROOT, timeout=300,
        )  # fmt: skip
        assert result.returncode == 0, (args, result.stderr[-2000:])
        imported = {
            line.rsplit("|", 1)[1].strip().split(".")[0]
            for line in result.stderr.splitlines()
            if line.startswith("import time:") and "|" in line
        }
        assert "nabi_music" in imported
        assert not imported & {"tensorflow", "keras"}, args  # (music21 writes MusicXML)
