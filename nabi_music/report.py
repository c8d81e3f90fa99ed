"""The report page of a song run: ``index.html``, self-contained, written for a learner.

It shows the accuracy table, each preset's one-step and full-song predictions
as engraved scores (wrong notes red, the expected note above each) with an
audio player, the training plots and the run's facts. Every link is relative
to the page's folder, nothing is fetched from the network, there is no
script, and every text is HTML-escaped. The page's frame (:func:`page_html`),
score figures, facts and Hangul web font serve the page of ``nabi generate``
too (:mod:`nabi_music.composition_page`).
"""

from __future__ import annotations

import html
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from nabi_music.fileio import atomic_write

HANGUL_CSS_FAMILY = "nabi-hangul"

ABOUT_PRESETS = {
    "mlp": "A multilayer perceptron. It sees the four previous notes as four numbers, "
    "with no sense of their order in time and no memory beyond them.",
    "lstm": "An LSTM reads the four notes in order, but forgets everything between "
    "windows: it never knows where in the song it is.",
    "stateful-lstm": "The same LSTM, but its memory (the state) carries on from one window "
    "to the next, so it can tell apart places in the song that begin with the same notes.",
    "stateful-lstm-2f": "The stateful LSTM with two numbers per note, pitch and duration, "
    "instead of one code.",
}


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


@dataclass(frozen=True)
class PresetView:
    name: str
    one_step_accuracy: float
    full_song_accuracy: float
    epochs: int
    train_seconds: float
    scores: tuple[ScoreView, ...] = ()
    kept_epoch: int = 0
    """The epoch whose weights the model kept (0: unknown)."""
    last_epoch: tuple[float, float] | None = None
    """One-step and full-song accuracy of the last epoch's weights."""


@dataclass(frozen=True)
class ReportData:
    title: str
    song: str
    notes: int
    original: ScoreView
    presets: tuple[PresetView, ...]
    plots: tuple[tuple[str, str], ...] = ()
    """(description, relative path) of each plot image."""
    facts: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    hangul_font: str | None = None
    """Relative URL of a font with Hangul, used for the page's Hangul characters only
    (a ``unicode-range``), so that 나비야 shows on any machine."""


def relative_url(path: str | os.PathLike[str], folder: str | os.PathLike[str]) -> str:
    """``path`` as a URL relative to ``folder`` (the page's folder), percent-encoded."""
    rel = os.path.relpath(Path(path), Path(folder))
    return quote(Path(rel).as_posix())


def write_report(data: ReportData, path: str | os.PathLike[str]) -> Path:
    """Write the page to ``path`` (UTF-8, atomically) and return ``path``."""
    with atomic_write(path) as tmp:
        tmp.write_text(report_html(data), encoding="utf-8")
    return Path(path)


def escape(text: object) -> str:
    """``text`` as HTML text or attribute value."""
    return html.escape(str(text), quote=True)


_e = escape


def report_html(data: ReportData) -> str:
    """The HTML text of the page."""
    title = data.title or data.song
    return page_html(
        f"{title} — nabi_music report",
        [
            f"<h1>{_e(title)}: what the models learned</h1>",
            "<p class=lead>Each model was trained on the melody below and then asked to sing "
            f"it back ({data.notes} notes). Read the scores, listen to them, and compare.</p>",
            _table(data),
            _original(data.original),
            *(_preset(p) for p in data.presets),
            _plots(data.plots),
            facts_section(data.facts),
        ],
        data.hangul_font,
    )


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


def _table(data: ReportData) -> str:
    rows = "\n".join(
        "<tr>"
        f'<th scope=row><a href="#{_e(_anchor(p.name))}">{_e(p.name)}</a></th>'
        f"<td>{p.one_step_accuracy:.0%}</td><td>{p.full_song_accuracy:.0%}</td>"
        f"<td>{_kept(p)}</td><td>{_last(p)}</td><td>{p.train_seconds:.1f}</td>"
        "</tr>"
        for p in data.presets
    )
    return (
        '<section id="accuracy"><h2>Accuracy</h2>\n'
        "<p class=hint>One-step: every note is predicted from the real notes before it. "
        "Full-song: only the first notes are given and each prediction is fed back in, "
        "so one mistake can lead the rest of the song astray.</p>\n"
        "<p class=hint>Each model keeps the weights of its best epoch (the highest one-step "
        "accuracy, then the lowest training loss), as Keras' <code>restore_best_weights</code> "
        "does: trained one window at a time, the loss falls close to zero and then jumps up "
        "again every few hundred epochs, so the last epoch can be much worse than an earlier "
        "one, and which epochs jump depends on the rounding of the computer's processor. "
        "The last column shows the last epoch's weights.</p>\n"
        "<table><thead><tr><th scope=col>preset</th><th scope=col>one-step</th>"
        "<th scope=col>full-song</th><th scope=col>kept epoch</th>"
        "<th scope=col>last epoch (one-step / full-song)</th><th scope=col>training s</th>"
        f"</tr></thead>\n<tbody>\n{rows}\n</tbody></table></section>"
    )


def _kept(p: PresetView) -> str:
    return f"{p.kept_epoch} of {p.epochs}" if p.kept_epoch else str(p.epochs)


def _last(p: PresetView) -> str:
    if p.last_epoch is None:
        return "-"
    return f"{p.last_epoch[0]:.0%} / {p.last_epoch[1]:.0%}"


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


def _original(view: ScoreView) -> str:
    return (
        '<section id="original"><h2>The original melody</h2>\n'
        "<p class=hint>This is what every model learns. The note codes under the staff "
        "(<code>g8</code> is a G eighth note, <code>e4</code> an E quarter) are what the "
        "models read and write.</p>\n" + score_figure(view) + "</section>"
    )


def _preset(view: PresetView) -> str:
    about = ABOUT_PRESETS.get(view.name, "")
    hint = (
        "Grey notes are the primer the model was given; red notes are wrong, with the "
        "note that was expected in small red type above them."
    )
    return (
        f'<section id="{_e(_anchor(view.name))}"><h2>{_e(view.name)}</h2>\n'
        + (f"<p>{_e(about)}</p>\n" if about else "")
        + f"<p class=hint>{_e(hint)}</p>\n"
        + "\n".join(score_figure(s) for s in view.scores)
        + "</section>"
    )


def _plots(plots: Sequence[tuple[str, str]]) -> str:
    if not plots:
        return ""
    images = "\n".join(
        f'<figure><img src="{_e(src)}" alt="{_e(alt)}"><figcaption>{_e(alt)}</figcaption></figure>'
        for alt, src in plots
    )
    return (
        '<section id="training"><h2>Training</h2>\n'
        "<p class=hint>How the loss fell and the accuracy rose, epoch by epoch, for every "
        "model on one axis (the loss on a log scale). The stateful models can reach 100% "
        "because they know where in the song they are; the others level off below it.</p>\n"
        f"{images}</section>"
    )


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
    from nabi_music.fonts import hangul_font_files, has_hangul, web_font

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


def _anchor(name: str) -> str:
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
