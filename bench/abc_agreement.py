"""Does nabi_music's ABC reader give music21's codes? (A check over a whole corpus, too
slow for the suite: music21's own translation takes minutes on the large files.)

    .venv/bin/python bench/abc_agreement.py                      # every ABC file of music21
    .venv/bin/python bench/abc_agreement.py --folder essenFolksong

For every ``.abc`` file of music21's corpus (or of one folder of it), the tunes are read
by nabi_music (``nabi_music.readers.abc``: music21's tokenizer, nabi_music's
translation in linear time) and by music21's own translation through the same bridge,
and compared as sets of (title, key, time signature, tempo, codes), tune order aside.
Prints each file that differs, each differing tune with its first differing note, and
the totals, with the seconds each reader took.
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections import Counter
from pathlib import Path


def music21_tunes(path: Path) -> list[tuple]:
    from nabi_music import backend
    from nabi_music.readers.music21_bridge import melodies_from_stream

    parsed = backend.music21("converter").parseFile(path, format="abc", forceSource=True)
    melodies, _ = melodies_from_stream(parsed, source=str(path), default_title=path.stem)
    return [(m.title, m.key, m.time_signature, m.tempo, tuple(m.codes)) for m in melodies]


def nabi_tunes(path: Path) -> list[tuple]:
    from nabi_music.readers._common import ReadOptions
    from nabi_music.readers.abc import read_abc

    melodies, _ = read_abc(path, str(path), ReadOptions())
    return [(m.title, m.key, m.time_signature, m.tempo, tuple(m.codes)) for m in melodies]


def first_difference(ours: tuple, theirs: tuple) -> str:
    fields = ("title", "key", "time signature", "tempo")
    for name, a, b in zip(fields, ours, theirs, strict=False):
        if a != b:
            return f"{name} {a!r} / music21 {b!r}"
    a, b = list(ours[4]), list(theirs[4])
    pairs = enumerate(zip(a, b, strict=False))
    k = next((i for i, (x, y) in pairs if x != y), min(len(a), len(b)))
    return f"{len(a)} / music21 {len(b)} notes; from note {k}: {a[k : k + 4]} / {b[k : k + 4]}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folder", help="one folder of music21's corpus, e.g. essenFolksong")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    from music21 import corpus

    paths = sorted(
        (Path(str(p)) for p in corpus.getPaths() if str(p).endswith(".abc")),
        key=lambda p: p.stat().st_size,
    )
    if args.folder:
        paths = [p for p in paths if p.parent.name == args.folder]
    tunes = differing = files = 0
    seconds = [0.0, 0.0]
    for path in paths:
        start = time.perf_counter()
        ours = Counter(nabi_tunes(path))
        middle = time.perf_counter()
        theirs = Counter(music21_tunes(path))
        seconds[0] += middle - start
        seconds[1] += time.perf_counter() - middle
        tunes += sum(theirs.values())
        only_ours, only_theirs = ours - theirs, theirs - ours
        if not only_ours and not only_theirs:
            continue
        files += 1
        print(f"{path.parent.name}/{path.name}: {sum(only_theirs.values())} tune(s) differ")
        by_title = {t[0]: t for t in only_theirs}
        for tune in only_ours:
            differing += 1
            match = by_title.get(tune[0])
            shown = first_difference(tune, match) if match else "no tune of that title"
            print(f"  {tune[0]}: {shown}")
    print(
        f"\n{len(paths)} files, {tunes:,} tunes (music21's count): {differing} tunes in "
        f"{files} files differ; nabi_music read them in {seconds[0]:.0f} s, music21 in "
        f"{seconds[1]:.0f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
