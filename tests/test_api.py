"""The public API at the top of the package, and the README's example of it."""

from __future__ import annotations

import os
import re

import pytest
from helpers import ROOT

import nabi_music


def test_the_api_is_listed_and_documented():
    for name in ("read", "write", "train", "predict", "compose", "load_bundle", "save_bundle"):
        assert name in nabi_music.__all__
        function = getattr(nabi_music, name)
        assert callable(function) and function.__doc__, name


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        nabi_music.nothing  # noqa: B018


def test_the_readme_example_runs(tmp_path, capsys):
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Python API", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S)[1]
    (tmp_path / "scores").symlink_to(ROOT / "scores")
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        exec(compile(code, "README.md (Python API)", "exec"), {})
    finally:
        os.chdir(cwd)
    printed = capsys.readouterr().out
    assert printed.startswith("나비야 54 notes: g8 e8 e4 f8 d8 d4 c8 d8")
    assert "full song:" in printed
    for name in ("full_song.ly", "nabiya.nabi", "new_1.mid", "new_2.mid"):
        assert (tmp_path / name).is_file(), name
    assert nabi_music.read(tmp_path / "new_1.mid")[0].notes


def test_what_python_shows_is_short(tmp_path):
    """``dir()`` lists the API; a melody and a bundle show as one line, not their notes
    and per-epoch history; the statistics take codes in any form a user has them."""
    from nabi_music.evaluation.stats import melody_stats

    assert set(nabi_music.__all__) - {"__version__"} <= set(dir(nabi_music))
    melody = nabi_music.read(ROOT / "scores" / "nabiya.ly")[0]
    assert repr(melody) == "<Melody '나비야': 54 notes, C major, 2/4: g8 e8 e4 f8 d8 d4 c8 d8 …>"
    assert melody_stats("g8 e8 e4") == melody_stats(["g8", "e8", "e4"])
    # a Melody brings its metre (and upbeat) for the rhythm figures
    metred = melody_stats(melody.codes, time_signature="2/4", pickup=melody.pickup)
    assert melody_stats(melody) == metred and metred["rhythm"] is not None
    bundle = nabi_music.train(melody, "mlp", epochs=3)
    again = nabi_music.load_bundle(nabi_music.save_bundle(bundle, tmp_path / "m.nabi"))
    for b in (bundle, again):
        shown = repr(b)
        assert "\n" not in shown and len(shown) < 200, shown
        assert shown.startswith("<Bundle mlp: 9 codes, seed 1, 3 epochs, kept "), shown
