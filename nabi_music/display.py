"""How melodies, predictions and compositions show in Jupyter (their ``_repr_html_``).

Those classes live in early stages (:mod:`nabi_music.music`, :mod:`nabi_music.prediction`)
and cannot reach engraving and audio, which come later; they ask :func:`html`, and
:mod:`nabi_music.media.notebook` registers how each kind shows. That module is loaded on
the first display only (by name, as a plug-in), so importing nabi_music stays light.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

NOTEBOOK = "nabi_music.media.notebook"
"""The module that registers the renderers when it is imported."""

_RENDERERS: dict[str, Callable[[Any], str]] = {}


def register(kind: str, renderer: Callable[[Any], str]) -> None:
    """Show objects of the class named ``kind`` as ``renderer(obj)`` (HTML)."""
    _RENDERERS[kind] = renderer


def html(obj: Any) -> str | None:
    """``obj`` as HTML for Jupyter, or None when no renderer knows its kind."""
    kind = type(obj).__name__
    if kind not in _RENDERERS:
        importlib.import_module(NOTEBOOK)
    renderer = _RENDERERS.get(kind)
    return renderer(obj) if renderer is not None else None
