"""Bad and hostile input through the ``nabi`` command, as a user meets it.

Every case prints exactly one line on standard error (``nabi: error: ...``), exits 2
for bad usage or input (1 for other failures), and leaves no output behind. Cases
already covered in test_cli.py (a missing path, a directory, an unknown extension, an
empty file, random bytes named .mid, an invalid code, a melody too short for ``song``,
``--debug``) are not repeated here.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from helpers import NABIYA_LY, ROOT, SCORES
from helpers import run_nabi as nabi

from nabi_music.cli.main import main


def one_error_line(result: subprocess.CompletedProcess, code: int = 2) -> str:
    """The one line of standard error, checked: exit code, prefix, no traceback."""
    assert result.returncode == code, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("nabi: error: ")
    assert "Traceback" not in result.stderr
    return lines[0]


def write(path: Path, data: str | bytes) -> Path:
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8")
    return path


NOISE = bytes(range(256)) * 4
TRUNCATED_XML = (SCORES / "twinkle.musicxml").read_bytes()[:2000]


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("noise.musicxml", NOISE, "cannot read as MusicXML"),
        ("noise.ly", NOISE, "not UTF-8 text"),
        ("truncated.musicxml", TRUNCATED_XML, "cannot read as MusicXML"),
        ("nothing.abc", "X:1\nT:Silence\nM:4/4\nK:C\nz4 | z4 |]\n", "no notes found"),
        (
            "braces.ly",
            "\\version \"2.24.0\"\n{ c'4 d'4\n  e'4 } }\n",
            "braces.ly:3:9: LilyPond syntax error: unexpected '}'",
        ),
        (
            "unclosed.ly",
            "\\relative c' {\n  c4 << d4 \\\\ e4\n}\n",
            "unclosed.ly:3:1: LilyPond syntax error: unexpected '}' (the open '<<' is at line 2)",
        ),
        (
            "bad.txt",
            "g8 e8\ne4 d9 c4\n",
            "bad.txt:2:5: invalid note code 'd9': found '9' at character 2, "
            "expected a duration 1 2 4 8 16 32 or 64",
        ),
    ],
)
def test_bad_scores_are_refused_in_one_line(tmp_path, name, data, expected):
    path = write(tmp_path / name, data)
    out = tmp_path / "out"
    for command in (["inspect", str(path)], ["song", str(path), "--out", str(out)]):
        line = one_error_line(nabi(*command))
        assert expected in line
    assert not out.exists()


def test_no_such_part_names_the_parts(tmp_path):
    line = one_error_line(nabi("inspect", str(ROOT / "tests" / "data" / "parts.ly"), "--part", "3"))
    assert "no part '3'; the score has 2 parts: 1 upper, 2 lower" in line


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    """A tiny model trained on 나비야 (one epoch: only its vocabulary matters here)."""
    path = tmp_path_factory.mktemp("bundle") / "mlp.nabi"  # in this process: one TensorFlow
    assert main(["train", str(NABIYA_LY), "--preset", "mlp", "--epochs", "1", "-o", str(path)]) == 0
    return path


def test_predict_a_melody_shorter_than_the_window(tmp_path, bundle):
    short = write(tmp_path / "short.txt", "g8 e8 e4 f8")
    out = tmp_path / "out"
    line = one_error_line(nabi("predict", str(bundle), str(short), "--out", str(out)))
    assert "has 4 notes; a window of 4 needs at least 5" in line
    assert not out.exists()


def test_predict_unknown_codes_are_named_with_the_way_out(tmp_path, bundle):
    other = write(tmp_path / "other.txt", "g8 e8 e4 fis8 d8 d4 c2 e8")
    out = tmp_path / "out"
    line = one_error_line(nabi("predict", str(bundle), str(other), "--out", str(out)))
    assert "never saw: fis8 c2" in line
    assert "--map-unknown nearest" in line
    assert not out.exists()


def test_predict_map_unknown_nearest_maps_by_pitch_then_duration(tmp_path, bundle):
    other = write(tmp_path / "other.txt", "g8 e8 e4 fis8 d8 d4 c2 e8 r4 a'16")
    out = tmp_path / "out"
    result = nabi("predict", str(bundle), str(other), "--out", str(out), "--map-unknown", "nearest")
    assert result.returncode == 0, result.stderr
    warning = [line for line in result.stderr.splitlines() if "never saw" in line]
    assert len(warning) == 1
    # F#4 is a semitone from both F4 and G4: the lower code wins the tie (f8 < g8);
    # C4 half -> C4 eighth, the nearest duration the model knows of that pitch;
    # a rest has no rest to map to, so its nearest note by duration;
    # A5 sixteenth -> G4 eighth, the nearest pitch known.
    assert "fis8 -> f8, c2 -> c8" in warning[0]
    assert "a'16 -> g8" in warning[0]
    assert (out / "other" / "mlp" / "one_step.mid").is_file()


@pytest.mark.parametrize("damage", ["missing", "noise", "truncated", "no-model"])
def test_predict_with_a_broken_bundle(tmp_path, bundle, damage):
    broken = tmp_path / "broken.nabi"
    if damage == "noise":
        write(broken, NOISE)
    elif damage == "truncated":
        write(broken, bundle.read_bytes()[: bundle.stat().st_size // 2])
    elif damage == "no-model":
        with zipfile.ZipFile(broken, "w") as zf:
            zf.writestr("config.json", "{}")
    out = tmp_path / "out"
    line = one_error_line(nabi("predict", str(broken), str(NABIYA_LY), "--out", str(out)))
    assert str(broken) in line
    assert not out.exists()


@pytest.mark.parametrize("where", ["file", "under-a-file"])
def test_an_output_folder_that_cannot_be_written(tmp_path, bundle, where):
    blocker = write(tmp_path / "blocker", "a regular file")
    out = blocker if where == "file" else blocker / "sub" / "dir"
    for command in (
        ["predict", str(bundle), str(NABIYA_LY), "--out", str(out)],
        ["song", str(NABIYA_LY), "--presets", "mlp", "--epochs", "1", "--out", str(out)],
    ):
        line = one_error_line(nabi(*command))
        assert f"--out {out}" in line
        assert "expected a folder" in line
    assert blocker.read_text(encoding="utf-8") == "a regular file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocker"]


def test_titles_and_file_names_cannot_escape_the_output_folder(tmp_path, bundle):
    """Output folders come from the score's file stem (made safe), never from its title;
    a hostile title stays text inside the files."""
    title = "../../x/etc/passwd"
    header = f'\\header {{ title = "{title}" }}'
    music = "\\fixed c' { g8 e8 e4 f8 d8 d4 c8 d8 e8 f8 g8 g8 g4 }"
    score = write(tmp_path / "..evil name.ly", f'\\version "2.24.0"\n{header}\n{music}\n')
    out = tmp_path / "out"
    result = nabi("predict", str(bundle), str(score), "--out", str(out))
    assert result.returncode == 0, result.stderr
    made = [p for p in tmp_path.rglob("*") if p.is_file() and p != score]
    assert made
    for p in made:
        assert p.resolve().is_relative_to(out.resolve())
    assert {p.parent.parent.name for p in made} == {"evil_name"}
    one_step = (out / "evil_name" / "mlp" / "one_step.ly").read_text(encoding="utf-8")
    assert f'title = "{title}"' in one_step
    assert not Path("/x").exists()


def test_a_bundle_with_code_in_its_model_is_refused_and_the_code_never_runs(tmp_path, bundle):
    """Keras safe mode: a Lambda layer (Python bytecode) in model.keras is not loaded."""
    marker = tmp_path / "ran"
    model = tmp_path / "evil.keras"
    build = (
        "import os; os.environ['TF_CPP_MIN_LOG_LEVEL'] = '3'\n"
        "import keras\n"
        f"touch = \"__import__('pathlib').Path({str(marker)!r}).write_text('r')\"\n"
        "f = eval('lambda x: (' + touch + ', x)[1]')\n"
        "inp = keras.Input((4, 1))\n"
        "out = keras.layers.Dense(3)(keras.layers.Flatten()(keras.layers.Lambda(f)(inp)))\n"
        f"keras.Model(inp, out).save({str(model)!r})\n"
    )
    made = subprocess.run([sys.executable, "-c", build], capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    marker.unlink(missing_ok=True)  # building the model called the function once
    evil = tmp_path / "evil.nabi"
    with zipfile.ZipFile(bundle) as src, zipfile.ZipFile(evil, "w") as dst:
        for name in src.namelist():
            if name != "model.keras":
                dst.writestr(name, src.read(name))
        dst.write(model, "model.keras")
    out = tmp_path / "out"
    line = one_error_line(nabi("predict", str(evil), str(NABIYA_LY), "--out", str(out)))
    assert "the Keras model in the bundle cannot be loaded" in line
    assert not marker.exists()
    assert not out.exists()


def test_a_repeat_bomb_is_refused(tmp_path):
    bomb = write(tmp_path / "bomb.ly", "{ \\repeat unfold 1000 { \\repeat unfold 1000 { c'4 } } }")
    line = one_error_line(nabi("inspect", str(bomb)))
    assert "bomb.ly:1: notes once \\repeat unfold 1000 is played out: 1,000,000" in line
    assert "over the limit of 100,000; raise it with --limit notes=N" in line
