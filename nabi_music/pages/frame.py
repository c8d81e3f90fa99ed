"""The frame every report page shares: the page head and house style (no script,
nothing from the network, every text HTML-escaped), score figures with their audio
and files, the command that repeats the run, the list of the run's files, the facts
table, relative links and the Hangul web font."""

from __future__ import annotations

import html
import io
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote

from nabi_music.fileio import atomic_write
from nabi_music.media.fonts import hangul_font_files, has_hangul, web_font

HANGUL_CSS_FAMILY = "nabi-hangul"
HANGUL_FONT_FILE = "nabi-hangul.ttf"
"""The page's Hangul web font, in the page's ``fonts/`` folder: NanumGothic cut down to
the Hangul letters of the page, renamed (NanumGothic's names are reserved under its
SIL Open Font License)."""

SCORE_FILES = (
    ("PDF", ".pdf"),
    ("PNG", ".png"),
    ("SVG", ".svg"),
    ("MIDI", ".mid"),
    ("MusicXML", ".musicxml"),
    ("MusicXML (compressed)", ".mxl"),
    ("LilyPond", ".ly"),
    ("MP3", ".mp3"),
    ("WAV", ".wav"),
)
"""The kinds of file a score may have beside it (same name, another suffix), as linked
under its figure, in this order."""
AUDIO_SUFFIXES = (".mp3", ".wav")
"""The player plays the first of these found beside a score."""


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


def score_view(
    stem: Path,
    folder: Path,
    label: str,
    caption: str = "",
    wrong: tuple[tuple[int, str, str], ...] = (),
    codes: str = "",
) -> ScoreView:
    """The figure of the score whose files are ``stem`` plus a suffix: its PNG, its
    audio, and a link to each file of a known kind (:data:`SCORE_FILES`) that exists,
    relative to ``folder`` (the page's)."""

    def url(suffix: str) -> str | None:
        path = stem.parent / (stem.name + suffix)
        return relative_url(path, folder) if path.is_file() else None

    links = tuple((name, u) for name, suffix in SCORE_FILES if (u := url(suffix)))
    audio = next((u for suffix in AUDIO_SUFFIXES if (u := url(suffix))), None)
    return ScoreView(label, caption, url(".png"), audio, links, wrong, codes)


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


def command_section(command: str | None, note: str) -> str:
    """How to repeat the run: ``command`` (shell-quoted) under ``note``."""
    if not command and not note:
        return ""
    block = f"<pre class=command><code>{_e(command)}</code></pre>" if command else ""
    return (
        '<section id="command"><h2>Repeat this run</h2>\n'
        f"<p class=hint>{_e(note)}</p>\n{block}</section>"
    )


def file_urls(files: Sequence[str | os.PathLike[str]], page: Path) -> tuple[str, ...]:
    """The URLs, relative to ``page``'s folder, of the ``files`` that exist in it or
    below it (the page itself left out), each once, in order."""
    folder = page.parent.resolve()
    paths = dict.fromkeys(Path(f) for f in files)
    return tuple(
        relative_url(p, page.parent)
        for p in paths
        if p.is_file() and p.resolve() != page.resolve() and p.resolve().is_relative_to(folder)
    )


def files_section(urls: Sequence[str], hint: str) -> str:
    """Every file of the run (URLs relative to the page): a line per folder, in the
    order the folders come, each folder's files by name."""
    if not urls:
        return ""
    groups: dict[str, list[str]] = {}
    for url in urls:
        folder, _, _ = unquote(url).rpartition("/")
        groups.setdefault(folder, []).append(url)
    groups = {k: sorted(v, key=lambda u: unquote(u)) for k, v in groups.items()}
    rows = "\n".join(
        f"<dt>{_e(folder + '/' if folder else 'this folder')}</dt><dd>"
        + " · ".join(f'<a href="{_e(u)}">{_e(unquote(u).rpartition("/")[2])}</a>' for u in group)
        + "</dd>"
        for folder, group in groups.items()
    )
    return (
        '<section id="files"><h2>Files</h2>\n'
        f"<p class=hint>{_e(hint)}</p>\n<dl class=files>{rows}</dl></section>"
    )


def write_page(path: Path, render: Callable[[str | None], str]) -> Path:
    """Write the page ``render(font_url)`` to ``path`` (UTF-8, atomically), with the
    Hangul web font that its text needs in ``fonts/`` beside it (:func:`copy_hangul_font`)."""
    font = copy_hangul_font(path.parent, render(None))
    with atomic_write(path) as tmp:
        tmp.write_text(render(font), encoding="utf-8")
    return path


def copy_hangul_font(folder: Path, text: str) -> str | None:
    """Put a web font with the Hangul letters of ``text`` (the page) in ``folder/fonts``
    when there are any, and return its URL relative to ``folder``; None when none is
    needed or the font is missing. The font holds only those letters: a few kilobytes
    instead of NanumGothic's 4 MB."""
    fonts = hangul_font_files()
    letters = "".join(sorted({ch for ch in text if has_hangul(ch)}))
    if not fonts or not letters:
        return None
    dest = folder / "fonts" / HANGUL_FONT_FILE
    data = hangul_subset(fonts[0], letters)
    if not dest.is_file() or dest.read_bytes() != data:
        with atomic_write(dest) as tmp:
            tmp.write_bytes(data)
    return relative_url(dest, folder)


def hangul_subset(path: Path, letters: str) -> bytes:
    """The TrueType font at ``path`` (as browsers accept it: :func:`web_font`) with only
    the glyphs of ``letters``, named :data:`HANGUL_CSS_FAMILY` and carrying the font's
    copyright and licence in its name table."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(io.BytesIO(web_font(path)))
    options = subset.Options()
    options.name_IDs = [0, 5, 7]  # copyright, version, trademark: the rest is renamed
    options.name_languages = ["*"]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[ord(ch) for ch in letters])
    subsetter.subset(font)
    names = font["name"]
    for number, text in (
        (1, HANGUL_CSS_FAMILY),
        (2, "Regular"),
        (3, f"{HANGUL_CSS_FAMILY}: {len(letters)} letters"),
        (4, HANGUL_CSS_FAMILY),
        (6, HANGUL_CSS_FAMILY),
        (10, "The Hangul letters of one nabi_music page, cut from NanumGothic"),
        (13, "This Font Software is licensed under the SIL Open Font License, Version 1.1."),
        (14, "https://openfontlicense.org"),
    ):
        names.setName(text, number, 3, 1, 0x409)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


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
pre.command{background:#f4f4f4;padding:.6em;white-space:pre-wrap;word-break:break-all}
pre.command code{padding:0}
dl{display:grid;grid-template-columns:max-content auto;gap:.2em 1.2em}dt{font-weight:600}
dd{margin:0}code{background:#f4f4f4;padding:0 .2em}
"""
