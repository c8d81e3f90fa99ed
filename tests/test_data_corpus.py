"""Corpus gathering, song splits and folds, chunks that never cross songs,
transposition with sensible spelling, and key normalisation."""

import shutil

import numpy as np
import pytest
from helpers import ROOT

from nabi_music.data.corpus import folds, gather, pitch_only, read_corpus, split_songs
from nabi_music.data.transpose import (
    find_key,
    normalize_key,
    transpose,
    transpositions,
)
from nabi_music.errors import InputError, NabiWarning
from nabi_music.music.keys import parse_key
from nabi_music.music.notes import Melody
from nabi_music.music.ranges import parse_transposition_range
from nabi_music.training.fit import song_chunks

KINDER_20 = ROOT / "tests" / "data" / "kinder_20.abc"


@pytest.fixture(scope="module")
def kinder():
    return read_corpus([str(KINDER_20)])


def test_gather_files_folders_globs_and_corpus_paths(tmp_path):
    shutil.copy(KINDER_20, tmp_path / "a.abc")
    (tmp_path / "sub").mkdir()
    shutil.copy(ROOT / "scores" / "nabiya.txt", tmp_path / "sub" / "b.txt")
    (tmp_path / "notes.md").write_text("not a score")
    folder = gather([str(tmp_path)])
    assert folder == [str(tmp_path / "a.abc"), str(tmp_path / "sub" / "b.txt")]
    assert gather([str(tmp_path / "**" / "*.txt")]) == [str(tmp_path / "sub" / "b.txt")]
    assert gather([str(tmp_path / "a.abc"), str(tmp_path)]) == folder  # each once
    assert gather(["corpus:essenFolksong/kinder0.abc"]) == ["corpus:essenFolksong/kinder0.abc"]
    with pytest.raises(InputError, match="no such file or folder"):
        gather([str(tmp_path / "missing.abc")])
    with pytest.raises(InputError, match="holds no score"):
        gather([str(tmp_path / "*.wav")])
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="holds no score"):
        gather([str(tmp_path / "empty")])


def test_one_melody_read_from_two_files_is_one_song(tmp_path):
    """scores/ holds 나비야 as .ly and as .txt: one song, with a warning naming both, so
    that it can no longer be a training song and a test song of the same split."""
    shutil.copy(ROOT / "scores" / "nabiya.ly", tmp_path / "nabiya.ly")
    shutil.copy(ROOT / "scores" / "nabiya.txt", tmp_path / "nabiya.txt")
    shutil.copy(KINDER_20, tmp_path / "kinder.abc")
    with pytest.warns(NabiWarning) as caught:
        songs = read_corpus([str(tmp_path)])
    messages = [str(w.message) for w in caught if "the same melody" in str(w.message)]
    assert len(messages) == 1 and "nabiya.txt" in messages[0] and "nabiya.ly" in messages[0]
    assert len(songs) == 21  # 20 tunes and 나비야 once
    codes = [tuple(m.codes) for m in songs]
    assert len(set(codes)) == len(codes)
    for seed in range(1, 30):  # no split puts one melody on two sides
        split = split_songs(len(songs), seed, validation=0.2, test=0.2)
        train = {codes[i] for i in split.train}
        assert not train & {codes[i] for i in (*split.validation, *split.test)}


def test_a_corpus_file_gives_every_tune(kinder):
    assert len(kinder) == 20
    assert sum(len(m.notes) for m in kinder) == 793
    assert kinder[0].codes[:4] == ["a4", "g8", "g8", "f4"]


def test_split_by_song_is_disjoint_seeded_and_80_10_10():
    split = split_songs(20, seed=3)
    assert (len(split.train), len(split.validation), len(split.test)) == (16, 2, 2)
    assert sorted(split.train + split.validation + split.test) == list(range(20))
    assert split_songs(20, seed=3) == split
    assert split_songs(20, seed=4) != split
    with pytest.raises(InputError, match="too few"):
        split_songs(2, seed=1)


def test_folds_test_every_song_exactly_once():
    parts = folds(213, 10, seed=1)
    assert len(parts) == 10
    tested = sorted(s for f in parts for s in f.test)
    assert tested == list(range(213))
    for f in parts:
        assert not set(f.train) & set(f.test) and not set(f.validation) & set(f.test)
        assert not set(f.train) & set(f.validation)
        assert len(f.train) + len(f.validation) + len(f.test) == 213
        assert len(f.validation) == 21
    assert folds(213, 10, seed=1) == parts
    with pytest.raises(InputError, match="too few"):
        folds(5, 10, seed=1)


