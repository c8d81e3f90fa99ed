"""Atomic writes and file names made from titles."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nabi_music.fileio import atomic_write, safe_name


def test_atomic_write_renames_into_place_and_leaves_nothing_else(tmp_path: Path) -> None:
    target = tmp_path / "song.ly"
    with atomic_write(target) as tmp:
        assert tmp.parent == tmp_path
        assert tmp.suffix == ".ly"
        assert tmp != target
        assert not target.exists()
        tmp.write_text("new", encoding="utf-8")
    assert target.read_text(encoding="utf-8") == "new"
    assert os.listdir(tmp_path) == ["song.ly"]


def test_atomic_write_replaces_an_existing_file(tmp_path: Path) -> None:
    target = tmp_path / "song.mid"
    target.write_bytes(b"old")
    with atomic_write(target) as tmp:
        tmp.write_bytes(b"new")
    assert target.read_bytes() == b"new"
    assert os.listdir(tmp_path) == ["song.mid"]


def test_atomic_write_leaves_no_file_when_the_body_raises(tmp_path: Path) -> None:
    target = tmp_path / "song.ly"
    with pytest.raises(RuntimeError, match="half way"), atomic_write(target) as tmp:
        tmp.write_text("half a file", encoding="utf-8")
        raise RuntimeError("half way")
    assert not target.exists()
    assert os.listdir(tmp_path) == []


def test_atomic_write_keeps_the_old_file_when_the_body_raises(tmp_path: Path) -> None:
    target = tmp_path / "song.ly"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(ValueError), atomic_write(target) as tmp:
        tmp.write_text("broken", encoding="utf-8")
        raise ValueError
    assert target.read_text(encoding="utf-8") == "old"
    assert os.listdir(tmp_path) == ["song.ly"]


def test_atomic_write_creates_missing_folders(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "x.txt"
    with atomic_write(target) as tmp:
        tmp.write_text("x", encoding="utf-8")
    assert target.read_text(encoding="utf-8") == "x"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("../../x", "x"),
        ("/etc/passwd", "etc_passwd"),
        ("", "untitled"),
        ("나비야", "나비야"),
        ("a/b", "a_b"),
        ("..", "untitled"),
        (".", "untitled"),
        ("a\\b", "a_b"),
        ("C:\\Windows", "C_Windows"),
        ("line\nbreak\x00nul", "line_break_nul"),
        ("나비야 — stateful-lstm (one step)", "나비야_stateful-lstm_one_step"),
        (".hidden", "hidden"),
        ("con", "_con"),
    ],
)
def test_safe_name_examples(text: str, expected: str) -> None:
    assert safe_name(text) == expected


def _assert_harmless(name: str, folder: Path) -> None:
    assert name
    assert name not in {".", ".."}
    assert not name.startswith(".")
    assert "/" not in name and "\\" not in name
    assert all(ch.isprintable() and not ch.isspace() for ch in name)
    assert len(name.encode("utf-8")) <= 120
    assert (folder / name).resolve().parent == folder.resolve()


@pytest.mark.parametrize("text", ["../../x", "/etc/passwd", "", "나비야", "a/b", "../" * 100])
def test_safe_name_stays_one_component_in_its_folder(text: str, tmp_path: Path) -> None:
    _assert_harmless(safe_name(text), tmp_path)


@given(st.text())
def test_safe_name_is_always_harmless(text: str) -> None:
    _assert_harmless(safe_name(text), Path("/srv/outputs"))


def test_safe_name_keeps_long_korean_titles_whole_characters() -> None:
    name = safe_name("나비야" * 100)
    assert set(name) == set("나비야")
    assert len(name.encode("utf-8")) <= 120
