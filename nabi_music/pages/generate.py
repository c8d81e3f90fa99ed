"""The report page of ``nabi generate``: ``index.html`` beside the generated melodies.

It shows each melody engraved (the primer in grey) with its audio player and
files, then the musical statistics of the melodies beside the training songs'
(and the primer score's): range, pitch-class entropy, in-scale rate, interval
sizes, the repeated n-gram rate, the interval histogram as shares of all
intervals, the rhythm figures, and the generated melodies' figures against the
range of the training songs' own; then the command that repeats the run,
every file it wrote and its facts. The page follows the song report's house rules: self-contained,
relative links only, no script, every text HTML-escaped.
"""

from __future__ import annotations

import os
import platform
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from nabi_music.evaluation.stats import duration_label
from nabi_music.pages.frame import (
    command_section,
    facts_section,
    file_urls,
    files_section,
    page_html,
    score_figure,
    score_view,
    write_page,
)
from nabi_music.pages.frame import escape as _e
from nabi_music.prediction.compose import Composition, stats_rows
from nabi_music.version import __version__

PAGE_NAME = "index.html"
INTERVAL_SPAN = 7
"""The histogram shows each interval from -7 to +7 semitones, and wider ones as two bins."""

FILES_HINT = (
    "Everything this run wrote, beside this page: each melody's MIDI, LilyPond, MusicXML, "
    "PDF, PNG and audio, and generated.json (the request, every melody's codes and "
    "statistics, and this run's command)."
)


def write_composition_page(
    composition: Composition,
    folder: str | os.PathLike[str],
    files: dict[int, dict[str, str]],
    facts: Sequence[tuple[str, str]] = (),
    *,
    command: str | None = None,
    command_note: str = "",
    written: Sequence[str | os.PathLike[str]] = (),
) -> Path:
    """Write ``folder/index.html`` for ``composition`` whose melodies' files are
    ``files[index][format]`` (paths); ``facts`` are added to the run's facts, ``command``
    (with ``command_note``) repeats the run, and every file of ``written`` is linked."""
    folder = Path(folder)
    path = folder / PAGE_NAME
    urls = file_urls(written, path)
    return write_page(
        path,
        lambda font: composition_html(
            composition, folder, files, facts, font, command, command_note, urls
        ),
    )


def composition_html(
    composition: Composition,
    folder: Path,
    files: dict[int, dict[str, str]],
    facts: Sequence[tuple[str, str]] = (),
    hangul_font: str | None = None,
    command: str | None = None,
    command_note: str = "",
    written: Sequence[str] = (),
) -> str:
    """The HTML text of the page (links relative to ``folder``; ``written``: the URLs
    of the run's files)."""
    count = len(composition.melodies)
    noun = "melody" if count == 1 else "melodies"
    lead = (
        f"{count} new {noun} composed by the {composition.preset} model, note by note: "
        "each note drawn from the model's prediction after the notes before it."
    )
    if composition.constraints:
        lead += f" Kept to: {'; '.join(composition.constraints)}."
    return page_html(
        f"Generated {noun} — nabi_music",
        [
            f"<h1>Generated {noun}: {_e(composition.preset)}</h1>",
            f"<p class=lead>{_e(lead)}</p>",
            '<section id="melodies"><h2>The melodies</h2>\n'
            "<p class=hint>Grey notes are the primer the model was given; the rest it "
            "chose itself.</p>\n"
            + "\n".join(_melody(composition, folder, files, g.index) for g in composition.melodies)
            + "</section>",
            _stats(composition),
            _intervals(composition),
            _rhythm(composition),
            _comparison(composition),
            command_section(command, command_note),
            files_section(written, FILES_HINT),
            facts_section(
                [*_facts(composition), *facts],
                "What you need to repeat this run: the same bundle, options and seed give "
                "the same melodies.",
            ),
        ],
        hangul_font,
    )


def _melody(
    composition: Composition, folder: Path, files: dict[int, dict[str, str]], index: int
) -> str:
    g = composition.melodies[index - 1]
    made = files.get(index, {})
    setting = ", ".join(x for x in (g.melody.key, g.melody.time_signature) if x)
    caption = f"{len(g.codes)} new notes" + (f"; {setting}" if setting else "")
    if g.primer.codes:
        caption += f"; primer: {' '.join(g.primer.codes)} ({g.primer.origin})"
    if g.phrases:
        form = "".join(p.letter for p in g.phrases)
        caption += f"; form {form}: " + "; ".join(p.describe() for p in g.phrases)
    title = g.melody.title or f"melody {index}"
    # the melody's files share one name: link each file of a known kind found beside it
    stem = Path(next(iter(made.values()))).with_suffix("") if made else folder / "melody"
    return score_figure(score_view(stem, folder, title, caption, codes=" ".join(g.codes)))


