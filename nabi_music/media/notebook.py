"""Melodies, predictions and compositions as Jupyter shows them (:mod:`nabi_music.display`):
each melody engraved by LilyPond as SVG (a prediction under its original, wrong notes red,
the expected code above them; a composition beamed by the metre),
an audio player (the melody synthesised from a SoundFont, as MP3 inside the page) and a
one-line caption. Nothing is left on disk."""

from __future__ import annotations

import base64
import html
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from nabi_music import display
from nabi_music.errors import NabiError
from nabi_music.media.audio import synthesize
from nabi_music.media.render import render_file
from nabi_music.music.notes import Melody
from nabi_music.prediction.compose import Composition
from nabi_music.prediction.tutorial import Prediction
from nabi_music.writers.lilypond import write_lilypond
from nabi_music.writers.midi import write_midi

STYLE = "margin:0 0 1em 0; max-width:100%"


def melody_html(
    melody: Melody,
    caption: str,
    wrong: Mapping[int, str] | None = None,
    primer: int = 0,
    *,
    reference: Melody | None = None,
    style: str = "vocal",
) -> str:
    """One melody: its score (SVG; ``reference`` on a smaller staff above, the score's
    ``style`` as :func:`~nabi_music.writers.lilypond.lilypond_source` takes them), a
    player and ``caption``; when LilyPond or the synthesiser fails, the caption, the
    codes and why."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        try:
            ly = write_lilypond(
                melody,
                folder / "score.ly",
                wrong=wrong or {},
                primer=primer,
                reference=reference,
                style=style,
            )
            made = render_file(ly, ["svg"], out_dir=folder / "svg")
            svgs = [f.read_text(encoding="utf-8") for f in sorted(made.files)]
            mp3 = synthesize(write_midi(melody, folder / "score.mid"), folder / "score.mp3")
            sound = base64.b64encode(mp3.path.read_bytes()).decode("ascii")
        except NabiError as err:
            return (
                f'<figure style="{STYLE}"><figcaption>{html.escape(caption)}</figcaption>'
                f"<code>{html.escape(' '.join(melody.codes))}</code>"
                f"<p>(not engraved or synthesised: {html.escape(str(err))})</p></figure>"
            )
    pages = "".join(f"<div>{svg[svg.find('<svg') :]}</div>" for svg in svgs)
    return (
        f'<figure style="{STYLE}">{pages}'
        f'<audio controls preload="none" src="data:audio/mpeg;base64,{sound}"></audio>'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
    )


def _melody(melody: Melody) -> str:
    return melody_html(melody, repr(melody)[1:-1])


def _prediction(prediction: Prediction) -> str:
    parts = []
    for mode, name in (("one_step", "one-step"), ("full_song", "full-song")):
        comparison = getattr(prediction, mode)
        caption = f"{prediction.melody.title or 'melody'}, {name}: {comparison.describe()}"
        parts.append(
            melody_html(
                prediction.as_melody(mode),
                caption,
                comparison.wrong,
                comparison.primer,
                reference=prediction.melody,
            )
        )
    return "".join(parts)


def _composition(composition: Composition) -> str:
    parts = []
    for g in composition.melodies:
        key = composition.key or g.melody.key or "no key"
        caption = (
            f"{composition.preset}, melody {g.index}: {len(g.codes)} notes, {key}, "
            f"{composition.time_signature or 'no metre'}"
        )
        parts.append(melody_html(g.melody, caption, primer=g.primer_notes, style="instrumental"))
    return "".join(parts)


RENDERERS: dict[str, Any] = {
    "Melody": _melody,
    "Prediction": _prediction,
    "Composition": _composition,
}
for _kind, _renderer in RENDERERS.items():
    display.register(_kind, _renderer)
