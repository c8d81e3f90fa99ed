"""The frame every report page shares: the page head and house style (no script,
nothing from the network, every text HTML-escaped), score figures with their audio
and files, the facts table, relative links and the Hangul web font."""

from __future__ import annotations

import html
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from nabi_music.fileio import atomic_write
from nabi_music.media.fonts import hangul_font_files, has_hangul, web_font

HANGUL_CSS_FAMILY = "nabi-hangul"


@dataclass(frozen=True)
class ScoreView:
    """One engraved melody on the page, with its audio and files."""

    label: str
    caption: str = ""
    image: str | None = None
    audio: str | None = None
    links: tuple[tuple[str, str], ...] = ()
    wrong: tuple[tuple[int, str, str], ...] = ()
    """(note number from 1, predicted code, expected code) of each wrong note."""
    codes: str = ""
    """The melody's note codes, shown under its files."""


def relative_url(path: str | os.PathLike[str], folder: str | os.PathLike[str]) -> str:
    """``path`` as a URL relative to ``folder`` (the page's folder), percent-encoded."""
    rel = os.path.relpath(Path(path), Path(folder))
    return quote(Path(rel).as_posix())


def escape(text: object) -> str:
    """``text`` as HTML text or attribute value."""
    return html.escape(str(text), quote=True)


_e = escape


def page_html(title: str, body: Sequence[str], hangul_font: str | None = None) -> str:
    """A whole page: the head (title, the house style, the Hangul font face) and ``body``
    (HTML fragments, already escaped)."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title>",
        f"<style>{_font_face(hangul_font)}{_CSS}</style>",
        "</head>",
        "<body>",
        *(part for part in body if part),
        "</body>",
        "</html>",
        "",
    ]
    return "\n".join(parts)


def score_figure(view: ScoreView) -> str:
    """One melody as a figure: its engraved score, caption, audio player, files and wrong notes."""
    out = ["<figure>"]
    if view.image:
        alt = f"{view.label}: engraved score" + (f", {view.caption}" if view.caption else "")
        out.append(f'<img src="{_e(view.image)}" alt="{_e(alt)}">')
    caption = _e(view.label) + (f" — {_e(view.caption)}" if view.caption else "")
    out.append(f"<figcaption>{caption}</figcaption>")
    if view.audio:
        out.append(
            f'<audio controls preload="metadata" src="{_e(view.audio)}">'
            f'<a href="{_e(view.audio)}">audio</a></audio>'
        )
    if view.links:
        links = " · ".join(f'<a href="{_e(href)}">{_e(name)}</a>' for name, href in view.links)
        out.append(f"<p class=files>{links}</p>")
    if view.codes:
        out.append(f"<p class=codes>codes: <code>{_e(view.codes)}</code></p>")
    if view.wrong:
        rows = "".join(
            f"<tr><td>{n}</td><td>{_e(p)}</td><td class=expected>{_e(x)}</td></tr>"
            for n, p, x in view.wrong
        )
        count = len(view.wrong)
        out.append(
            f"<details><summary>{count} wrong note{'s' if count != 1 else ''}</summary>"
            "<table class=wrong><thead><tr><th>note</th><th>predicted</th><th>expected</th>"
            f"</tr></thead><tbody>{rows}</tbody></table></details>"
        )
    out.append("</figure>")
    return "\n".join(out)


def facts_section(
    facts: Sequence[tuple[str, str]],
    hint: str = "What you need to repeat this run: the same seed and versions give "
    "the same predictions on the same machine.",
) -> str:
    """The run's facts as a definition list."""
    items = "\n".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in facts)
    return (
        '<section id="facts"><h2>Run facts</h2>\n'
        f"<p class=hint>{_e(hint)}</p>\n"
        f"<dl>{items}</dl></section>"
    )


def copy_hangul_font(folder: Path, text: str) -> str | None:
    """Put the Hangul web font in ``folder/fonts`` when ``text`` (the page's words) needs
    it, and return its URL relative to ``folder``; None when it is not needed or missing."""

    fonts = hangul_font_files()
    if not fonts or not has_hangul(text):
        return None
    dest = folder / "fonts" / fonts[0].name
    data = web_font(fonts[0])
    if not dest.is_file() or dest.read_bytes() != data:
        with atomic_write(dest) as tmp:
            tmp.write_bytes(data)
    return relative_url(dest, folder)


def _font_face(url: str | None) -> str:
    if not url:
        return ""
    # Inside <style> nothing is HTML-decoded: percent-encode all but a URL path's characters.
    css_url = quote(url, safe="/%._-~")
    return (
        f'@font-face{{font-family:"{HANGUL_CSS_FAMILY}";src:url("{css_url}");'
        "unicode-range:U+1100-11FF,U+3130-318F,U+AC00-D7A3}"
    )


def anchor(name: str) -> str:
    return "preset-" + "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name)


_CSS = """
body{font-family:"nabi-hangul",system-ui,sans-serif;max-width:1180px;margin:1.5em auto;
padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.7em}h2{margin-top:2em;border-bottom:1px solid #ddd}
.lead{font-size:1.1em}.hint{color:#555;font-style:italic}
table{border-collapse:collapse}th,td{padding:.25em .8em;text-align:right}
thead th{border-bottom:1px solid #999}tbody th{text-align:left}
figure{margin:1.2em 0;padding:.8em;border:1px solid #e4e4e4;border-radius:6px}
figure img{max-width:100%;height:auto;display:block}
figcaption{font-weight:600;margin:.4em 0}audio{width:100%;max-width:520px}
.files,.codes{font-size:.9em}.expected{color:#c00}table.wrong td{text-align:left}
dl{display:grid;grid-template-columns:max-content auto;gap:.2em 1.2em}dt{font-weight:600}
dd{margin:0}code{background:#f4f4f4;padding:0 .2em}
"""
