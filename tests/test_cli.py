"""The ``nabi`` command as a user meets it: real files in, real files out."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import NABIYA, NABIYA_LY, ROOT, SCORES
from helpers import run_nabi as nabi

from nabi_music.cli.main import build_parser, joined_ranges, main
from nabi_music.readers import read
from nabi_music.version import __version__


def test_help_is_quick_and_imports_nothing_heavy():
    probe = (
        "import sys, contextlib, io\n"
        "from nabi_music.cli.main import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try: main(['--help'])\n"
        "    except SystemExit: pass\n"
        "heavy = [m for m in ('tensorflow', 'keras', 'music21', 'ly', 'pretty_midi') "
        "if m in sys.modules]\n"
        "print(heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"
    result = nabi("--help")
    assert result.returncode == 0
    for command in ("inspect", "train", "predict", "song"):
        assert command in result.stdout


def test_version_a_negative_range_and_a_closed_pipe_behave_as_in_other_tools(tmp_path):
    result = nabi("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"nabi {__version__}"
    parser = build_parser()
    for argv, expected in (
        (["--transpose", "-5..6"], "-5..6"),
        (["--transpose=-5..6"], "-5..6"),
        (["--transpose", "-3..-1"], "-3..-1"),
        (["--transpose", "2..4"], "2..4"),
    ):
        argv = ["train", "--corpus", "x", *argv, "--preset", "mlp"]
        args = parser.parse_args(joined_ranges(argv))
        assert args.transpose == expected and args.preset == "mlp"
    # `nabi inspect ... | head -1`: the reader closes the pipe; nabi ends quietly
    many = tmp_path / "many.txt"  # 400 kB of JSON: more than a pipe holds
    many.write_text("c4 d4 e4 f4 " * 10_000)
    shell = f"{sys.executable} -m nabi_music.cli inspect {many} --json | head -1"
    done = subprocess.run(
        ["bash", "-c", f"set -o pipefail; {shell}"], capture_output=True, text=True, cwd=ROOT
    )
    assert done.returncode == 0 and done.stdout.strip() == "{" and done.stderr == ""


def test_inspect_prints_the_melody():
    result = nabi("inspect", str(NABIYA_LY))
    assert result.returncode == 0, result.stderr
    assert "title:          나비야" in result.stdout
    assert "time signature: 2/4" in result.stdout
    assert "notes:          54" in result.stdout
    assert " ".join(NABIYA) in result.stdout


def test_inspect_json_every_tune():
    result = nabi("inspect", str(SCORES / "folk_tunes.abc"), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    melodies = read(SCORES / "folk_tunes.abc")
    assert len(data["melodies"]) == len(melodies) >= 2
    for got, melody in zip(data["melodies"], melodies, strict=True):
        assert set(got) == {"title", "key", "time_signature", "tempo", "codes"}
        assert got["codes"] == melody.codes and got["title"] == melody.title


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda d: d / "missing.ly", "missing.ly"),
        (lambda d: d, "directory"),
        (lambda d: _write(d / "song.foo", "g8 e8"), "unknown file extension"),
        (lambda d: _write(d / "empty.txt", ""), "empty.txt"),
        (
            lambda d: _write(d / "bad.txt", "g8 e8\ne4 x8 d4\n"),
            "bad.txt:2:4: invalid note code 'x8'",
        ),
        (lambda d: _write(d / "short.txt", "g8 e8 e4 f8"), "a window of 4 needs at least 5"),
        (lambda d: _write_bytes(d / "noise.mid", bytes(range(256)) * 4), "noise.mid"),
    ],
)
def test_bad_input_one_line_exit_2_nothing_written(tmp_path, make, expected):
    path = make(tmp_path)
    out = tmp_path / "out"
    result = nabi("song", str(path), "--presets", "mlp", "--epochs", "2", "--out", str(out))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("nabi: error: ")
    assert expected in lines[0]
    assert "Traceback" not in result.stderr
    assert not out.exists()


def test_unknown_codes_in_predict_are_named(tmp_path):
    bundle = tmp_path / "tiny.nabi"  # trained in this process: TensorFlow is loaded once
    assert (
        main(["train", str(NABIYA_LY), "--preset", "mlp", "--epochs", "3", "-o", str(bundle)]) == 0
    )
    other = _write(tmp_path / "other.txt", "g8 e8 e4 fis8 d8 d4 c2")
    result = nabi("predict", str(bundle), str(other), "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert "never saw: fis8 c2" in result.stderr
    assert not (tmp_path / "out").exists()


def test_debug_shows_the_traceback(tmp_path):
    result = nabi("--debug", "inspect", str(tmp_path / "missing.ly"))
    assert result.returncode == 2
    assert "Traceback" in result.stderr


@pytest.mark.slow
def test_train_then_predict_without_retraining(tmp_path):
    bundle = tmp_path / "stateful.nabi"
    train = nabi(
        "train", str(NABIYA_LY), "--preset", "stateful-lstm", "--until-perfect", "-o", str(bundle)
    )
    assert train.returncode == 0, train.stderr
    assert bundle.is_file()
    # predicting the same melody written another way (.txt) in a fresh process
    result = nabi(
        "predict", str(bundle), str(SCORES / "nabiya.txt"), "--out", str(tmp_path), "--no-media"
    )  # (engraving and audio: test_pages_report)
    assert result.returncode == 0, result.stderr
    assert "one-step:  0 of 50 wrong — 100%" in result.stdout
    assert "full-song: 0 of 50 wrong — 100%" in result.stdout
    for name in ("one_step.mid", "full_song.mid", "one_step.ly", "full_song.ly"):
        assert (tmp_path / "nabiya" / "stateful-lstm" / name).is_file()


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _write_bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_training_progress_is_plain_lines_in_a_log_and_none_when_quiet(tmp_path, capfd):
    """Standard error redirected (a log, CI, nohup): one plain line at the first and the
    last epoch and every few seconds between; --quiet: none. (In this process: pytest's
    standard error is a file, as a log's is.)"""
    args = ["train", str(NABIYA_LY), "--preset", "mlp", "--epochs", "300"]
    assert main([*args, "-o", str(tmp_path / "a.nabi")]) == 0
    lines = capfd.readouterr().err.splitlines()
    assert lines and lines[-1].startswith("mlp: epoch 300/300, loss "), lines
    line = re.compile(r"mlp: epoch \d+/300, loss [\d.]+, acc \d+%, .* spent, at most .* left")
    assert all(line.fullmatch(x) for x in lines), lines
    assert main([*args, "-o", str(tmp_path / "b.nabi"), "--quiet"]) == 0
    assert capfd.readouterr().err == ""


def test_written_files_are_shown_relative_to_where_the_user_stands(tmp_path, monkeypatch):
    from nabi_music.cli.terminal import shown_path

    monkeypatch.chdir(tmp_path)
    assert shown_path(tmp_path / "out" / "a.mid") == str(Path("out") / "a.mid")
    assert shown_path("out/a.mid") == str(Path("out") / "a.mid")
    elsewhere = tmp_path.parent / "elsewhere.mid"
    assert shown_path(elsewhere) == str(elsewhere)  # outside: as it is
