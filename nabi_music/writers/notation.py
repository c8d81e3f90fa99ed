"""How the written scores look: the notation style and whether a prediction's score
shows the original above it (options shared by the LilyPond and MusicXML writers)."""

from __future__ import annotations

from dataclasses import dataclass

from nabi_music.errors import InputError

STYLES = ("vocal", "instrumental")
"""``vocal``: the tutorial's score, flags on every eighth and each note's code sung
under it; ``instrumental``: beams by the metre and no codes."""


def check_style(style: str) -> str:
    """``style`` when it is one of :data:`STYLES`, else an InputError."""
    if style not in STYLES:
        raise InputError(
            f"notation style {style!r} is unknown: expected one of {', '.join(STYLES)}"
        )
    return style


@dataclass(frozen=True)
class Notation:
    """The look of the scores of one run."""

    style: str = "vocal"
    original_staff: bool = True
    """A prediction's score shows the original melody on a smaller staff above it."""

    def __post_init__(self) -> None:
        check_style(self.style)
