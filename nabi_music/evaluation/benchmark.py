"""K-fold cross-validation by song of any set of members on a corpus, on both tasks:
what ``nabi crossval`` runs, and its figures as JSON and as tables.

Every song is a test song exactly once; each fold also takes 10% of the songs for
validation (early stopping, the n-grams' orders, the mixture's weights), and
nothing learns from the test songs. The same folds serve every member and both
tasks (:data:`nabi_music.evaluation.members.TASKS`). Songs are key-normalised only
when asked (``key_normalised``), and the figures say so.

For each member, task and fold: bits per note pooled over the fold's notes and as
the mean of its songs' own means (IDyOM averages per song), top-1 and top-3
accuracy; and the same over all folds (every song once).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from nabi_music.data.corpus import folds as make_folds
from nabi_music.errors import InputError
from nabi_music.evaluation.cache import PredictionCache
from nabi_music.evaluation.crossval import pool
from nabi_music.evaluation.members import (
    TASK_TEXT,
    TASKS,
    Member,
    Task,
    figures,
    make_task,
    predict_split,
)
from nabi_music.evaluation.scores import Scores
from nabi_music.music.notes import Melody
from nabi_music.training.fit import FitProgress


@dataclass(frozen=True)
class FoldResult:
    """One member's figures on one fold's test songs, and what computing them took."""

    fold: int
    scores: Scores
    info: dict[str, Any]

    def to_dict(self, task: str) -> dict[str, Any]:
        return {"fold": self.fold + 1, **figures(self.scores, task), **self.info}


@dataclass
class Benchmark:
    """The figures of every member on both tasks, fold by fold, and the run's settings."""

    members: tuple[Member, ...]
    folds: int
    seed: int
    key_normalised: bool
    songs: int
    tasks: dict[str, Task]
    results: dict[str, dict[str, list[FoldResult]]] = field(default_factory=dict)
    """Task -> member -> one result per fold."""
    left_out: int = 0
    """Songs left out: no note with a pitch."""
    cache: PredictionCache | None = None
    seconds: float = 0.0
    meta: dict[str, Any] = field(default_factory=dict)
    """What the run read (corpus, read options), for the JSON."""

    def pooled(self, task: str, member: str) -> Scores:
        """A member's figures over every fold's test songs (every song once)."""
        return pool([r.scores for r in self.results[task][member]])

    def summary(self, task: str, member: str) -> dict[str, Any]:
        results = self.results[task][member]
        return {
            **figures(self.pooled(task, member), task),
            "seconds": sum(r.info.get("seconds", 0.0) for r in results),
            "cached_folds": sum(1 for r in results if r.info.get("cached")),
            "folds": [r.to_dict(task) for r in results],
        }

    def to_dict(self) -> dict[str, Any]:
        """The figures as ``nabi crossval --json`` writes them."""
        return {
            **self.meta,
            "key_normalised": self.key_normalised,
            "folds": self.folds,
            "seed": self.seed,
            "songs": self.songs,
            "left_out_songs": self.left_out,
            "tasks": {
                name: {
                    "what": TASK_TEXT[name],
                    "notes": sum(len(s.notes) for s in task.songs),
                    "codes": len(task.vocabulary),
                }
                for name, task in self.tasks.items()
            },
            "members": {
                m.name: {
                    **m.to_dict(),
                    **{task: self.summary(task, m.name) for task in self.results},
                }
                for m in self.members
            },
            "code_version": self.cache.code if self.cache else None,
            "cache": {
                "folder": str(self.cache.folder) if self.cache and self.cache.folder else None,
                "reused": self.cache.hits if self.cache else 0,
                "computed": self.cache.misses if self.cache else 0,
            },
            "seconds": self.seconds,
        }

    def heading(self) -> str:
        corpus = " ".join(self.meta.get("corpus", ())) or "corpus"
        normalised = (
            "key-normalised (every song moved to C major or A minor)"
            if self.key_normalised
            else "NOT key-normalised (songs in their own keys)"
        )
        return (
            f"{corpus}: {self.songs} songs, {self.folds}-fold cross-validation by song "
            f"(seed {self.seed}), songs {normalised}"
        )

    def tables(self) -> str:
        """The figures as the README's tables: per task, every member's pooled figures,
        then its bits per note fold by fold."""
        lines = [self.heading()]
        for name in self.results:
            task = self.tasks[name]
            notes = sum(len(s.notes) for s in task.songs)
            lines += [
                "",
                f"{name}: {TASK_TEXT[name]} ({notes:,} notes, {len(task.vocabulary)} codes)",
            ]
            header = (
                f"{'member':<18}{'bits/note':>10}{'song mean':>11}{'top-1':>8}{'top-3':>8}"
                f"{'seconds':>10}"
            )
            lines += [header, "-" * len(header)]
            for m in self.members:
                s = self.summary(name, m.name)
                lines.append(
                    f"{m.name:<18}{s['bits_pooled']:>10.3f}{s['bits_song_mean']:>11.3f}"
                    f"{s['top1']:>8.1%}{s['top3']:>8.1%}{s['seconds']:>10.1f}"
                )
            lines.append("bits/note, fold by fold:")
            lines.append(f"{'member':<18}" + "".join(f"{i + 1:>7}" for i in range(self.folds)))
            for m in self.members:
                row = self.results[name][m.name]
                lines.append(
                    f"{m.name:<18}"
                    + "".join(f"{figures(r.scores, name)['bits_pooled']:>7.3f}" for r in row)
                )
        return "\n".join(lines)


def cross_validate_members(
    melodies: Sequence[Melody],
    members: Sequence[Member],
    *,
    folds: int = 10,
    seed: int = 1,
    key_normalised: bool = False,
    cache: PredictionCache | None = None,
    tasks: Sequence[str] = TASKS,
    progress_for: Callable[[str], FitProgress | None] | None = None,
    on_fold: Callable[[str, int, dict[str, FoldResult]], None] | None = None,
    meta: dict[str, Any] | None = None,
) -> Benchmark:
    """K-fold cross-validation by song of ``members`` on ``melodies``, on each task."""
    start = time.perf_counter()
    usable = [m for m in melodies if any(n.pitch is not None for n in m.notes)]
    if not members:
        raise InputError("name at least one member to cross-validate")
    splits = make_folds(len(usable), folds, seed)
    made = {name: make_task(name, usable, key_normalised) for name in tasks}
    bench = Benchmark(
        tuple(members),
        folds,
        seed,
        key_normalised,
        len(usable),
        made,
        left_out=len(melodies) - len(usable),
        cache=cache,
        meta=dict(meta or {}),
    )
    for name, task in made.items():
        bench.results[name] = {m.name: [] for m in members}
        for i, split in enumerate(splits):
            predicted = predict_split(
                task,
                split,
                members,
                seed=seed,
                fold=i,
                folds=folds,
                cache=cache,
                progress_for=progress_for,
            )
            test_y = task.encode(split.test)
            fold = {
                m.name: FoldResult(
                    i, task.score(predicted.test[m.name], test_y), predicted.info[m.name]
                )
                for m in members
            }
            for m in members:
                bench.results[name][m.name].append(fold[m.name])
            if on_fold is not None:
                on_fold(name, i, fold)
    bench.seconds = time.perf_counter() - start
    return bench
