"""Run the LilyPond binary (from the ``lilypond`` PyPI package) to engrave ``.ly`` files."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from nabi_music.errors import RenderError

FORMATS = ("pdf", "png", "svg")
_SAFE_MODE_GONE = "safe mode was removed"


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


def compile_ly(
    ly_path: str | os.PathLike[str],
    out_dir: str | os.PathLike[str] | None = None,
    formats: Sequence[str] = ("pdf",),
    timeout: float = 120.0,
    safe: bool = False,
) -> list[Path]:
    """Engrave ``ly_path`` with LilyPond and return the files it made.

    The output files are named after the ``.ly`` file (``song.pdf``,
    ``song.png`` or ``song-page1.png`` ...) and put in ``out_dir`` (default:
    the folder of the ``.ly`` file), which is also LilyPond's working folder.
    LilyPond writes into a fresh temporary folder first, so a failed run leaves
    no half-made output behind. ``formats`` are any of ``pdf``, ``png`` and
    ``svg`` (SVG needs LilyPond's SVG back end, so it takes a second run).

    ``safe=True`` asks for LilyPond's ``-dsafe`` mode, meant for ``.ly`` files
    from others. LilyPond removed that mode in 2.23.12 and refuses to run with
    it, so on current LilyPond this always raises :class:`RenderError`: render
    only ``.ly`` files that nabi_music wrote, or run LilyPond in a sandbox.

    Raises :class:`RenderError` with LilyPond's own ``error:`` lines when it
    fails, takes longer than ``timeout`` seconds, or makes no output.
    """
    ly = Path(ly_path).resolve()
    if not ly.is_file():
        raise RenderError(f"no LilyPond file at {ly_path}")
    fmts = list(dict.fromkeys(f.lower().lstrip(".") for f in formats))
    unknown = [f for f in fmts if f not in FORMATS]
    if unknown or not fmts:
        raise RenderError(
            f"cannot render to {', '.join(unknown) or 'no format'}: "
            f"expected one or more of {', '.join(FORMATS)}"
        )
    out = ly.parent if out_dir is None else Path(out_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    exe = lilypond_executable()

    # LilyPond's default back end cannot write SVG, and its SVG back end writes nothing else.
    other = [f"--{f}" for f in fmts if f != "svg"]
    runs = ([other] if other else []) + ([["--svg"]] if "svg" in fmts else [])

    work = Path(tempfile.mkdtemp(prefix=f".{ly.stem}.lilypond-", dir=out))
    try:
        for flags in runs:
            cmd = [str(exe), *flags, "-o", str(work / ly.stem)]
            if safe:
                cmd.append("-dsafe")
            cmd.append(str(ly))
            _run(cmd, ly, out, timeout)
        made = sorted(p for p in work.iterdir() if p.is_file())
        if not any(p.suffix.lstrip(".") in fmts for p in made):
            raise RenderError(f"LilyPond made no {'/'.join(fmts)} file from {ly}")
        results = []
        for p in made:
            dest = out / p.name
            os.replace(p, dest)
            results.append(dest)
        return results
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _run(cmd: list[str], ly: Path, cwd: Path, timeout: float) -> None:
    env = dict(os.environ, LANGUAGE="C", LC_MESSAGES="C")
    env.pop("LC_ALL", None)
    try:
        proc = subprocess.Popen(
            cmd,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            errors="replace",
            start_new_session=True,
        )
    except OSError as err:
        raise RenderError(f"cannot start LilyPond ({cmd[0]}): {err}") from err
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired as err:
        _kill_group(proc)
        raise RenderError(
            f"LilyPond took longer than {timeout:g} s on {ly} and was stopped"
        ) from err
    if proc.returncode == 0:
        return
    log = stderr + stdout
    if _SAFE_MODE_GONE in log:
        raise RenderError(
            f"LilyPond refused to render {ly} in safe mode: safe mode was removed in "
            "LilyPond 2.23.12. Render only .ly files that nabi_music wrote, "
            "or run LilyPond in a sandbox"
        )
    errors = [line.strip() for line in log.splitlines() if "error:" in line]
    errors = [e for e in errors if not e.startswith("fatal error: failed files")] or errors
    if not errors:
        errors = [line.strip() for line in log.splitlines() if line.strip()][-3:]
    raise RenderError(
        f"LilyPond could not compile {ly} (exit code {proc.returncode}):\n" + "\n".join(errors)
    )


def _kill_group(proc: subprocess.Popen[str]) -> None:
    """Stop LilyPond and any helper it started (it runs in its own session)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()
    proc.communicate()
