"""``nabi generate``: its options and what it prints (the work is
:func:`nabi_music.prediction.compose.compose` and
:func:`nabi_music.runs.generate.write_composition`).

NumPy's BLAS is kept to one thread for this command before NumPy loads
(:func:`nabi_music.backend.limit_blas_threads`, called by :mod:`nabi_music.cli`).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from nabi_music.cli.common import (
    add_audio_format_argument,
    add_instrument_argument,
    add_notation_arguments,
    notation_of,
)
from nabi_music.cli.options import MAX_GENERATED_BARS
from nabi_music.cli.terminal import err, shown_path
from nabi_music.errors import InputError
from nabi_music.evaluation.stats import duration_label
from nabi_music.fileio import check_out_dir
from nabi_music.media.audio import AUDIO_FORMATS, instrument_program
from nabi_music.models.bundle import load_bundle
from nabi_music.music.keys import parse_scale
from nabi_music.music.metre import bar_length
from nabi_music.music.ranges import parse_pitch_range
from nabi_music.prediction.compose import (
    Composition,
    Request,
    compose,
    load_primer,
    start_padded,
    stats_rows,
)
from nabi_music.prediction.form import DEFAULT_PHRASE_BARS, parse_form
from nabi_music.prediction.sampling import Sampling
from nabi_music.runs.generate import (
    DEFAULT_FORMATS,
    DEFAULT_OUT,
    FORMATS,
    check_formats,
    write_composition,
)


def add_generate_command(sub: Any) -> None:
    """Register ``generate`` on the ``nabi`` parser's subcommands."""
    p = sub.add_parser(
        "generate",
        help="compose new melodies with a trained bundle (MIDI, LilyPond, PDF/PNG, MusicXML, MP3)",
        description="Compose new melodies with a trained bundle, sampled note by note, "
        "optionally kept to a key, a pitch range, whole bars and a tonic ending.",
    )
    p.add_argument("bundle", help="a .nabi bundle written by `nabi train` or `nabi song`")
    p.add_argument(
        "--primer",
        metavar="SCORE|CODES",
        help="a score (its first window of notes) or note codes such as 'g8 e8 e4 f8' "
        "(default: the opening window of a training song; a corpus model starts from "
        "nothing)",
    )
    length = p.add_mutually_exclusive_group()
    length.add_argument("--length", type=int, metavar="N", help="new notes per melody (32)")
    length.add_argument(
        "--bars",
        type=int,
        metavar="B",
        help="new whole bars per melody, after completing the primer's last bar "
        "(implies --whole-bars)",
    )
    p.add_argument(
        "--temperature", type=float, default=1.0, help="sampling temperature; 0 = argmax (1)"
    )
    p.add_argument("--top-k", type=int, metavar="K", help="sample among the K likeliest codes")
    p.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    p.add_argument("--count", type=int, default=1, metavar="C", help="melodies (default 1)")
    p.add_argument(
        "--key",
        nargs="?",
        const="auto",
        metavar="KEY",
        help="keep to a key or scale: 'D major', 'a minor', 'E dorian', 'G pentatonic' "
        "...; alone, the key of the primer or of the training melodies",
    )
    p.add_argument("--range", metavar="LOW..HIGH", help="pitch range: c,..c'' or C3..C6 or 48..84")
    p.add_argument(
        "--whole-bars",
        action="store_true",
        help="bars add up to the time signature and the melody ends on a bar line",
    )
    p.add_argument(
        "--ties",
        action="store_true",
        help="with whole bars: notes may cross bar lines (written as tied notes)",
    )
    p.add_argument("--end-on-tonic", action="store_true", help="the last note is the key's tonic")
    p.add_argument(
        "--form",
        metavar="LETTERS",
        help="a song of phrases such as AABA: a repeated letter repeats its phrase, every "
        "phrase ends on a note of a beat or more on a strong beat, the last on the tonic "
        "(sets the length: letters x --phrase-bars)",
    )
    p.add_argument(
        "--phrase-bars",
        type=int,
        metavar="N",
        help=f"bars per phrase of --form ({DEFAULT_PHRASE_BARS})",
    )
    p.add_argument(
        "--vary",
        type=float,
        metavar="P",
        help="with --form: each note of a repeated phrase is re-sampled with probability "
        "P (0 to 1; its rhythm kept); 0: exact repeats (default)",
    )
    p.add_argument(
        "--no-syncopation",
        action="store_true",
        help="no note that starts off the beat sounds over the next beat (implies --whole-bars)",
    )
    p.add_argument(
        "--time-signature",
        metavar="N/D",
        help="metre (default: the primer's, or the training melodies')",
    )
    p.add_argument(
        "--formats",
        metavar="LIST",
        help=f"comma-separated, from {','.join(FORMATS)} (default all but wav; html is "
        "the report page index.html, mp3 and wav the audio)",
    )
    p.add_argument("--no-render", action="store_true", help="no PDF/PNG engraving")
    add_instrument_argument(p, "General MIDI instrument of the audio (piano)")
    add_audio_format_argument(p, default=None)
    add_notation_arguments(p, "instrumental", original=False)
    p.add_argument("--out", default=DEFAULT_OUT, help=f"output folder (default {DEFAULT_OUT})")
    p.set_defaults(func=cmd_generate)


