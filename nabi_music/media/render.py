"""Engrave ``.ly`` files with the LilyPond binary of the ``lilypond`` PyPI package.

:func:`render_files` renders many files in few LilyPond processes: the files
are copied under unique names into a private working folder (``one_step.ly``
of every preset can share one run), split over ``jobs`` processes that run in
parallel, and engraved with LilyPond's Cairo back end, which writes PDF, PNG
and SVG in one pass (several times faster than the PostScript back end).
The PDF is the full page; the PNG and SVG are cropped to the music, the PNG
with a white margin. Titles in Hangul get the NanumGothic font
(:mod:`nabi_music.media.fonts`) as a fallback after LilyPond's own serif font.

Safety: LilyPond runs any Scheme code a ``.ly`` file embeds, and LilyPond 2.24
removed its ``-dsafe`` mode; a filter over LilyPond's text loses to its lexer.
So unless the caller vouches for the files (``trusted=True``), LilyPond never
sees a file as it is: :func:`own_source` writes it again with nabi_music's
own writer, from the recipe a file nabi_music wrote carries, or from the
melody nabi_music reads in any other file. What LilyPond gets is notes and
escaped strings only, staged in a private folder with no include path.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from nabi_music.errors import InputError, RenderError
from nabi_music.fileio import atomic_write
from nabi_music.media.fonts import HANGUL_FAMILY, hangul_font_files, has_hangul
from nabi_music.readers import read
from nabi_music.writers.lilypond import lilypond_source, source_from_recipe

FORMATS = ("pdf", "png", "svg")
DEFAULT_FORMATS = ("pdf", "png")
DEFAULT_TIMEOUT = 120.0
PNG_RESOLUTION = 150
"""Dots per inch of the PNG: a 2/4 line of eighths reads well at 100% zoom."""
PNG_MARGIN = 16
"""White pixels added around the cropped PNG."""
SERIF_FAMILIES = f"C059, {HANGUL_FAMILY}"
"""LilyPond's default serif font first; glyphs it lacks (Hangul) come from the second."""

_SETTINGS = "nabi-settings.ly"
_PROBE = "nabi-probe"
_PROBE_SOURCE = (
    '\\version "2.24.0"\n\\header { tagline = ##f }\n'
    "\\markup \\with-color #red \\filled-box #'(0 . 6) #'(0 . 6) #0\n"
)
# Lines LilyPond prints about every font file without a table it looks for: noise.
_NOISE = ("programming error: FT_Load_Sfnt_Table", "continuing, cross fingers")


@dataclass(frozen=True)
class Rendered:
    """What one ``.ly`` file became: the files made and LilyPond's warnings about it."""

    source: Path
    files: tuple[Path, ...]
    warnings: tuple[str, ...] = ()

    def get(self, fmt: str) -> Path | None:
        """The made file of format ``fmt`` (``pdf``, ``png``, ``svg``), if any."""
        return next((f for f in self.files if f.suffix == "." + fmt), None)


def lilypond_executable() -> Path:
    """The path of the LilyPond binary that the ``lilypond`` package ships."""
    try:
        import lilypond
    except ImportError as err:
        raise RenderError(
            "LilyPond is not installed: install the 'lilypond' package (pip install lilypond)"
        ) from err
    try:
        path = Path(lilypond.executable())
    except Exception as err:  # the package raises various errors when its binary is missing
        raise RenderError(f"the 'lilypond' package has no usable binary: {err}") from err
    if not path.is_file() or not os.access(path, os.X_OK):
        raise RenderError(
            f"the LilyPond binary {path} is missing or not executable: "
            "reinstall the 'lilypond' package"
        )
    return path


def lilypond_version() -> str:
    """The version of the ``lilypond`` package (the binary's version), or ``"unknown"``."""
    try:
        return version("lilypond")
    except PackageNotFoundError:
        return "unknown"


# --- what is rendered -----------------------------------------------------------

MAX_LY_BYTES = 20_000_000
"""The largest ``.ly`` file read for rendering."""


