"""Compose new melodies with a trained bundle: what ``nabi generate`` runs.

:func:`compose` is pure (no file is touched): it settles the primer, the key
and metre, the constraints and the length, checks that they can all hold, then
generates ``count`` melodies, melody ``k`` with its own Generator spawned from
the seed (so the same seed gives the same melodies, and melody 1 is the same
whatever the count), and computes their statistics beside the training songs'.
:func:`nabi_music.runs.generate.write_composition` then writes them.

Where things come from, first found wins:

- **primer**: ``--primer`` (a score: its first window of notes; or note codes,
  at least a window of them, or at least one for a model trained with the
  start symbol); without one, the opening window of a training song the bundle
  records, chosen by the melody's Generator, or, for a model trained with the
  start symbol (the corpus presets), nothing: it composes from the start;
- **time signature, key, tempo**: the options, the primer's score, the
  training melodies the bundle records (their most common values);
- **training songs** (for reference statistics and the repeated n-gram rate):
  the codes the bundle records (``meta.songs``, written by
  :func:`nabi_music.models.bundle.training_meta`); for an older bundle, the files it
  names in ``trained_on`` are read again when they are music21 corpus paths (a
  file of several tunes then gives all of its tunes, maybe more than were trained
  on; the JSON says so); other files a bundle names are never opened.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

from nabi_music import display
from nabi_music.data.encoding import Vocabulary, start_row
from nabi_music.errors import InputError, NabiError
from nabi_music.evaluation.stats import (
    NgramIndex,
    Sample,
    compare,
    corpus_stats,
    describe,
    figures,
    melody_stats,
)
from nabi_music.models.bundle import Bundle
from nabi_music.models.metre_runner import in_metre
from nabi_music.music.keys import Scale, parse_scale
from nabi_music.music.metre import bar_length, beat_length, written_codes
from nabi_music.music.notes import Melody, parse_code, parse_codes
from nabi_music.music.ranges import parse_pitch_range
from nabi_music.prediction.constraints import Constraints, Length, Plan
from nabi_music.prediction.form import DEFAULT_PHRASE_BARS, Form, FormCursor, FormPlan, Phrase
from nabi_music.prediction.sampling import Count, Sampling, generate_batch, generators
from nabi_music.readers import CORPUS_PREFIX, READERS, read

DEFAULT_NOTES = 32
AUTO_KEY = "auto"


@dataclass(frozen=True)
class Request:
    """What to compose. ``length`` (notes) and ``bars`` exclude each other; with
    neither, :data:`DEFAULT_NOTES` notes. ``key``: a key or scale, or ``auto`` for
    the key of the primer or of the training melodies."""

    length: int | None = None
    bars: int | None = None
    sampling: Sampling = field(default_factory=Sampling)
    seed: int = 1
    count: int = 1
    key: str | None = None
    pitch_range: str | None = None
    whole_bars: bool = False
    ties: bool = False
    end_on_tonic: bool = False
    time_signature: str | None = None
    form: str | None = None
    """Phrase letters (``AABA``): a song of ``len(form) * phrase_bars`` bars (see
    :mod:`nabi_music.prediction.form`)."""
    phrase_bars: int | None = None
    """Bars per phrase of the form (default :data:`DEFAULT_PHRASE_BARS`)."""
    vary: float | None = None
    """The probability that each note of a repeated phrase is re-sampled (default 0)."""
    no_syncopation: bool = False
    """No note starting off the beat sounds over the next beat (implies whole bars)."""

    def __post_init__(self) -> None:
        if self.form is None:
            if self.phrase_bars is not None:
                raise InputError("--phrase-bars sets the length of a form's phrases: give --form")
            if self.vary is not None:
                raise InputError("--vary varies a form's repeated phrases: give --form")
        else:
            form = self.song_form
            assert form is not None
            if self.length is not None:
                raise InputError(
                    f"--form {form.letters} with --phrase-bars {form.phrase_bars} sets the "
                    f"length ({form.bars} bars): leave out --length"
                )
            if self.bars is not None and self.bars != form.bars:
                raise InputError(
                    f"--bars {self.bars} but --form {form.letters} of {form.phrase_bars}-bar "
                    f"phrases makes {form.bars} bars: leave out --bars, or make them agree"
                )
        if self.length is not None and self.bars is not None:
            raise InputError("give the length in notes (--length) or in bars (--bars), not both")
        if self.length is not None and self.length < 1:
            raise InputError(f"--length must be at least 1 note, got {self.length}")
        if self.bars is not None and self.bars < 1:
            raise InputError(f"--bars must be at least 1, got {self.bars}")
        if self.count < 1:
            raise InputError(f"--count must be at least 1, got {self.count}")

    @property
    def song_form(self) -> Form | None:
        """The form asked for, checked (None: no form)."""
        if self.form is None:
            return None
        return Form(
            self.form,
            DEFAULT_PHRASE_BARS if self.phrase_bars is None else self.phrase_bars,
            0.0 if self.vary is None else self.vary,
        )

    def to_dict(self) -> dict[str, Any]:
        form = self.song_form
        return {
            "length": self.length,
            "bars": self.bars,
            **self.sampling.to_dict(),
            "seed": self.seed,
            "count": self.count,
            "key": self.key,
            "range": self.pitch_range,
            "whole_bars": self.whole_bars or self.bars is not None,
            "ties": self.ties,
            "end_on_tonic": self.end_on_tonic,
            "time_signature": self.time_signature,
            "form": None if form is None else form.letters,
            "phrase_bars": None if form is None else form.phrase_bars,
            "vary": None if form is None else form.vary,
            "no_syncopation": self.no_syncopation,
        }


@dataclass(frozen=True)
class Primer:
    """The notes a melody starts from, and the score they came from (if any)."""

    codes: tuple[str, ...]
    origin: str
    score: Melody | None = None


@dataclass(frozen=True)
class Song:
    """A training song as the bundle records it."""

    codes: tuple[str, ...]
    key: str | None = None
    time_signature: str | None = None
    pickup: Fraction | None = None
    """The upbeat's length in quarters (None: none, or not known)."""


