"""The report page of a song run: ``index.html``, self-contained, written for a learner.

It shows the accuracy table, each preset's one-step and full-song predictions
as engraved scores (wrong notes red, the expected note above each) with an
audio player and their files, each preset's trained model, the training plots,
the command that repeats the run, every file the run wrote and the run's facts.
Every link is relative to the page's folder, nothing is fetched from the network,
there is no script, and every text is HTML-escaped; the frame is
:mod:`nabi_music.pages.frame`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import unquote

from nabi_music.pages.frame import (
    ScoreView,
    anchor,
    command_section,
    escape,
    facts_section,
    files_section,
    page_html,
    score_figure,
    write_page,
)

_e = escape


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
    bundle: str | None = None
    """Relative URL of the trained model (``model.nabi``)."""


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
    (a ``unicode-range``), so that 나비야 shows on any machine. :func:`write_report`
    makes one when it is None."""
    command: str | None = None
    """The command that repeats the run (shell-quoted)."""
    command_note: str = ""
    """Where the command comes from: as the run was given it, or built for a run
    started from Python."""
    files: tuple[str, ...] = ()
    """Relative URL of every file the run wrote."""


def write_report(data: ReportData, path: str | os.PathLike[str]) -> Path:
    """Write the page to ``path`` (UTF-8, atomically), with the Hangul web font its text
    needs beside it, and return ``path``."""
    if data.hangul_font:
        return write_page(Path(path), lambda _: report_html(data))
    return write_page(Path(path), lambda font: report_html(replace(data, hangul_font=font)))


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
            command_section(data.command, data.command_note),
            files_section(
                data.files,
                "Everything this run wrote, beside this page: the scores (MIDI, LilyPond, "
                "PDF, PNG ...), their audio, each preset's trained model (model.nabi, which "
                "nabi predict and nabi generate take), the figures (summary.json) and the "
                "training history (history.json).",
            ),
            facts_section(data.facts),
        ],
        data.hangul_font,
    )


def _table(data: ReportData) -> str:
    rows = "\n".join(
        "<tr>"
        f'<th scope=row><a href="#{_e(anchor(p.name))}">{_e(p.name)}</a></th>'
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
    model = (
        f'<p class=files>The trained model: <a href="{_e(view.bundle)}">'
        f"{_e(unquote(view.bundle).rpartition('/')[2])}</a> "
        "(<code>nabi predict</code> and <code>nabi generate</code> take it)</p>\n"
        if view.bundle
        else ""
    )
    return (
        f'<section id="{_e(anchor(view.name))}"><h2>{_e(view.name)}</h2>\n'
        + (f"<p>{_e(about)}</p>\n" if about else "")
        + model
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