def _pct(value: Any) -> str:
    return "–" if value is None else f"{value:.0%}"


def _num(value: Any, fmt: str) -> str:
    return "–" if value is None else format(value, fmt)


_STATS_HINT = (
    "Set the new melodies beside the songs the model learned from. Pitch-class entropy: "
    "how evenly the 12 pitch classes are used, in bits (7 scale notes used equally give "
    "2.81). In key: the share of notes in the melody's key or scale. |interval|: the mean "
    "size of a melodic leap in semitones; steps: the share of intervals of at most 2 "
    "semitones. Copied: the share of the melody's 4-, 6- and 8-note sequences that also "
    "occur in a training song (for the training songs: in another training song)."
)


def _table_section(
    section: str,
    title: str,
    hint: str,
    heads: Sequence[str],
    rows: Sequence[tuple[str, Sequence[str]]],
) -> str:
    """A section holding one table: a header row, then one row per ``(label, cells)``."""
    head = "".join(f"<th scope=col>{_e(h)}</th>" for h in heads)
    body = "\n".join(
        f"<tr><th scope=row>{_e(label)}</th>"
        + "".join(f"<td>{_e(c)}</td>" for c in cells)
        + "</tr>"
        for label, cells in rows
    )
    return (
        f'<section id="{section}"><h2>{_e(title)}</h2>\n'
        f"<p class=hint>{_e(hint)}</p>\n"
        f"<table><thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody></table></section>"
    )


def _stats(composition: Composition) -> str:
    heads = (
        "",
        "notes",
        "range",
        "span",
        "pitch-class entropy",
        "in key",
        "|interval|",
        "steps",
        "copied n=4",
        "n=6",
        "n=8",
    )
    rows = []
    for label, s in stats_rows(composition):
        rep = s["repeated_ngram_rate"]
        rng = f"{s['lowest']}–{s['highest']}" if s["lowest"] else "–"
        cells = (
            str(s["notes"]),
            rng,
            _num(s["span_semitones"], "d"),
            f"{s['pitch_class_entropy_bits']:.2f}",
            _pct(s["in_scale_rate"]),
            _num(s["mean_abs_interval"], ".1f"),
            _pct(s["step_rate"]),
            _pct(rep["4"]),
            _pct(rep["6"]),
            _pct(rep["8"]),
        )
        rows.append((label, cells))
    return _table_section("statistics", "Statistics", _STATS_HINT, heads, rows)


RHYTHM_DURATIONS = ("1/4", "1/2", "1", "3/2", "2")

_RHYTHM_HINT = (
    "Where the notes fall in the bar and how long they last (a tied note counts once, "
    "rests are no notes). On beats / downbeats: the share of notes starting on a beat / "
    "on the first beat of a bar. Syncopations: notes starting off the beat that sound on "
    "over the next beat. Note lengths: the share of notes of each length. Last note: its "
    "length in beats, and the share of melodies whose last note starts on a downbeat. "
    "Bars / 2-bar groups repeated: the share of whole bars (pairs of bars) that repeat an "
    "earlier one note for note."
)


def _rhythm(composition: Composition) -> str:
    rows = [(label, s["rhythm"]) for label, s in stats_rows(composition) if s.get("rhythm")]
    if not rows:
        return ""
    heads = (
        "",
        "on beats",
        "on downbeats",
        "syncopations",
        *(duration_label(d) for d in RHYTHM_DURATIONS),
        "last note (beats)",
        "last note on a downbeat",
        "bars repeated",
        "2-bar groups repeated",
    )
    body = []
    for label, r in rows:
        cells = (
            _pct(r["onsets_on_beats"]),
            _pct(r["onsets_on_downbeats"]),
            _pct(r["syncopation_rate"]),
            *(_pct(r["durations"].get(d, 0.0)) for d in RHYTHM_DURATIONS),
            _num(r["last_note_beats"], ".1f"),
            _pct(r["last_note_on_downbeat"]),
            _pct(r["bar_repetition"]),
            _pct(r["two_bar_repetition"]),
        )
        body.append((label, cells))
    return _table_section("rhythm", "Rhythm", _RHYTHM_HINT, heads, body)


