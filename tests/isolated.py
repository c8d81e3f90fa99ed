"""Run many ``nabi`` commands cheaply, each in its own process under a time and a memory
cap: a hostile input that hangs or eats memory fails its test instead of hanging CI.

One driver process imports nabi_music once, then forks a child per command; the
child caps its address space (``RLIMIT_AS``: what it had at the fork plus
``memory``) and its CPU time (``timeout`` seconds: CPU time, so that a busy machine
does not fail a test; an alarm at six times that guards the wall time), runs
``nabi_music.cli.main.main`` with its output in files, and exits with its status.
The driver reports, for each command, the exit status (negative when killed by a
signal: ``-24`` CPU time, ``-14`` the alarm, ``-9`` the kernel), stdout, stderr and
the seconds it took.
"""

from __future__ import annotations

import builtins
import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from helpers import ROOT

DRIVER = r"""
import json, os, resource, signal, sys, tempfile, time
from nabi_music.cli.main import main as nabi_main
import nabi_music.readers  # the readers and their third-party parsers, loaded before the forks

jobs, timeout, memory = json.loads(sys.stdin.read())
folder = tempfile.mkdtemp()
results = []
for k, argv in enumerate(jobs):
    out, err = os.path.join(folder, f"{k}.out"), os.path.join(folder, f"{k}.err")
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        try:
            with open("/proc/self/statm") as f:
                size = int(f.read().split()[0]) * resource.getpagesize()
            resource.setrlimit(resource.RLIMIT_AS, (size + memory, size + memory))
            fo, fe = os.open(out, os.O_WRONLY | os.O_CREAT), os.open(err, os.O_WRONLY | os.O_CREAT)
            os.dup2(fo, 1)
            os.dup2(fe, 2)
            sys.stdout = open(1, "w", encoding="utf-8", closefd=False)
            sys.stderr = open(2, "w", encoding="utf-8", closefd=False)
            resource.setrlimit(resource.RLIMIT_CPU, (timeout, timeout))  # SIGXCPU kills
            signal.signal(signal.SIGXCPU, signal.SIG_DFL)
            signal.signal(signal.SIGALRM, signal.SIG_DFL)  # the alarm kills: no handler runs
            signal.alarm(6 * timeout)  # a guard in wall time, on a busy machine
            code = nabi_main(argv)
            sys.stdout.flush()
            sys.stderr.flush()
        except BaseException:
            import traceback
            traceback.print_exc()
            sys.stderr.flush()
            code = 99
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    seconds = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    with open(out, encoding="utf-8", errors="replace") as f:
        stdout = f.read(200_000)
    with open(err, encoding="utf-8", errors="replace") as f:
        stderr = f.read(200_000)
    results.append([code, stdout, stderr, seconds])
print(json.dumps(results))
"""


@dataclass(frozen=True)
class Outcome:
    argv: list[str]
    code: int
    stdout: str
    stderr: str
    seconds: float

    def __str__(self) -> str:
        return f"nabi {' '.join(a[-60:] for a in self.argv)} -> {self.code}: {self.stderr[-600:]!r}"


def run_isolated(
    jobs: list[list[str]], *, timeout: int = 10, memory: int = 1_000_000_000
) -> list[Outcome]:
    """Run each ``nabi`` argument list in its own forked process under the caps."""
    done = subprocess.run(
        [sys.executable, "-c", DRIVER],
        input=json.dumps([jobs, timeout, memory]),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60 + len(jobs) * (6 * timeout + 5),
    )
    assert done.returncode == 0, done.stderr[-3000:]
    rows = json.loads(done.stdout.strip().splitlines()[-1])
    return [Outcome(argv, *row) for argv, row in zip(jobs, rows, strict=True)]


_BUILTIN_ERRORS = [
    name
    for name, value in vars(builtins).items()
    if isinstance(value, type) and issubclass(value, BaseException)
]
PYTHON_ERROR = re.compile(r"\b(?:" + "|".join(_BUILTIN_ERRORS) + r")\b")
"""The name of any built-in Python exception (``ZeroDivisionError``, ``KeyError`` ...)."""


def assert_answered(outcome: Outcome, codes: tuple[int, ...] = (0, 2)) -> None:
    """Finished in time with an expected status, and no traceback or Python error name."""
    assert outcome.code in codes, str(outcome)
    assert "Traceback" not in outcome.stderr, str(outcome)
    if outcome.code == 2:
        lines = [line for line in outcome.stderr.splitlines() if line.startswith("nabi: error")]
        assert len(lines) == 1, str(outcome)
        assert not PYTHON_ERROR.search(lines[0]), str(outcome)  # no 'ZeroDivisionError: ...'


def hostile_path(name: str) -> Path:
    return ROOT / "tests" / "data" / "hostile" / name
