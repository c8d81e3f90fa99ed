"""`make song` end to end: the four presets trained on the real song, every file
written, every .ly engraved by the real LilyPond binary."""

from __future__ import annotations

import json
import subprocess
import sys

import pretty_midi
import pytest
from helpers import NABIYA, NABIYA_LY, ROOT

from nabi_music.media.render import render_files
from nabi_music.readers import read

PRESETS = ("mlp", "lstm", "stateful-lstm", "stateful-lstm-2f")


@pytest.fixture(scope="module")
def song_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("outputs")
    result = subprocess.run(
        [sys.executable, "-m", "nabi_music.cli", "song", str(NABIYA_LY), "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr
    return out / "nabiya", result.stdout


@pytest.mark.slow
def test_results_match_the_tutorial(song_run):
    folder, stdout = song_run
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    assert summary["song"] == "nabiya"
    assert list(summary["presets"]) == list(PRESETS)
    for name, figures in summary["presets"].items():
        assert set(figures) == {
            "one_step_accuracy",
            "full_song_accuracy",
            "train_seconds",
            "epochs",
            "kept_epoch",
            "keep",
            "last_epoch",
        }
        assert figures["epochs"] == 2000, name
        assert figures["train_seconds"] > 0
        assert figures["keep"] == "best"
        assert 1 <= figures["kept_epoch"] <= 2000
        last = figures["last_epoch"]
        assert last["epoch"] == 2000
        # the kept epoch is the best: never below the last epoch on one step
        assert figures["one_step_accuracy"] >= last["one_step_accuracy"], name
    presets = summary["presets"]
    for name in ("stateful-lstm", "stateful-lstm-2f"):
        assert presets[name]["one_step_accuracy"] == 1.0
        assert presets[name]["full_song_accuracy"] == 1.0
    for name in ("mlp", "lstm"):
        assert presets[name]["one_step_accuracy"] >= 0.88
        assert presets[name]["full_song_accuracy"] < 1.0  # they fail the whole song
    # the printed table holds the same figures, and the paths written
    for name in PRESETS:
        row = next(line for line in stdout.splitlines() if line.startswith(name + " "))
        assert f"{presets[name]['one_step_accuracy']:.0%}" in row
        assert f"{presets[name]['kept_epoch']} of 2000" in row
    assert str(folder / "summary.json") in stdout


@pytest.mark.slow
def test_every_file_is_written_and_reads_back(song_run):
    folder, _ = song_run
    for name in PRESETS:
        for mode in ("one_step", "full_song"):
            midi = pretty_midi.PrettyMIDI(str(folder / name / f"{mode}.mid"))
            assert len(midi.instruments[0].notes) == 54
            assert midi.get_tempo_changes()[1][0] == pytest.approx(100)
            ly = (folder / name / f"{mode}.ly").read_text(encoding="utf-8")
            assert name in ly and "wrong" in ly
        assert (folder / name / "model.nabi").is_file()
    # a perfect prediction reads back as the song itself
    full = read(folder / "stateful-lstm" / "full_song.mid")[0]
    assert full.codes == NABIYA
    mlp = (folder / "mlp" / "full_song.ly").read_text(encoding="utf-8")
    assert "\\nabiWrong" in mlp


@pytest.mark.slow
def test_every_ly_compiles_with_lilypond_without_a_warning(song_run, tmp_path):
    """Every score as written (not from its recipe), in one batch: no LilyPond warning,
    failed bar checks included."""
    folder, _ = song_run
    files = sorted(folder.rglob("*.ly"))
    assert len(files) == 2 * len(PRESETS) + 1
    outs = [tmp_path / str(k) for k in range(len(files))]
    rendered = render_files(files, ("pdf",), out_dirs=outs, trusted=True)
    assert [w for r in rendered for w in r.warnings] == []
    assert all(r.get("pdf").read_bytes().startswith(b"%PDF") for r in rendered)


@pytest.mark.slow
def test_the_song_folder_stays_small(song_run):
    """Everything `make song` writes, audio (MP3) and the page's font included, is under
    10 MB: 6.4 MB with MP3 and the font cut to the page's letters (40 MB with WAV)."""
    folder, _ = song_run
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    assert size < 10_000_000, size
    assert not list(folder.rglob("*.wav"))
