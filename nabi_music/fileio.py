"""Safe file output: atomic writes, file names made from titles, output folders checked first."""

from __future__ import annotations

import os
import secrets
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from nabi_music.errors import InputError, printable

DEFAULT_NAME = "untitled"
MAX_NAME_BYTES = 120
_KEEP = "-_.+"
_TRIM = "._-+ "
# Names Windows reserves whatever the extension; harmless elsewhere but kept out.
_RESERVED = {"con", "prn", "aux", "nul"} | {f"{p}{i}" for p in ("com", "lpt") for i in range(10)}


@contextmanager
def atomic_write(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Write a file all at once or not at all.

    Yields a temporary path in the same folder as ``path`` (with the same
    suffix, so tools that look at the extension still work). The caller writes
    the whole file there; when the ``with`` body ends normally the temporary
    file is renamed to ``path`` (replacing it), and when the body raises it is
    removed and ``path`` is left as it was. Missing parent folders are created.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = _claim_temp_name(target)
    try:
        yield tmp
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _claim_temp_name(target: Path) -> Path:
    """Create an empty, unique file beside ``target`` (honouring the umask)."""
    for _ in range(100):
        tmp = target.with_name(f".{target.stem}.{secrets.token_hex(4)}.tmp{target.suffix}")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        os.close(fd)
        return tmp
    raise FileExistsError(f"could not create a temporary file beside {target}")


def safe_name(text: str) -> str:
    """A file or folder name made from ``text`` that stays inside its folder.

    Letters and digits of any script are kept (``나비야`` stays ``나비야``), as
    are ``- _ . +``; every other character (path separators, white space,
    control characters, punctuation) becomes ``_``, runs of ``_`` collapse,
    and dots, dashes and underscores are trimmed from both ends, so the result
    is never ``.``, ``..``, hidden, absolute or empty (``untitled`` then). It is
    at most 120 bytes of UTF-8.
    """
    text = unicodedata.normalize("NFC", text)
    chars = [ch if ch.isalnum() or ch in _KEEP else "_" for ch in text]
    name = "".join(chars)
    while "__" in name:
        name = name.replace("__", "_")
    name = name.strip(_TRIM)
    encoded = name.encode("utf-8")
    if len(encoded) > MAX_NAME_BYTES:
        name = encoded[:MAX_NAME_BYTES].decode("utf-8", errors="ignore").strip(_TRIM)
    if not name:
        return DEFAULT_NAME
    if name.split(".")[0].lower() in _RESERVED:
        name = "_" + name
    return name


def check_out_dir(out: str | os.PathLike[str], option: str = "--out") -> None:
    """Refuse an output folder that cannot be made or written, before any work is done."""
    path = Path(out)
    shown = printable(out)
    probe = path
    while not probe.exists() and probe.parent != probe:
        probe = probe.parent
    if probe.exists() and not probe.is_dir():
        what = "is a file" if probe == path else f"cannot be made: {printable(probe)} is a file"
        raise InputError(f"{option} {shown}: {what}; expected a folder to write into")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise InputError(
            f"{option} {shown}: cannot write into {printable(probe)} (permission denied)"
        )


def check_out_file(path: str | os.PathLike[str], option: str = "-o") -> None:
    """Refuse a file to write that is a folder, or whose folder does not exist or cannot
    be written into, before any work is done (the file is written once, at the end)."""
    target = Path(path)
    shown = printable(path)
    if target.is_dir():
        raise InputError(f"{option} {shown}: is a folder; expected a file name")
    folder = target.parent
    if not folder.is_dir():
        raise InputError(f"{option} {shown}: no such folder {printable(folder)}")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(
            f"{option} {shown}: cannot write into {printable(folder)} (permission denied)"
        )
