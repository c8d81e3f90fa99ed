"""Fonts that cover Hangul, for titles such as 나비야 in scores and plots.

LilyPond's bundled fonts have no Hangul. nabi_music brings NanumGothic (SIL
Open Font License 1.1), which the ``koreanize-matplotlib`` package (MIT) ships
as plain ``.ttf`` files. The package itself is never imported: importing it
rewrites matplotlib's global settings. Only its font files are located.
"""

from __future__ import annotations

import importlib.util
import struct
from pathlib import Path

HANGUL_FAMILY = "NanumGothic"
"""The fontconfig family name of the bundled Hangul font."""

_PACKAGE = "koreanize_matplotlib"
_FILES = ("NanumGothic.ttf", "NanumGothicBold.ttf")


def hangul_font_files() -> tuple[Path, ...]:
    """The regular and bold NanumGothic ``.ttf`` files, or ``()`` when not installed."""
    try:
        spec = importlib.util.find_spec(_PACKAGE)
    except (ImportError, ValueError):
        return ()
    if spec is None or not spec.submodule_search_locations:
        return ()
    for location in spec.submodule_search_locations:
        fonts = Path(location) / "fonts"
        files = tuple(fonts / name for name in _FILES if (fonts / name).is_file())
        if files:
            return files
    return ()


def has_hangul(text: str) -> bool:
    """True if ``text`` holds a Hangul syllable or jamo."""
    return any(
        "\uac00" <= ch <= "\ud7a3" or "\u1100" <= ch <= "\u11ff" or "\u3130" <= ch <= "\u318f"
        for ch in text
    )


def web_font(path: Path) -> bytes:
    """The TrueType font at ``path`` as browsers accept it.

    NanumGothic carries VTT hinting sources (``TSI*`` tables, one of them
    empty) that browsers' font sanitiser rejects ("zero-length table"); they
    are not used to draw text, so they are dropped and the rest is kept as is.
    """
    data = path.read_bytes()
    version, count = struct.unpack(">IH", data[:6])
    records = [struct.unpack(">4sIII", data[12 + 16 * i : 28 + 16 * i]) for i in range(count)]
    keep = sorted(
        (r for r in records if r[3] > 0 and not r[0].startswith(b"TSI")), key=lambda r: r[0]
    )
    n = len(keep)
    selector = n.bit_length() - 1
    search = (1 << selector) * 16
    header = struct.pack(">IHHHH", version, n, search, selector, n * 16 - search)
    offset = 12 + 16 * n
    entries, tables = [], []
    for tag, checksum, start, length in keep:
        table = data[start : start + length]
        entries.append(struct.pack(">4sIII", tag, checksum, offset, length))
        table += b"\0" * (-len(table) % 4)
        tables.append(table)
        offset += len(table)
    return header + b"".join(entries) + b"".join(tables)