@dataclass(frozen=True)
class Generated:
    """One composed melody: its primer, the codes the model chose, and the melody (the
    primer's codes and the chosen ones; the writers cut it into bars)."""

    index: int
    primer: Primer
    codes: tuple[str, ...]
    melody: Melody
    primer_notes: int
    stats: dict[str, Any]
    scale: Scale | None = None
    phrases: tuple[Phrase, ...] = ()
    """The phrases of its form (none without ``--form``)."""


@dataclass(frozen=True)
class Composition:
    """Everything :func:`compose` made, ready to write or to show."""

    preset: str
    request: Request
    key: str | None
    scale: Scale | None
    time_signature: str | None
    tempo: float | None
    constraints: tuple[str, ...]
    melodies: tuple[Generated, ...]
    reference: dict[str, Any]
    """Statistics of the references: ``training`` (the training songs), ``primer_score``."""
    songs_origin: str | None
    ngrams: NgramIndex | None = None
    """The training songs' n-grams, for the repeated n-gram rate."""
    training_figures: tuple[dict[str, float | None], ...] = ()
    """Each training song's own figures (n-grams looked up in the other songs), for
    :func:`nabi_music.evaluation.stats.compare`."""

    def __repr__(self) -> str:
        return (
            f"<Composition by {self.preset}: {len(self.melodies)} melod"
            f"{'y' if len(self.melodies) == 1 else 'ies'}, key {self.key or '-'}, "
            f"time {self.time_signature or '-'}>"
        )

    def _repr_html_(self) -> str | None:
        """In Jupyter: each melody's score and player."""
        return display.html(self)

    def stats(self) -> dict[str, Any]:
        """The statistics as one dict: every melody, all generated pooled, and the
        references (``training``: the training songs; ``primer``: the primer's score)."""
        samples = [
            Sample(
                tuple(g.primer.codes + g.codes),
                g.scale or _scale_of(g.melody.key),
                len(g.primer.codes),
                g.melody.time_signature,
            )
            for g in self.melodies
        ]
        pooled = describe(samples, self.ngrams)
        out = {
            "melodies": [g.stats for g in self.melodies],
            "generated": pooled,
            **self.reference,
        }
        if self.training_figures:
            out["comparison"] = compare([g.stats for g in self.melodies], self.training_figures)
        return out

    def to_dict(self, files: dict[int, dict[str, str]] | None = None) -> dict[str, Any]:
        stats = self.stats()
        return {
            "preset": self.preset,
            "request": self.request.to_dict(),
            "key": self.key,
            "scale": None if self.scale is None else str(self.scale),
            "time_signature": self.time_signature,
            "tempo": self.tempo,
            "constraints": list(self.constraints),
            "form": None if self.request.song_form is None else self.request.song_form.to_dict(),
            "training_songs": self.songs_origin,
            "melodies": [
                {
                    "index": g.index,
                    "title": g.melody.title,
                    "key": g.melody.key,
                    "time_signature": g.melody.time_signature,
                    "primer": list(g.primer.codes),
                    "primer_origin": g.primer.origin,
                    "codes": list(g.codes),
                    "written_codes": written_codes(g.melody),
                    "files": (files or {}).get(g.index, {}),
                    "phrases": [p.to_dict() for p in g.phrases],
                    "stats": g.stats,
                }
                for g in self.melodies
            ],
            "stats": {k: v for k, v in stats.items() if k != "melodies"},
        }


