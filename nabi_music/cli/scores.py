"""``nabi inspect`` and ``nabi render``: what a score holds, and engraving ``.ly`` files."""

from __future__ import annotations

import argparse
from typing import Any

from nabi_music.cli.common import add_reading_options, read_options
from nabi_music.cli.terminal import err, json_text, shown_path
from nabi_music.errors import printable
from nabi_music.media.render import render_files
from nabi_music.readers import read, read_report
from nabi_music.readers.summary import format_summary, summarize


def add_inspect_command(sub: Any) -> None:
    p = sub.add_parser("inspect", help="print the melodies a score holds")
    p.add_argument(
        "file", help="a score: .ly .musicxml .xml .mxl .mid .midi .abc .txt or corpus:PATH"
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument(
        "--summary",
        action="store_true",
        help="print figures: melodies read and skipped (and why), notes, codes, range",
    )
    add_reading_options(p)
    p.set_defaults(func=cmd_inspect)


def add_render_command(sub: Any) -> None:
    p = sub.add_parser("render", help="engrave .ly files with LilyPond (PDF, PNG, SVG)")
    p.add_argument("files", nargs="+", help="LilyPond files")
    p.add_argument("--pdf", action="store_true", help="write a PDF (default: PDF and PNG)")
    p.add_argument("--png", action="store_true", help="write a PNG cropped to the music")
    p.add_argument("--svg", action="store_true", help="write an SVG cropped to the music")
    p.add_argument("--out", help="output folder (default: beside each .ly file)")
    p.add_argument(
        "--trust",
        action="store_true",
        help="engrave each file as it is written (LilyPond runs any Scheme it holds: only "
        "for files you trust); by default nabi_music engraves its own writing of the "
        "melody each file holds",
    )
    p.add_argument(
        "--timeout", type=float, default=120.0, help="seconds before LilyPond is stopped"
    )
    p.set_defaults(func=cmd_render)


def cmd_inspect(args: argparse.Namespace) -> int:
    if args.summary:
        found, skipped = read_report(args.file, **read_options(args))
        summary = summarize(found, skipped)
        if args.json:
            print(json_text(summary.to_dict()))
        else:
            print("\n".join(format_summary(args.file, summary)))
        return 0
    melodies = read(args.file, **read_options(args))
    if args.json:
        data = {
            "melodies": [
                {
                    "title": m.title,
                    "key": m.key,
                    "time_signature": m.time_signature,
                    "tempo": m.tempo,
                    "codes": m.codes,
                }
                for m in melodies
            ]
        }
        print(json_text(data))
        return 0
    for k, m in enumerate(melodies, start=1):
        if len(melodies) > 1:
            print(f"--- melody {k} of {len(melodies)}")
        print(f"title:          {printable(m.title or '-')}")
        print(f"key:            {printable(m.key or '-')}")
        print(f"time signature: {printable(m.time_signature or '-')}")
        print(f"tempo:          {'-' if m.tempo is None else f'{m.tempo:g} per quarter'}")
        print(f"notes:          {len(m.notes)}")
        print(f"codes:          {printable(' '.join(m.codes))}")
    return 0


def cmd_render(args: argparse.Namespace) -> int:
    formats = [f for f in ("pdf", "png", "svg") if getattr(args, f)] or ["pdf", "png"]
    out_dirs = [args.out] * len(args.files) if args.out else None
    results = render_files(
        args.files, formats, out_dirs=out_dirs, trusted=args.trust, timeout=args.timeout
    )
    for rendered in results:
        for warning in rendered.warnings:
            err(f"{rendered.source.name}: {warning}")
        for f in rendered.files:
            print(f"wrote {shown_path(f)}")
    return 0
