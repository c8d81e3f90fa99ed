"""What ``nabi`` does with hostile text and options, and when it is stopped.

- Text from a file (titles, part names) reaches the terminal with its control
  characters escaped, in tables, JSON and warnings alike.
- Every bad option is one line and exit 2 before any work: out of its range (the
  limit named), or an output path that cannot be written; no output folder is made.
- A usage error is one short line, even for a 1 MB argument.
- SIGTERM ends with the one line ``nabi: terminated`` and exit 143, wherever it lands,
  and leaves no half-written bundle; a failed write leaves nothing behind.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import mido
import pytest
from helpers import NABIYA_LY, ROOT, SCORES

from nabi_music.errors import UNSAFE
from nabi_music.readers import read
from nabi_music.writers import write

EVIL = "\x1b]0;pwned\x07\x1b[2J\x9b31m"
"""Sets the terminal's title, clears the screen, turns the text red (C1 CSI)."""


def nabi(*args: str, limit: int = 4 * 1024**3, **options) -> subprocess.CompletedProcess:
    """``nabi`` in a fresh process (raw bytes out), with a memory limit and a timeout guard."""

    def rlimits() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return subprocess.run(
        [sys.executable, "-m", "nabi_music.cli", *args],
        capture_output=True,
        cwd=ROOT,
        timeout=300,
        preexec_fn=rlimits,
        **options,
    )


def text(data: bytes) -> str:
    return data.decode("utf-8", errors="surrogateescape")


def assert_printable(result: subprocess.CompletedProcess) -> None:
    """No byte a terminal acts on: no C0 control but the line break, no DEL, no C1, no
    bidi override (checked on the decoded text: C1 and bidi are multi-byte in UTF-8)."""
    for stream in (result.stdout, result.stderr):
        assert b"\x1b" not in stream and b"\x07" not in stream
        for line in text(stream).split("\n"):
            assert not UNSAFE.search(line), line


def one_error(result: subprocess.CompletedProcess, code: int = 2) -> str:
    assert result.returncode == code, (result.returncode, result.stderr)
    lines = text(result.stderr).strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("nabi: error: "), result.stderr
    assert len(lines[0]) < 500
    return lines[0]


# --- text from files ----------------------------------------------------------------


