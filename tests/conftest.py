"""Shared fixtures: the tutorial's song, and a short `nabi song` run (helpers live in
``helpers.py``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import NABIYA, NABIYA_LY, ROOT

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@pytest.fixture
def nabiya_codes() -> list[str]:
    return list(NABIYA)


@pytest.fixture(scope="session")
def small_song_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """`nabi song` with everything it makes (scores, audio, plots, report page) on a
    short training run of two presets: the song folder and what the command printed."""
    out = tmp_path_factory.mktemp("small_song")
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
