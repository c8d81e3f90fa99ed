"""The tutorial's summary figures: training loss and accuracy of every preset, per epoch.

matplotlib draws through its object API on an Agg canvas (no pyplot, no
global state): settings apply only inside a style context, and the Hangul
title font is passed per text, never registered globally.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from nabi_music.fileio import atomic_write
from nabi_music.media.fonts import hangul_font_files, has_hangul
from nabi_music.models.history import History

DPI = 100
SIZE = (8.0, 4.5)
"""Inches: 800 x 450 pixels, readable at 100% zoom."""
_STYLE = {
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "font.size": 11,
    "legend.frameon": False,
}


def plot_histories(
    histories: Mapping[str, History],
    folder: str | os.PathLike[str],
    *,
    title: str = "",
) -> tuple[Path, Path]:
    """Write ``loss.png`` (log scale) and ``accuracy.png`` into ``folder``.

    One line per preset (the mapping's keys, in order) over its epochs, with a
    ring on the epoch whose weights the model kept. Returns the paths of both files.
    """
    out = Path(folder)
    loss = _plot(
        histories,
        out / "loss.png",
        values=lambda h: h.loss,
        ylabel="training loss (cross-entropy, log scale)",
        heading="Training loss per epoch",
        title=title,
        log=True,
    )
    accuracy = _plot(
        histories,
        out / "accuracy.png",
        values=lambda h: [100.0 * a for a in h.accuracy],
        ylabel="training accuracy (%)",
        heading="Training accuracy per epoch",
        title=title,
        log=False,
    )
    return loss, accuracy


def _plot(
    histories: Mapping[str, History],
    path: Path,
    *,
    values: Callable[[History], Sequence[float]],
    ylabel: str,
    heading: str,
    title: str,
    log: bool,
) -> Path:
    import matplotlib.style
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

    with matplotlib.style.context(["default", _STYLE]):
        fig = Figure(figsize=SIZE, dpi=DPI, layout="constrained")
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        for name, history in histories.items():
            ys = list(values(history))
            if not ys:
                continue
            (line,) = ax.plot(range(1, len(ys) + 1), ys, label=name, linewidth=1.4)
            kept = history.kept_epoch
            if 1 <= kept <= len(ys):
                ax.plot(
                    [kept],
                    [ys[kept - 1]],
                    marker="o",
                    markersize=9,
                    markerfacecolor="none",
                    markeredgewidth=1.8,
                    color=line.get_color(),
                    label=f"{name}: kept epoch {kept}",
                    linestyle="none",
                )
        if log:
            ax.set_yscale("log")
        else:
            ax.set_ylim(-2, 102)
        ax.set_xlabel("epoch")
        ax.set_ylabel(ylabel)
        ax.legend(title="preset", loc="best")
        text = f"{heading}: {title}" if title else heading
        font = _title_font(text, FontProperties)
        ax.set_title(text, fontproperties=font) if font else ax.set_title(text)
        with atomic_write(path) as tmp:
            fig.savefig(tmp, format="png", dpi=DPI)
    return path


def _title_font(text: str, font_properties: type) -> object | None:
    if not has_hangul(text):
        return None
    files = hangul_font_files()
    return font_properties(fname=str(files[0]), size=13) if files else None