@pytest.fixture(scope="module")
def evil_midi(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two tracks named with terminal escapes: reading warns that part 2 was dropped,
    naming part 1."""
    path = tmp_path_factory.mktemp("evil") / "evil.mid"
    mid = mido.MidiFile(type=1)
    for k in (1, 2):
        track = mido.MidiTrack()
        track.append(mido.MetaMessage("track_name", name=f"{EVIL}voice{k}"))
        for pitch in (67, 64, 64, 65, 62):
            track.append(mido.Message("note_on", note=pitch, velocity=64, time=0))
            track.append(mido.Message("note_off", note=pitch, velocity=0, time=240))
        mid.tracks.append(track)
    mid.save(path)
    return path


@pytest.fixture(scope="module")
def evil_ly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("evil") / "evil.ly"
    title = f"{EVIL}\u202e나비야\u2066"
    path.write_text(
        f"\\header {{ title = \"{title}\" }}\n{{ g'8 e'8 e'4 f'8 d'8 d'4 }}\n",
        encoding="utf-8",
    )
    return path


def test_a_midi_track_name_in_a_warning_is_escaped(evil_midi):
    result = nabi("inspect", str(evil_midi))
    assert result.returncode == 0, result.stderr
    assert_printable(result)
    warning = text(result.stderr)
    assert "dropped part 2" in warning
    assert "\\x1b]0;pwned\\x07\\x1b[2J\\x9b31mvoice1" in warning


def test_a_title_in_the_table_json_and_summary_is_escaped(evil_ly):
    table = nabi("inspect", str(evil_ly))
    assert table.returncode == 0, table.stderr
    assert_printable(table)
    assert "title:          \\x1b]0;pwned\\x07\\x1b[2J\\x9b31m\\u202e나비야\\u2066" in text(
        table.stdout
    )
    as_json = nabi("inspect", "--json", str(evil_ly))
    assert as_json.returncode == 0
    assert_printable(as_json)
    title = json.loads(as_json.stdout)["melodies"][0]["title"]
    assert title == f"{EVIL}\u202e나비야\u2066"  # escaped on the terminal, the same in JSON
    summary = nabi("inspect", "--summary", str(evil_ly))
    assert summary.returncode == 0
    assert_printable(summary)


def test_written_files_keep_the_text_as_it_was(evil_ly, tmp_path):
    """Escaping is for the terminal only: the recipe of a .ly nabi writes holds the title
    as it was read."""
    melody = read(evil_ly)[0]
    written = write(melody, tmp_path / "again.ly").read_text(encoding="utf-8")
    recipe = next(line for line in written.splitlines() if "nabi_music recipe:" in line)
    assert json.loads(recipe.split("recipe:", 1)[1])["title"] == f"{EVIL}\u202e나비야\u2066"


# --- options ------------------------------------------------------------------------


G = ["generate", "B"]
T = ["train", "S", "--preset", "lstm"]
C = ["train", "--corpus", "C", "--preset", "corpus-lstm"]
BAD_OPTIONS = [
    ([*G, "--count", "1000000000"], "--count 1000000000: expected a whole number from 1 to 1,000"),
    ([*G, "--count", "0"], "--count 0"),
    ([*G, "--count", "1000", "--length", "100000"], "over the limit of 1,000,000 notes"),
    ([*G, "--length", "0"], "--length 0"),
    ([*G, "--length", "100001"], "--limit notes=N"),
    ([*G, "--bars", "-1"], "--bars -1"),
    ([*G, "--temperature", "nan"], "--temperature nan"),
    ([*G, "--temperature", "inf"], "--temperature inf"),
    ([*G, "--top-k", "0"], "--top-k 0"),
    ([*G, "--seed", "-5"], "--seed -5"),
    ([*T, "--epochs", "0"], "--epochs 0"),
    ([*T, "--epochs", "1000000000"], "from 1 to 100,000"),
    ([*T, "--seed", "-1"], "--seed -1"),
    ([*T, "--window", "1000000"], "from 1 to 256"),
    ([*C, "--folds", "1"], "--folds 1"),
    ([*C, "--ngram-order", "1000000000"], "from 1 to 20"),
    ([*C, "--split", "nan/1/1"], "--split nan/1/1"),
    (["song", "S", "--epochs", "-1"], "--epochs -1"),
    (["song", "S", "--window", "0"], "--window 0"),
    (["render", "F.ly", "--timeout", "0"], "--timeout 0.0: expected a number above 0"),
    (["render", "F.ly", "--timeout", "nan"], "--timeout nan"),
    (["evaluate", "B", "--ngram-order", "0"], "--ngram-order 0"),
]


@pytest.mark.parametrize(
    ("args", "expected"), BAD_OPTIONS, ids=[" ".join(a) for a, _ in BAD_OPTIONS]
)
def test_an_option_out_of_range_is_refused_before_any_work(tmp_path, args, expected):
    """The files the options would work on do not exist: the option is refused first."""
    out = tmp_path / "out"
    extra = [] if args[0] in ("train", "evaluate") else ["--out", str(out)]
    line = one_error(nabi(*args, *extra))
    assert expected in line
    assert not out.exists()


def test_output_paths_that_cannot_be_written_are_refused_first(tmp_path):
    a_file = tmp_path / "a_file"
    a_file.write_text("mine\n")
    train = ["train", str(NABIYA_LY), "--preset", "mlp", "-o"]
    cases = [
        (["song", str(NABIYA_LY), "--out", str(a_file)], "is a file; expected a folder"),
        (["song", str(NABIYA_LY), "--out", str(a_file / "sub")], f"{a_file} is a file"),
        (["predict", "B", str(NABIYA_LY), "--out", str(a_file)], "is a file"),
        (["generate", "B", "--out", str(a_file / "x")], "cannot be made"),
        (["render", "F.ly", "--out", str(a_file)], "is a file"),
        ([*train, str(tmp_path)], "is a folder"),
        ([*train, str(a_file / "m.nabi")], "no such folder"),
        ([*train, str(tmp_path / "no" / "m.nabi")], "no such folder"),
        (["evaluate", "B", "--json", str(tmp_path)], "--json"),
    ]
    for args, expected in cases:
        assert expected in one_error(nabi(*args)), args
    assert a_file.read_text() == "mine\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder_is_refused_first(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    line = one_error(nabi("train", str(NABIYA_LY), "--preset", "mlp", "-o", str(locked / "m.nabi")))
    assert "permission denied" in line
    assert not any(locked.iterdir())


def test_usage_errors_are_one_short_line_even_for_a_1_mb_argument(tmp_path):
    """argparse's own errors (an int that is not one, an extra argument), the options'
    and the readers' (a path that does not exist) echo the argument: cut, on one line."""
    code = (
        "import sys\n"
        "from nabi_music.cli.main import main\n"
        "sys.exit(main(sys.argv[1].split('|') + [sys.argv[2] + sys.argv[3] * 1_000_000]))\n"
    )
    # a 1 MB argument cannot go through exec (at most 128 KB each): main() takes it
    for args, prefix, repeated in (
        ("generate|B|--count", "", "9"),
        ("inspect|a.txt", "", "b"),
        ("inspect", f"{tmp_path}/", "x"),
        ("train|--corpus|C|--preset|corpus-lstm|--split", "", "1/"),
        ("generate|B|--key", "", "x"),
    ):
        result = subprocess.run(
            [sys.executable, "-c", code, args, prefix, repeated],
            capture_output=True,
            cwd=ROOT,
            timeout=300,
        )
        line = one_error(result, code=result.returncode if result.returncode in (1, 2) else 2)
        assert "…" in line, line


# --- SIGTERM and failed writes ------------------------------------------------------


def started_tensorflow(pid: int) -> bool:
    """The command runs: it has begun to load TensorFlow (only commands load it)."""
    try:
        return "tensorflow" in Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return False


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="needs /proc")
def test_sigterm_during_training_ends_with_one_line_and_no_bundle(tmp_path):
    out = tmp_path / "models"
    out.mkdir()
    for after in (0.0, 6.0):  # while TensorFlow starts, and while the model trains
        proc = subprocess.Popen(
            [sys.executable, "-m", "nabi_music.cli", "train", str(NABIYA_LY), "--preset",
             "stateful-lstm", "--epochs", "20000", "-o", str(out / "m.nabi"), "--quiet"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=ROOT,
        )  # fmt: skip
        for _ in range(1200):
            if started_tensorflow(proc.pid) or proc.poll() is not None:
                break
            time.sleep(0.05)
        time.sleep(after)
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=120)
        assert proc.returncode == 143, stderr
        assert stderr == b"nabi: terminated\n"
        assert list(out.iterdir()) == []  # no bundle, no temporary file