def chosen_formats(args: argparse.Namespace) -> list[str]:
    """The formats to write: ``--formats`` (default all but WAV), the audio in
    ``--audio-format`` when given (it may not contradict ``--formats``), less PDF and PNG
    with ``--no-render``."""
    formats = check_formats(args.formats.split(",")) if args.formats else list(DEFAULT_FORMATS)
    chosen = getattr(args, "audio_format", None)
    if chosen:
        named = [f for f in formats if f in AUDIO_FORMATS]
        if args.formats and named and named != [chosen]:
            raise InputError(
                f"--formats names {','.join(named)} but --audio-format is {chosen}: "
                "name the audio in one of them"
            )
        formats = check_formats([f for f in formats if f not in AUDIO_FORMATS] + [chosen])
    if args.no_render:
        formats = [f for f in formats if f not in ("pdf", "png")]
    return formats


def cmd_generate(args: argparse.Namespace) -> int:
    formats = chosen_formats(args)
    request = Request(
        length=args.length,
        bars=args.bars,
        sampling=Sampling(args.temperature, args.top_k),
        seed=args.seed,
        count=args.count,
        key=args.key,
        pitch_range=args.range,
        whole_bars=args.whole_bars,
        ties=args.ties,
        end_on_tonic=args.end_on_tonic,
        time_signature=args.time_signature,
        form=parse_form(args.form) if args.form is not None else None,
        phrase_bars=args.phrase_bars,
        vary=args.vary,
        no_syncopation=args.no_syncopation,
    )
    form = request.song_form
    if form is not None and request.count * form.bars > MAX_GENERATED_BARS:
        raise InputError(
            f"--count {request.count:,} times the {form.bars} bars of --form {form.letters} "
            f"is {request.count * form.bars:,} bars, over the limit of "
            f"{MAX_GENERATED_BARS:,} bars in one run"
        )
    # option values are checked before TensorFlow loads, so a typo fails at once
    if args.key and args.key != "auto":
        parse_scale(args.key)
    if args.range:
        parse_pitch_range(args.range)
    if args.time_signature:
        bar_length(args.time_signature)
    if not Path(args.bundle).is_file():
        raise InputError(f"{args.bundle}: no such bundle file")
    if any(f in AUDIO_FORMATS for f in formats):
        instrument_program(args.instrument)  # an unknown name fails before any work
    check_out_dir(args.out)
    bundle = load_bundle(args.bundle)  # checked before TensorFlow starts
    window = bundle.config.window
    minimum = 1 if start_padded(bundle.config) else window
    primer = load_primer(args.primer, window, minimum) if args.primer else None
    composition = compose(bundle, request, primer)
    written = write_composition(
        composition,
        args.out,
        formats,
        instrument=args.instrument,
        notation=notation_of(args),
        command=getattr(args, "command_line", None),
    )

    sampling = request.sampling
    count = len(composition.melodies)
    print(
        f"{composition.preset}: {count} {'melody' if count == 1 else 'melodies'}, "
        f"seed {request.seed}, temperature {sampling.temperature:g}, "
        f"top-k {sampling.top_k or '-'}; key {composition.key or 'each its own'}, "
        f"time {composition.time_signature or 'each its own'}"
    )
    if composition.constraints:
        print(f"constraints: {'; '.join(composition.constraints)}")
    for g in composition.melodies:
        setting = f"{g.melody.key or 'no key'}, {g.melody.time_signature or 'no metre'}"
        print(
            f"melody {g.index} (primer: {g.primer.origin}; {setting}): {' '.join(g.melody.codes)}"
        )
        if g.phrases:
            print(f"  phrases: {'; '.join(p.describe() for p in g.phrases)}")
    print()
    print(stats_table(composition))
    print()
    rhythm = rhythm_table(composition)
    if rhythm:
        print(rhythm)
        print()
    comparison = composition.stats().get("comparison")
    if comparison:
        print(comparison_table(comparison))
        print()
    for note in written.notes:
        err(f"warning: {note}")
    for skipped in written.skipped:
        err(f"skipped {skipped}")
    print("wrote:")
    for f in written.files:
        print(f"  {shown_path(f)}")
    return 0