def _figure(value: float, kind: str) -> str:
    return f"{value:.1%}" if kind == "pct" else f"{value:.2f}"


def _comparison(composition: Composition) -> str:
    rows = composition.stats().get("comparison")
    if not rows:
        return ""
    songs = max(r["training_songs"] for r in rows)
    heads = (
        "figure",
        "generated (mean)",
        "training (mean)",
        "training songs 5%–95%",
        "training min–max",
        "within",
    )
    body = []
    for r in rows:
        kind = r["kind"]
        cells = (
            _figure(r["generated_mean"], kind),
            _figure(r["training_mean"], kind),
            f"{_figure(r['training_low'], kind)}–{_figure(r['training_high'], kind)}",
            f"{_figure(r['training_min'], kind)}–{_figure(r['training_max'], kind)}",
            "yes" if r["within"] else "no: outside",
        )
        body.append((r["label"], cells))
    outside = [r["label"] for r in rows if not r["within"]]
    verdict = (
        f"Outside the training songs' range: {', '.join(outside)}."
        if outside
        else "Every figure lies within the training songs' range."
    )
    hint = (
        f"Each figure of the generated melodies (their mean) beside the same figure of the "
        f"{songs} training songs, each song described on its own (its 4-grams looked up in "
        "the other songs: leave-one-out). The range is the central 90% of the songs' own "
        f"figures (5th to 95th percentile). {verdict}"
    )
    return _table_section("against-training", "Against the training songs", hint, heads, body)


def interval_shares(intervals: dict[str, int]) -> dict[str, float]:
    """Each interval bin's share of all intervals: ``<-7``, ``-7`` .. ``+7``, ``>+7``."""
    total = sum(intervals.values())
    bins = {"<-7": 0, **{f"{k:+d}" if k else "0": 0 for k in range(-7, 8)}, ">+7": 0}
    for key, count in intervals.items():
        k = int(key)
        if k < -INTERVAL_SPAN:
            bins["<-7"] += count
        elif k > INTERVAL_SPAN:
            bins[">+7"] += count
        else:
            bins[f"{k:+d}" if k else "0"] += count
    return {b: (c / total if total else 0.0) for b, c in bins.items()}


def _intervals(composition: Composition) -> str:
    rows = [
        (label, s)
        for label, s in stats_rows(composition)
        if not label.startswith("melody") or len(composition.melodies) == 1
    ]
    shares = [(label, interval_shares(s["intervals"])) for label, s in rows]
    if not shares:
        return ""
    head = "<th scope=col>semitones</th>" + "".join(
        f"<th scope=col>{_e(b)}</th>" for b in shares[0][1]
    )
    body = "\n".join(
        f"<tr><th scope=row>{_e(label)}</th>"
        + "".join(f"<td>{share:.0%}</td>" for share in values.values())
        + "</tr>"
        for label, values in shares
    )
    return (
        '<section id="intervals"><h2>Intervals</h2>\n'
        "<p class=hint>How often each melodic interval occurs, as a share of all intervals "
        "between successive notes (negative: down). A model that learned the style moves "
        "like its training songs.</p>\n"
        f"<table class=intervals><thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n"
        "</tbody></table></section>"
    )


def _facts(composition: Composition) -> list[tuple[str, str]]:
    request = composition.request
    sampling = request.sampling
    form = request.song_form
    if form is not None:
        length = f"{form.bars} bars: form {form.letters} of {form.phrase_bars}-bar phrases"
        if form.vary:
            length += f", repeats varied with probability {form.vary:g}"
    elif request.bars:
        length = f"{request.bars} bars"
    else:
        length = f"{request.length or 32} notes"
    out = [
        ("model", composition.preset),
        ("seed", str(request.seed)),
        ("temperature", f"{sampling.temperature:g}"),
        ("top-k", str(sampling.top_k or "all codes")),
        ("length", length),
        ("key", composition.key or "each melody its own"),
        ("time signature", composition.time_signature or "each melody its own"),
        ("constraints", "; ".join(composition.constraints) or "none"),
        ("training songs", composition.songs_origin or "not recorded in the bundle"),
    ]
    out += [("nabi_music", __version__), ("Python", platform.python_version())]
    return out