def test_chunks_never_cross_songs_and_score_every_note_once():
    window, start = 8, 1000
    songs = [np.arange(0, 3), np.arange(100, 120), np.arange(200, 221)]
    chunks = song_chunks(songs, window, start)
    assert chunks.notes == 3 + 20 + 21
    counted = chunks.targets[chunks.weights > 0]
    assert sorted(counted.tolist()) == sorted(np.concatenate(songs).tolist())
    for x, y, w in zip(chunks.inputs, chunks.targets, chunks.weights, strict=True):
        real = np.concatenate([x[x != start], y[w > 0]])
        assert len({int(v) // 100 for v in real}) == 1  # one song only
        # the input is the target sequence shifted by one: each target follows its input
        assert np.array_equal(x[1:][w[:-1] > 0], y[:-1][w[:-1] > 0])


def test_transposition_is_spelled_in_the_plainest_key():
    g = Melody.from_codes("g8 b8 d'4 fis'8 g'4", key="G major")
    assert transpose(g, 1).codes == ["aes8", "c'8", "ees'4", "g'8", "aes'4"]
    assert transpose(g, 1).key == "Ab major"
    assert transpose(g, -3).codes == ["e8", "gis8", "b4", "dis'8", "e'4"]
    assert transpose(g, 4).key == "B major"
    e = Melody.from_codes("e4 g4 b4 dis'4 e'4", key="e minor")
    assert transpose(e, 3).key == "g minor"
    assert transpose(e, 3).codes == ["g4", "bes4", "d'4", "fis'4", "g'4"]
    for k in range(-6, 7):
        moved = transpose(g, k)
        assert [n.pitch.midi - k for n in moved.notes] == [n.pitch.midi for n in g.notes]
        assert abs(sum(c.count("is") + c.count("es") for c in moved.codes)) <= 5


def test_transpositions_keep_the_original_and_skip_out_of_range():
    high = Melody.from_codes("g''''4 a''''4", key="C major")
    shifted = transpositions([high], -2, 6)
    assert shifted[0] == high
    assert max(n.pitch.midi for m in shifted for n in m.notes) <= 127
    assert len(shifted) == 5  # a'''' (A8) + 3 semitones is C9, beyond note codes
    assert parse_transposition_range("-5..6") == (-5, 6)
    assert parse_transposition_range("3") == (-3, 3)
    with pytest.raises(InputError, match=r"LOW\.\.HIGH"):
        parse_transposition_range("up")


def test_key_normalisation_uses_the_written_key_or_finds_one(kinder):
    for melody in kinder:
        moved, shift = normalize_key(melody)
        assert moved.key in ("C major", "a minor")
        assert -5 <= shift <= 6
        assert moved.notes[0].duration == melody.notes[0].duration
    assert parse_key("Bb major").tonic_pitch.name == "Bb4"
    scale = Melody.from_codes("d4 e4 fis4 g4 a4 b4 cis'4 d'2 a4 fis4 d2")
    tonic, mode = find_key(scale)
    assert (tonic.name, mode) == ("D4", "major")
    minor = Melody.from_codes("a4 b4 c'4 d'4 e'4 c'4 a4 gis4 a2 e4 a2")
    assert find_key(minor)[1] == "minor" and find_key(minor)[0].step == "a"
    assert normalize_key(scale)[0].codes[0] == "c4"


def test_pitch_only_keeps_the_sounding_pitches(kinder):
    m = pitch_only(kinder[0])
    assert len(m.notes) == sum(1 for n in kinder[0].notes if n.pitch)
    assert all(c.endswith("4") for c in m.codes)
    assert [n.pitch.midi for n in m.notes] == [n.pitch.midi for n in kinder[0].notes if n.pitch]


def test_chunks_pad_to_full_batches_with_weightless_rows():
    chunks = song_chunks([np.arange(0, 30), np.arange(100, 105)], 8, 1000)
    padded = chunks.padded(16)
    assert len(padded) % 16 == 0 and len(padded) >= len(chunks)
    assert padded.notes == chunks.notes == 35
    assert np.array_equal(padded.inputs[: len(chunks)], chunks.inputs)
    assert chunks.padded(len(chunks)) is chunks