def own_source(path: Path, text: str) -> tuple[str, list[str]]:
    """The LilyPond text nabi_music renders for the file ``path`` holding ``text``, and
    warnings about it: never ``text`` itself, but what nabi_music's writer makes.

    A file nabi_music wrote carries its recipe (the codes, metadata and options it
    was written with, as JSON in a comment line): it is written again from that.
    Any other ``.ly`` is read as a score (:func:`nabi_music.readers.read`, which runs
    nothing) and its (first) melody written again. Either way LilyPond sees only
    notes and escaped strings: no Scheme, no ``\\include``, no output paths.
    """
    regenerated = source_from_recipe(text, str(path))
    if regenerated is not None:
        notes = (
            []
            if regenerated == text
            else ["changed since nabi_music wrote it: engraved from its recipe, as written then"]
        )
        return regenerated, notes
    melodies = read(path)
    if not melodies:
        raise InputError(f"{path}: no melody to engrave")
    notes = [
        "not written by nabi_music: engraved from the melody nabi_music reads in it "
        "(render it as it is with --trust, if you trust it)"
    ]
    if len(melodies) > 1:
        notes.append(f"holds {len(melodies)} melodies: engraved the first")
    return lilypond_source(melodies[0]), notes


# --- rendering ------------------------------------------------------------------