# --- primers and training songs ---------------------------------------------------


def _looks_like_score(text: str) -> bool:
    text = text.strip()
    if text.startswith(CORPUS_PREFIX) or Path(text).exists():
        return True
    return not any(ch.isspace() for ch in text) and Path(text).suffix.lower() in READERS


def load_primer(text: str, window: int, minimum: int | None = None) -> Primer:
    """A primer from ``--primer``: a score (its first ``window`` notes) or note codes
    (at least ``minimum`` of them, default ``window``)."""
    minimum = window if minimum is None else minimum
    if _looks_like_score(text):
        melodies = read(text)
        if not melodies:
            raise InputError(f"{text}: no melody found for the primer")
        score = melodies[0]
        codes = tuple(score.codes[:window])
        if len(codes) < minimum:
            raise InputError(
                f"{text}: the primer score has {len(score.codes)} notes; "
                f"the model reads windows of {window}"
            )
        return Primer(codes, text, score)
    codes = tuple(n.code for n in parse_codes(text, source="--primer"))
    if len(codes) < minimum:
        raise InputError(
            f"the primer has {len(codes)} note{'s' if len(codes) != 1 else ''}; "
            f"the model reads windows of {window}: give at least {minimum} codes"
        )
    return Primer(codes, "codes")


def start_padded(config: Any) -> bool:
    """True for models trained from each song's start with the start symbol (corpus
    presets): they compose from any primer, even none."""
    return bool(getattr(config, "start_padded", False))


def check_primer(primer: Primer, vocabulary: Vocabulary) -> None:
    """The primer's codes must all be in the model's vocabulary."""
    unknown = vocabulary.unknown(primer.codes)
    if unknown:
        shown = " ".join(vocabulary.codes[:40]) + (" ..." if len(vocabulary) > 40 else "")
        raise InputError(
            f"the primer holds codes the model never saw: {' '.join(unknown)} "
            f"(it knows {len(vocabulary)} codes: {shown})"
        )


def training_songs(bundle: Bundle) -> tuple[list[Song], str | None]:
    """The bundle's training songs and where they came from (``None``: unknown)."""
    songs = bundle.meta.get("songs") if bundle.meta else None
    if songs:
        out = [
            Song(
                tuple(s["codes"].split()),
                s.get("key"),
                s.get("time_signature"),
                _fraction(s.get("pickup")),
            )
            for s in songs
        ]
        if any("pickup" not in s for s in songs):
            named = [s.get("source") for s in songs if isinstance(s.get("source"), str)]
            out = _with_upbeats(out, [*named, *bundle.trained_on])
        return out, "recorded in the bundle"
    # a bundle is untrusted: of the sources it names, only music21's corpus is read again
    sources = [s for s in dict.fromkeys(bundle.trained_on) if s.startswith("corpus:")]
    if not sources:
        return [], None
    out = []
    try:
        for source in sources:
            out.extend(
                Song(tuple(m.codes), m.key, m.time_signature, m.pickup) for m in read(source)
            )
    except NabiError:
        return [], None
    return out, "read again from the files the bundle names (all their tunes)"