# --- the statistics table -----------------------------------------------------


def _pct(value: Any) -> str:
    return "-" if value is None else f"{value:.0%}"


def _num(value: Any, fmt: str) -> str:
    return "-" if value is None else format(value, fmt)


RHYTHM_DURATIONS = ("1/4", "1/2", "1", "3/2", "2")
"""The note lengths (quarters) the rhythm table shows: 16th, 8th, quarter, dotted quarter, half."""


def rhythm_table(composition: Composition) -> str:
    """The rhythm figures as a text table (empty when no melody has a metre)."""
    rows = [(label, s["rhythm"]) for label, s in stats_rows(composition) if s.get("rhythm")]
    if not rows:
        return ""
    names = "".join(f"{duration_label(d):>8}" for d in RHYTHM_DURATIONS)
    header = (
        f"{'rhythm':<22}{'beats':>6}{'downb.':>7}{'sync.':>6}{names}"
        f"{'last':>6}{'on 1':>6}{'bars rep':>9}{'2-bar':>6}"
    )
    lines = [header, "-" * len(header)]
    for label, r in rows:
        shares = "".join(f"{_pct(r['durations'].get(d, 0.0)):>8}" for d in RHYTHM_DURATIONS)
        lines.append(
            f"{label:<22}{_pct(r['onsets_on_beats']):>6}{_pct(r['onsets_on_downbeats']):>7}"
            f"{_pct(r['syncopation_rate']):>6}{shares}"
            f"{_num(r['last_note_beats'], '.1f'):>6}{_pct(r['last_note_on_downbeat']):>6}"
            f"{_pct(r['bar_repetition']):>9}{_pct(r['two_bar_repetition']):>6}"
        )
    lines.append(
        "beats/downb.: onsets on beats/downbeats; sync.: notes off the beat sounding over "
        "the next; note lengths as shares of notes; last: the last note's length in beats; "
        "on 1: last notes on a downbeat; bars rep/2-bar: bars (pairs) repeating an earlier one"
    )
    return "\n".join(lines)


def _figure(value: float, kind: str) -> str:
    return f"{value:.1%}" if kind == "pct" else f"{value:.2f}"


def comparison_table(rows: list[dict[str, Any]]) -> str:
    """Each figure: the generated melodies' mean beside the training songs' mean and the
    central 90% of their own figures (each song alone, its n-grams looked up in the
    other songs); ``!`` marks a mean outside that range."""
    songs = max(r["training_songs"] for r in rows)
    header = f"{'figure':<32}{'generated':>10}{'training':>10}   training songs 5%..95%  (min..max)"
    lines = [
        f"generated (mean of the melodies) against the {songs} training songs' own figures",
        header,
        "-" * len(header),
    ]
    for r in rows:
        kind = r["kind"]
        span = f"{_figure(r['training_low'], kind)}..{_figure(r['training_high'], kind)}"
        extremes = f"({_figure(r['training_min'], kind)}..{_figure(r['training_max'], kind)})"
        mark = "" if r["within"] else "  ! outside"
        lines.append(
            f"{r['label']:<32}{_figure(r['generated_mean'], kind):>10}"
            f"{_figure(r['training_mean'], kind):>10}   {span:<22}{extremes}{mark}"
        )
    outside = [r["label"] for r in rows if not r["within"]]
    lines.append(
        f"outside the training range: {', '.join(outside)}"
        if outside
        else "every figure lies within the training songs' range"
    )
    return "\n".join(lines)


def stats_table(composition: Composition) -> str:
    """The statistics as a text table: each melody, all generated, and the references."""
    rows = stats_rows(composition)
    header = (
        f"{'':<22}{'notes':>6}  {'range':<10}{'span':>5}{'pc bits':>8}{'in key':>7}"
        f"{'|int|':>6}{'steps':>6}   copied n=4    6    8"
    )
    lines = [header, "-" * len(header)]
    for label, s in rows:
        rng = f"{s['lowest']}..{s['highest']}" if s["lowest"] else "-"
        rep = s["repeated_ngram_rate"]
        lines.append(
            f"{label:<22}{s['notes']:>6}  {rng:<10}{_num(s['span_semitones'], 'd'):>5}"
            f"{s['pitch_class_entropy_bits']:>8.2f}{_pct(s['in_scale_rate']):>7}"
            f"{_num(s['mean_abs_interval'], '.1f'):>6}{_pct(s['step_rate']):>6}"
            f"   {_pct(rep['4']):>10}{_pct(rep['6']):>5}{_pct(rep['8']):>5}"
        )
    return "\n".join(lines)