def render_files(
    lys: Sequence[str | os.PathLike[str]],
    formats: Sequence[str] = DEFAULT_FORMATS,
    *,
    out_dirs: Sequence[str | os.PathLike[str] | None] | None = None,
    jobs: int = 2,
    timeout: float = DEFAULT_TIMEOUT,
    trusted: bool = False,
    resolution: int = PNG_RESOLUTION,
) -> list[Rendered]:
    """Engrave every file of ``lys`` to ``formats`` and return what each became.

    Each output is named after its ``.ly`` file (``song.pdf``, ``song.png``,
    ``song.svg``) and put in its ``out_dirs`` entry (default: the folder of the
    ``.ly`` file), replacing any older file of that name. The files are
    rendered by at most ``jobs`` LilyPond processes running in parallel; a
    file that ``\\include``\\ s a relative path finds it through LilyPond's
    include path (its own folder).

    Unless ``trusted``, LilyPond never sees a file's own text, only what
    nabi_music's writer makes of it (:func:`own_source`), and no include path.
    Raises :class:`RenderError` with LilyPond's own ``error:`` lines when a
    file fails (then no output of this call is written), and when LilyPond
    runs longer than ``timeout`` seconds in all.
    """
    fmts = _check_formats(formats)
    sources = [Path(p).resolve() for p in lys]
    if not sources:
        return []
    outs = [
        (s.parent if o is None else Path(o).resolve())
        for s, o in zip(sources, out_dirs or [None] * len(sources), strict=True)
    ]
    seen: dict[Path, Path] = {}
    for src, out in zip(sources, outs, strict=True):
        other = seen.setdefault(out / src.stem, src)
        if other != src:
            raise RenderError(
                f"{other} and {src} would both be rendered to {out / src.stem}.*: "
                "render them into different folders"
            )
    texts = []
    for src in sources:
        if not src.is_file():
            raise RenderError(f"no LilyPond file at {src}")
        if src.stat().st_size > MAX_LY_BYTES:
            raise InputError(f"{src}: over {MAX_LY_BYTES:,} bytes; not rendered")
        try:
            texts.append(src.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as err:
            raise RenderError(f"cannot read {src}: {err}") from err
    per_file: list[list[str]] = [[] for _ in sources]
    if not trusted:
        owned = [own_source(src, text) for src, text in zip(sources, texts, strict=True)]
        texts = [text for text, _ in owned]
        per_file = [notes for _, notes in owned]
    exe = lilypond_executable()
    fonts = hangul_font_files()
    notes: list[str] = []
    if not fonts and any(has_hangul(t) for t in texts):
        notes.append(
            "warning: no Hangul font found (install the koreanize-matplotlib package): "
            "Korean text is left out of the engraving"
        )

    work = Path(tempfile.mkdtemp(prefix="nabi-render-"))
    try:
        (work / _SETTINGS).write_text(_settings_source(fonts), encoding="utf-8")
        staged = [f"f{k:03d}-{_plain_stem(src)}" for k, src in enumerate(sources)]
        for name, text in zip(staged, texts, strict=True):
            (work / f"{name}.ly").write_text(text, encoding="utf-8")
        names = list(staged)
        if "png" in fmts:
            (work / f"{_PROBE}.ly").write_text(_PROBE_SOURCE, encoding="utf-8")
            names.insert(0, _PROBE)
        jobs = max(1, min(jobs, len(names)))
        batches = [names[k::jobs] for k in range(jobs)]
        include_dirs = list(dict.fromkeys(str(s.parent) for s in sources)) if trusted else []
        logs = _run_batches(exe, work, batches, fmts, include_dirs, resolution, timeout)
        renames = {f"{name}.ly": str(src) for name, src in zip(staged, sources, strict=True)}
        _raise_on_errors(logs, renames)
        swap = "png" in fmts and _probe_swaps_red_and_blue(work / f"{_PROBE}.cropped.png")
        results = []
        for name, src, out, own in zip(staged, sources, outs, per_file, strict=True):
            made = _collect(work, name, src.stem, fmts, out, swap, resolution)
            warnings = _warnings_about(logs, f"{name}.ly", str(src))
            results.append(Rendered(src, tuple(made), tuple(notes + own + warnings)))
        return results
    finally:
        shutil.rmtree(work, ignore_errors=True)


def render_file(
    ly_path: str | os.PathLike[str],
    formats: Sequence[str] = DEFAULT_FORMATS,
    *,
    out_dir: str | os.PathLike[str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    trusted: bool = False,
) -> Rendered:
    """:func:`render_files` for one file."""
    return render_files(
        [ly_path], formats, out_dirs=[out_dir], jobs=1, timeout=timeout, trusted=trusted
    )[0]


def compile_ly(
    ly_path: str | os.PathLike[str],
    out_dir: str | os.PathLike[str] | None = None,
    formats: Sequence[str] = ("pdf",),
    timeout: float = DEFAULT_TIMEOUT,
    safe: bool = False,
) -> list[Path]:
    """Engrave ``ly_path`` and return the files made (see :func:`render_files`).

    ``safe=True`` engraves what nabi_music's writer makes of the file
    (:func:`own_source`), never the file's own text: LilyPond 2.24 removed its
    own ``-dsafe`` mode, so this is the safe mode.
    """
    made = render_file(ly_path, formats, out_dir=out_dir, timeout=timeout, trusted=not safe)
    return list(made.files)


def _check_formats(formats: Sequence[str]) -> list[str]:
    fmts = list(dict.fromkeys(f.lower().lstrip(".") for f in formats))
    unknown = [f for f in fmts if f not in FORMATS]
    if unknown or not fmts:
        raise RenderError(
            f"cannot render to {', '.join(unknown) or 'no format'}: "
            f"expected one or more of {', '.join(FORMATS)}"
        )
    return fmts


def _plain_stem(path: Path) -> str:
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", path.stem)[:40]
    return stem or "score"


def scheme_string(text: str) -> str:
    """``text`` as a Scheme string literal; refuses control characters."""
    if any(ord(ch) < 32 or ord(ch) == 0x7F for ch in text):
        raise RenderError(f"cannot pass {text!r} to LilyPond: it holds control characters")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _settings_source(fonts: Sequence[Path]) -> str:
    """The file LilyPond includes before each score: the Hangul font and the serif family."""
    lines = [f"#(ly:font-config-add-font {scheme_string(str(f))})" for f in fonts]
    if fonts:
        lines.append(
            f"\\paper {{ property-defaults.fonts.serif = {scheme_string(SERIF_FAMILIES)} }}"
        )
    return "\n".join(lines) + "\n"


def _run_batches(
    exe: Path,
    work: Path,
    batches: list[list[str]],
    fmts: list[str],
    include_dirs: list[str],
    resolution: int,
    timeout: float,
) -> list[tuple[int, str]]:
    """Run one LilyPond process per batch, all at once; their exit codes and logs."""
    flags = ["-dbackend=cairo", *(f"--{f}" for f in fmts)]
    if "png" in fmts or "svg" in fmts:
        flags += ["-dcrop", f"-dresolution={int(resolution)}"]
    flags.append(f"-dinclude-settings={scheme_string(_SETTINGS)}")
    for d in include_dirs:
        flags += ["-I", d]
    env = dict(os.environ, LANGUAGE="C", LC_MESSAGES="C")
    env.pop("LC_ALL", None)
    running = []
    try:
        for k, batch in enumerate(batches):
            log = open(work / f"log-{k}.txt", "w+", encoding="utf-8", errors="replace")  # noqa: SIM115
            try:
                proc = subprocess.Popen(
                    [str(exe), *flags, *(f"{name}.ly" for name in batch)],
                    cwd=work,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            except OSError as err:
                log.close()
                raise RenderError(f"cannot start LilyPond ({exe}): {err}") from err
            running.append((proc, log))
        deadline = time.monotonic() + timeout
        results = []
        for proc, log in running:
            try:
                proc.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired as err:
                raise RenderError(
                    f"LilyPond took longer than {timeout:g} s and was stopped"
                ) from err
            log.seek(0)
            results.append((proc.returncode, log.read()))
        return results
    finally:
        for proc, log in running:
            if proc.poll() is None:
                _kill_group(proc)
            log.close()


def _rename(line: str, renames: dict[str, str]) -> str:
    for staged, original in renames.items():
        line = line.replace(staged, original)
    return line


def _raise_on_errors(logs: list[tuple[int, str]], renames: dict[str, str]) -> None:
    failed = [log for code, log in logs if code != 0]
    if not failed:
        return
    lines: list[str] = []
    for log in failed:
        found = [ln.strip() for ln in log.splitlines() if "error:" in ln]
        found = [e for e in found if not e.startswith("fatal error: failed files")] or found
        if not found:
            found = [ln.strip() for ln in log.splitlines() if ln.strip()][-3:]
        lines += found
    names = sorted({o for s, o in renames.items() if any(s in ln for ln in lines)})
    what = ", ".join(names) or "the score"
    raise RenderError(
        f"LilyPond could not compile {what}:\n" + "\n".join(_rename(ln, renames) for ln in lines)
    )


def _warnings_about(logs: list[tuple[int, str]], staged: str, original: str) -> list[str]:
    """LilyPond's warnings about ``staged``, and those that name no file (such as a
    missing glyph) from the run that rendered it."""
    out = []
    for _, log in logs:
        if staged not in log:
            continue
        for line in log.splitlines():
            if "warning:" not in line or any(n in line for n in _NOISE):
                continue
            if staged in line or ".ly:" not in line:
                out.append(line.strip().replace(staged, original))
    return list(dict.fromkeys(out))


def _probe_swaps_red_and_blue(png: Path) -> bool:
    """Whether LilyPond's Cairo PNG output drew the probe's red square blue.

    LilyPond 2.25.12's Cairo back end writes PNG pixels with red and blue
    swapped; the probe, rendered in the same run, tells whether this binary does.
    """
    from PIL import Image

    if not png.is_file():
        return False
    with Image.open(png) as im:
        rgb = im.convert("RGB")
        colors = rgb.getcolors(maxcolors=1 << 16) or []
    red = sum(c for c, (r, g, b) in colors if r > 200 and g < 60 and b < 60)
    blue = sum(c for c, (r, g, b) in colors if b > 200 and g < 60 and r < 60)
    return blue > red


def _collect(
    work: Path,
    name: str,
    stem: str,
    fmts: list[str],
    out: Path,
    swap: bool,
    resolution: int,
) -> list[Path]:
    """Move the made files of staged ``name`` to ``out`` as ``stem.<format>``."""
    out.mkdir(parents=True, exist_ok=True)
    made = []
    for fmt in fmts:
        src = work / (f"{name}.pdf" if fmt == "pdf" else f"{name}.cropped.{fmt}")
        if not src.is_file():
            raise RenderError(f"LilyPond made no {fmt.upper()} file for {stem}.ly")
        dest = out / f"{stem}.{fmt}"
        with atomic_write(dest) as tmp:
            if fmt == "png":
                _finish_png(src, tmp, swap, resolution)
            else:
                shutil.copyfile(src, tmp)
        made.append(dest)
    return made


def _finish_png(src: Path, dest: Path, swap: bool, resolution: int) -> None:
    """Fix the channel order when needed, flatten on white and add a margin."""
    from PIL import Image

    with Image.open(src) as im:
        rgba = im.convert("RGBA")
    if swap:
        r, g, b, a = rgba.split()
        rgba = Image.merge("RGBA", (b, g, r, a))
    page = Image.new("RGB", (rgba.width + 2 * PNG_MARGIN, rgba.height + 2 * PNG_MARGIN), "white")
    page.paste(rgba, (PNG_MARGIN, PNG_MARGIN), rgba)
    page.save(dest, format="PNG", optimize=False, dpi=(resolution, resolution))


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """Stop LilyPond and any helper it started (it runs in its own session)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()
    proc.wait()