MAX_UPBEAT_SOURCES = 50
"""The most corpus files read again to learn the training songs' upbeats."""


def _fraction(value: Any) -> Fraction | None:
    try:
        return None if value in (None, "", 0) else Fraction(str(value))
    except (ValueError, ZeroDivisionError):
        return None


def _rhythm_key(codes: Sequence[str]) -> tuple[Fraction, ...]:
    return tuple(parse_code(c).duration for c in codes)


def _with_upbeats(songs: list[Song], sources: Sequence[str]) -> list[Song]:
    """``songs`` with their upbeats, which older bundles do not record: the music21
    corpus files the bundle names are read again (never another file a bundle names)
    and each song is matched by its rhythm (the same in any key); unmatched songs keep
    None (a downbeat start)."""
    corpus = [s for s in dict.fromkeys(sources) if s.startswith(CORPUS_PREFIX)]
    if not corpus or len(corpus) > MAX_UPBEAT_SOURCES:
        return songs
    found: dict[tuple[Fraction, ...], set[Fraction | None]] = {}
    try:
        for source in corpus:
            for m in read(source):
                pickup = m.pickup if m.pickup else None
                found.setdefault(_rhythm_key(m.codes), set()).add(pickup)
    except NabiError:
        return songs
    out = []
    for song in songs:
        pickups = found.get(_rhythm_key(song.codes), set())
        if song.pickup is None and len(pickups) == 1:
            song = replace(song, pickup=next(iter(pickups)))
        out.append(song)
    return out


def _most_common(values: Sequence[str | None]) -> str | None:
    known = [v for v in values if v]
    return max(dict.fromkeys(known), key=known.count) if known else None


def _scale_of(key: str | None) -> Scale | None:
    if not key:
        return None
    try:
        return parse_scale(key)
    except InputError:
        return None


# --- composing -------------------------------------------------------------------


@dataclass(frozen=True)
class Setting:
    """The key, scale, metre and constraints one melody is composed under."""

    key: str | None
    scale: Scale | None
    time_signature: str | None
    constraints: Constraints


def settle(
    request: Request,
    key: str | None,
    time_signature: str | None,
) -> Setting:
    """The setting of a melody whose primer comes with ``key`` and ``time_signature``
    (from its score or training song, else the training melodies'); options win."""
    time_signature = request.time_signature or time_signature
    bar = bar_length(time_signature) if time_signature else None
    scale: Scale | None = None
    if request.key == AUTO_KEY:
        if not key:
            raise InputError(
                "--key without a value takes the key of the primer or of the training "
                "melodies, but neither says one: name the key, as in --key 'D major'"
            )
        scale = parse_scale(key)
    elif request.key:
        scale = parse_scale(request.key)
    if scale is not None:
        key = scale.key_signature
    tonic = scale or _scale_of(key)
    if request.end_on_tonic and tonic is None:
        raise InputError("an ending on the tonic needs a key: give one with --key")
    form = request.song_form
    if form is not None and tonic is None:
        raise InputError(
            "a form's last phrase ends on the tonic, which needs a key, and neither the "
            "primer nor the bundle says one: give it with --key, as in --key 'D major'"
        )
    whole_bars = (
        request.whole_bars or request.bars is not None or form is not None or request.no_syncopation
    )
    if form is not None and bar is None:
        raise InputError(
            "a form needs a time signature, and neither the primer nor the bundle says "
            "one: give it with --time-signature, as in --time-signature 3/4"
        )
    if whole_bars and bar is None:
        raise InputError(
            "whole bars need a time signature, and neither the primer nor the bundle "
            "says one: give it with --time-signature, as in --time-signature 3/4"
        )
    constraints = Constraints(
        scale=scale,
        pitch_range=parse_pitch_range(request.pitch_range) if request.pitch_range else None,
        whole_bars=whole_bars,
        bar=bar,
        ties=request.ties,
        end_on_tonic=request.end_on_tonic or form is not None,
        tonic=tonic,
        metre=time_signature,
        no_syncopation=request.no_syncopation,
        beat=beat_length(time_signature) if time_signature else None,
    )
    return Setting(key, scale, time_signature, constraints)


