"""Shared fixtures: the tutorial's song, and a short `nabi song` run (helpers live in
``helpers.py``)."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import NABIYA, NABIYA_LY, ROOT

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


LAST = ("test_pages_browser.py",)
"""Files handed to the workers last: they reuse what a file before them made on the
other worker (the small song run), instead of waiting for it."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.path.name in LAST)  # stable: the rest in order


@pytest.fixture
def nabiya_codes() -> list[str]:
    return list(NABIYA)


@pytest.fixture(scope="session")
def small_song_run(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> tuple[Path, str]:
    """`nabi song` with everything it makes (scores, audio, plots, report page) on a
    short training run of two presets: the song folder and what the command printed.
    Made once per test session: under pytest-xdist the first worker to ask makes it in
    the session's shared folder, and the other waits for it and reads it."""
    if worker_id == "master":  # no workers: this session's own folder
        return _small_song(tmp_path_factory.mktemp("small_song"))
    shared = tmp_path_factory.getbasetemp().parent  # this session's, every worker's
    printed = shared / "small_song.stdout"
    with open(shared / "small_song.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not printed.exists():
            _, stdout = _small_song(shared / "small_song")
            printed.write_text(stdout, encoding="utf-8")
    return shared / "small_song" / "nabiya", printed.read_text(encoding="utf-8")


def _small_song(out: Path) -> tuple[Path, str]:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "nabi_music.cli",
            "song",
            str(NABIYA_LY),
            "--presets",
            "mlp,stateful-lstm",
            "--epochs",
            "150",
            "--instrument",
            "violin",
            "--svg",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    return out / "nabiya", result.stdout