SIGNAL_LANDS = {
    # a generator is finalised while it runs a finally: Python only reports "ignored"
    "in a finaliser": (
        "def work(args):\n"
        "    def gen():\n"
        "        try:\n"
        "            yield 1\n"
        "        finally:\n"
        "            os.kill(os.getpid(), signal.SIGTERM)\n"
        "            time.sleep(0.2)\n"
        "    g = gen(); next(g); del g\n"
        "    time.sleep(5)\n"
        "    print('not stopped')\n"
        "    return 0\n"
    ),
    # while a library handles its own exception
    "in an except": (
        "def work(args):\n"
        "    try:\n"
        "        raise ValueError('inner')\n"
        "    except ValueError:\n"
        "        os.kill(os.getpid(), signal.SIGTERM)\n"
        "        time.sleep(5)\n"
        "    return 0\n"
    ),
    # while nabi prints the error of the command
    "while an error is printed": (
        "from nabi_music.errors import InputError\n"
        "import nabi_music.cli\n"
        "m = sys.modules['nabi_music.cli.main']\n"
        "real_err = m.err\n"
        "def slow_err(message):\n"
        "    if message.startswith('error'):\n"
        "        os.kill(os.getpid(), signal.SIGTERM)\n"
        "        time.sleep(0.5)\n"
        "    real_err(message)\n"
        "m.err = slow_err\n"
        "def work(args):\n"
        "    raise InputError('bad input')\n"
    ),
    # after the command returned
    "after the command": (
        "import nabi_music.cli\n"
        "m = sys.modules['nabi_music.cli.main']\n"
        "real_run = m._run\n"
        "def late(*a):\n"
        "    code = real_run(*a)\n"
        "    os.kill(os.getpid(), signal.SIGTERM)\n"
        "    time.sleep(0.5)\n"
        "    return code\n"
        "m._run = late\n"
        "def work(args):\n"
        "    return 0\n"
    ),
}


@pytest.mark.parametrize("case", SIGNAL_LANDS)
def test_sigterm_anywhere_ends_with_one_line(case):
    """The command ``nabi inspect`` made to run code where the signal lands badly."""
    code = (
        "import os, signal, sys, time\n"
        "import nabi_music.cli.scores as scores\n"
        + SIGNAL_LANDS[case]
        + "scores.cmd_inspect = work\n"
        "from nabi_music.cli.main import main\n"
        "sys.exit(main(['inspect', 'x.txt']))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, cwd=ROOT, timeout=120
    )
    assert result.returncode == 143, result.stderr
    assert result.stderr.endswith(b"nabi: terminated\n"), result.stderr
    assert b"Traceback" not in result.stderr and b"Terminated" not in result.stderr
    assert b"not stopped" not in result.stdout
    assert len(result.stderr.splitlines()) <= 2  # the error being printed, if any


def test_a_failed_write_leaves_nothing_behind(tmp_path):
    """A full disk, as a file size limit: the bundle cannot be written, and neither it
    nor its temporary file is left in the folder."""

    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (50_000, 50_000))

    out = tmp_path / "models"
    out.mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "nabi_music.cli", "train", str(SCORES / "nabiya.txt"),
         "--preset", "mlp", "--epochs", "1", "-o", str(out / "m.nabi"), "--quiet"],
        capture_output=True, cwd=ROOT, timeout=300, preexec_fn=small_files,
    )  # fmt: skip
    line = one_error(result, code=1)
    assert "File too large" in line
    assert list(out.iterdir()) == []