def compose(bundle: Bundle, request: Request, primer: Primer | None = None) -> Composition:
    """Generate ``request.count`` melodies with ``bundle`` (see the module docstring)."""
    vocabulary = bundle.vocabulary
    window = bundle.config.window
    padded = start_padded(bundle.config)
    table = bundle.table
    if padded:
        table = start_row(table)
    if primer is not None:
        check_primer(primer, vocabulary)
    songs, songs_origin = training_songs(bundle)
    meta = bundle.meta or {}
    default_key = meta.get("key") or _most_common([s.key for s in songs])
    default_metre = meta.get("time_signature") or _most_common([s.time_signature for s in songs])
    score = primer.score if primer is not None else None
    tempo = (score.tempo if score else None) or meta.get("tempo")

    form = request.song_form
    plans: dict[tuple[Constraints, Fraction], Plan | FormPlan | None] = {}

    def plan_for(setting: Setting, codes: Sequence[str]) -> Plan | FormPlan | None:
        start = sum((parse_code(c).duration for c in codes), Fraction(0))
        constraints = setting.constraints
        if (constraints, start) not in plans:
            if form is not None:
                plans[constraints, start] = FormPlan(vocabulary, constraints, form, start)
            elif not constraints.active:
                plans[constraints, start] = None
            else:
                if request.bars is not None:
                    assert constraints.bar is not None
                    bar = constraints.bar
                    length = Length(end=Fraction((math.ceil(start / bar) + request.bars) * bar))
                else:
                    length = Length(notes=request.length or DEFAULT_NOTES)
                plans[constraints, start] = Plan(vocabulary, constraints, length, start)
        return plans[constraints, start]

    # Every start is settled and checked before anything is generated: bad input fails
    # at once. Without a primer, training songs whose opening cannot start are left out.
    starts: list[tuple[Primer, Setting]] = []
    if primer is not None:
        setting = settle(
            request,
            (score.key if score else None) or default_key,
            (score.time_signature if score else None) or default_metre,
        )
        plan_for(setting, primer.codes)
        starts.append((primer, setting))
    elif padded:  # a model trained from each song's start composes from nothing
        setting = settle(request, default_key, default_metre)
        plan_for(setting, ())
        starts.append((Primer((), "none (from the start symbol)"), setting))
    else:
        first_error: InputError | None = None
        for k, song in enumerate(songs):
            opening = song.codes[:window]
            if len(opening) < window or vocabulary.unknown(opening):
                continue
            try:
                setting = settle(
                    request, song.key or default_key, song.time_signature or default_metre
                )
                plan_for(setting, opening)
            except InputError as err:
                first_error = first_error or err
                continue
            starts.append((Primer(tuple(opening), f"training song {k + 1}"), setting))
        if not starts:
            if first_error is not None:
                raise first_error
            raise InputError(
                "the bundle records no training melody to start from: give a primer with --primer"
            )

    index = NgramIndex.build(s.codes for s in songs) if songs else None
    runner = bundle.runner()
    title_base = f"{score.title}: new melody" if score and score.title else "Generated melody"
    melodies = []
    rngs = generators(request.seed, request.count)
    chosen_starts = [
        starts[int(rng.integers(len(starts)))] if primer is None else starts[0] for rng in rngs
    ]
    guides: list[Any] = []
    for (chosen, setting), rng in zip(chosen_starts, rngs, strict=True):
        plan = plan_for(setting, chosen.codes)
        if isinstance(plan, FormPlan):
            guides.append(plan.cursor(vocabulary.encode(chosen.codes), rng))
        else:
            guides.append(
                plan.cursor() if plan is not None else Count(request.length or DEFAULT_NOTES)
            )
    # a metre-aware runner reads the metre and key: the melodies of each setting together
    groups: dict[tuple[str | None, str | None], list[int]] = {}
    for k, (_, setting) in enumerate(chosen_starts):
        together = (setting.time_signature, setting.key) if in_metre(runner) else (None, None)
        groups.setdefault(together, []).append(k)
    generated: list[Any] = [None] * len(chosen_starts)
    for (metre, key), ks in groups.items():
        outs = generate_batch(
            runner.in_setting(metre, key) if in_metre(runner) else runner,
            table,
            [vocabulary.encode(chosen_starts[k][0].codes) for k in ks],
            [guides[k] for k in ks],
            [rngs[k] for k in ks],
            request.sampling,
            start_symbol=len(vocabulary) if padded else None,
        )
        for k, out in zip(ks, outs, strict=True):
            generated[k] = out
    for k, ((chosen, setting), indices, guide) in enumerate(
        zip(chosen_starts, generated, guides, strict=True), start=1
    ):
        codes = tuple(vocabulary.decode(indices))
        melody = Melody(
            tuple(parse_code(c) for c in (*chosen.codes, *codes)),
            title=f"{title_base} {k}" if request.count > 1 or score is None else title_base,
            key=setting.key,
            time_signature=setting.time_signature,
            tempo=tempo,
            program=score.program if score else None,
            source=f"nabi generate ({bundle.config.preset})",
        )
        stats = melody_stats(
            chosen.codes + codes,
            setting.scale or _scale_of(setting.key),
            index,
            len(chosen.codes),
            setting.time_signature,
        )
        phrases = guide.phrases() if isinstance(guide, FormCursor) else ()
        melodies.append(
            Generated(k, chosen, codes, melody, len(chosen.codes), stats, setting.scale, phrases)
        )

    reference: dict[str, Any] = {}
    training_figures: list[dict[str, float | None]] = []
    if songs:
        samples = [Sample(s.codes, _scale_of(s.key), 0, s.time_signature, s.pickup) for s in songs]
        reference["training"] = corpus_stats(samples, index)
        training_figures = [
            figures(describe([sample], index, leave_one_out=True)) for sample in samples
        ]
    if score is not None:
        reference["primer_score"] = melody_stats(
            score.codes, _scale_of(score.key), index, 0, score.time_signature, score.pickup
        )
    settings = [st for _, st in starts]
    return Composition(
        preset=bundle.config.preset,
        request=request,
        key=_only({g.melody.key for g in melodies}),
        scale=_only({g.scale for g in melodies}),
        time_signature=_only({g.melody.time_signature for g in melodies}),
        tempo=tempo,
        constraints=_describe(settings) + ((form.describe(),) if form is not None else ()),
        melodies=tuple(melodies),
        reference=reference,
        ngrams=index,
        songs_origin=songs_origin,
        training_figures=tuple(training_figures),
    )


def _describe(settings: Sequence[Setting]) -> tuple[str, ...]:
    """The constraints in words; where melodies differ (each its own primer's key or
    metre), said so once."""
    each = [st.constraints.describe() for st in settings]
    if all(d == each[0] for d in each):
        return tuple(each[0])
    c = settings[0].constraints
    out = []
    if c.scale is not None:
        out.append("key of each melody's primer")
    if c.pitch_range is not None:
        out.append(f"range {c.pitch_range}")
    if c.whole_bars:
        out.append("whole bars of each melody's metre" + (" (ties allowed)" if c.ties else ""))
    if c.end_on_tonic:
        out.append("ending on the tonic")
    if c.no_syncopation:
        out.append("no syncopation")
    return tuple(out)


def _only(values: set[Any]) -> Any:
    """The one value all melodies share, or None."""
    return next(iter(values)) if len(values) == 1 else None


# --- statistics ------------------------------------------------------------------------


def stats_rows(composition: Composition) -> list[tuple[str, dict[str, Any]]]:
    """``(label, statistics)`` of each melody, all generated (when more than one), the
    training songs and the primer's score (when known)."""
    stats = composition.stats()
    rows: list[tuple[str, dict[str, Any]]] = [
        (f"melody {g.index}", g.stats) for g in composition.melodies
    ]
    if len(composition.melodies) > 1:
        rows.append(("all generated", stats["generated"]))
    if "training" in stats:
        n = stats["training"]["melodies"]
        rows.append((f"training ({n} song{'s' if n != 1 else ''})", stats["training"]))
    if "primer_score" in stats:
        rows.append(("primer score", stats["primer_score"]))
    return rows
