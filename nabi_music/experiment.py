"""Train a preset on melodies, and predict a melody with a trained model.

This is the tutorial's experiment as two functions: :func:`train_preset`
(encode, window, build, train) returns a :class:`Bundle`; :func:`predict`
gives the one-step and full-song predictions of a melody, each compared note
by note with the real melody.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from nabi_music.bundle import Bundle, library_versions, training_meta
from nabi_music.encoding import TUTORIAL_VOCABULARY, Vocabulary, feature_table
from nabi_music.errors import InputError
from nabi_music.evaluation import Comparison, compare
from nabi_music.generation import predict_full_song, predict_one_step
from nabi_music.notes import Melody
from nabi_music.presets import ModelConfig
from nabi_music.training import History, Progress, train_model
from nabi_music.windows import make_windows

DEFAULT_SEED = 1
VOCABULARIES = ("data", "tutorial")


def choose_vocabulary(name: str, melodies: Sequence[Melody]) -> Vocabulary:
    """``data``: built from the melodies; ``tutorial``: the tutorial's 14 codes."""
    if name == "data":
        return Vocabulary.from_melodies(melodies)
    if name == "tutorial":
        return TUTORIAL_VOCABULARY
    raise InputError(f"unknown vocabulary {name!r}; expected one of {', '.join(VOCABULARIES)}")


def _name(melody: Melody, k: int) -> str:
    return f"{melody.source or 'melody'} ({melody.title or f'melody {k + 1}'})"


def train_preset(
    melodies: Sequence[Melody],
    config: ModelConfig,
    *,
    vocabulary: Vocabulary | None = None,
    seed: int = DEFAULT_SEED,
    until_perfect: bool = False,
    keep: str = "best",
    progress: Progress | None = None,
) -> Bundle:
    """Train one preset on ``melodies`` (``config.epochs`` at most) and bundle the result.

    The bundle holds the weights of the best epoch (``keep="best"``: the
    highest one-step accuracy on the first melody, ties broken by the lower
    training loss) or of the last (``keep="last"``); its history records the
    kept epoch and the last epoch's figures, full-song accuracy included.
    """
    from nabi_music.models import build_model

    if not melodies:
        raise InputError("no melody to train on")
    vocabulary = vocabulary or Vocabulary.from_melodies(melodies)
    sequences = [vocabulary.encode(m.codes, where=_name(m, k)) for k, m in enumerate(melodies)]
    windows = make_windows(
        sequences, config.window, names=[_name(m, k) for k, m in enumerate(melodies)]
    )
    table = feature_table(vocabulary, config.encoding)
    model = build_model(config, len(vocabulary), seed)

    def score_last() -> dict[str, float]:
        last = predict(Bundle(model, vocabulary, config, seed, History((), ())), melodies[0])
        return {"full_song_accuracy": last.full_song.accuracy}

    history = train_model(
        model,
        config,
        table,
        windows,
        epochs=config.epochs,
        seed=seed,
        until_perfect=until_perfect,
        keep=keep,
        progress=progress,
        score_last=score_last,
    )
    return Bundle(
        model=model,
        vocabulary=vocabulary,
        config=config,
        seed=seed,
        history=history,
        trained_on=tuple(m.source for m in melodies),
        versions=library_versions(),
        meta=training_meta(melodies),
    )


@dataclass(frozen=True)
class Prediction:
    """One-step and full-song predictions of one melody, each with its verdicts."""

    melody: Melody
    one_step: Comparison
    full_song: Comparison

    def as_melody(self, mode: str) -> Melody:
        """The predicted melody (primer included) with the real melody's metadata."""
        comparison = self.one_step if mode == "one_step" else self.full_song
        return Melody.from_codes(
            list(comparison.predicted),
            title=self.melody.title,
            key=self.melody.key,
            time_signature=self.melody.time_signature,
            tempo=self.melody.tempo,
            program=self.melody.program,
            source=self.melody.source,
        )


def predict(bundle: Bundle, melody: Melody) -> Prediction:
    """Predict ``melody`` with ``bundle``: one-step and full-song, from its first window."""
    window = bundle.config.window
    codes = melody.codes
    if len(codes) < window + 1:
        raise InputError(
            f"{_name(melody, 0)} has {len(codes)} notes; "
            f"a window of {window} needs at least {window + 1}"
        )
    indices = bundle.vocabulary.encode(codes, where=_name(melody, 0))
    table = bundle.table
    runner = bundle.runner()
    one = predict_one_step(runner, table, indices)
    full = predict_full_song(runner, table, indices[:window], len(codes) - window)
    primer = codes[:window]
    decode = bundle.vocabulary.decode
    return Prediction(
        melody=melody,
        one_step=compare(primer + decode(one), codes, window),
        full_song=compare(primer + decode(full), codes, window),
    )


MAP_UNKNOWN = ("error", "nearest")


def map_unknown_codes(melody: Melody, vocabulary: Vocabulary) -> tuple[Melody, dict[str, str]]:
    """``melody`` with every code the vocabulary lacks replaced by the nearest known code:
    nearest pitch first (a rest only by a rest, while the vocabulary has one), then nearest
    duration (by ratio), then the same tie. Returns the new melody and the mapping, and
    warns (:class:`NabiWarning`) listing the mappings."""
    import math
    import warnings

    from nabi_music.errors import NabiWarning
    from nabi_music.notes import parse_code

    missing = vocabulary.unknown(melody.codes)
    if not missing:
        return melody, {}
    known = [(code, parse_code(code)) for code in vocabulary.codes]
    if not known:
        raise InputError("the model knows no codes to map unknown codes to")

    def distance(a: object, b: object) -> tuple[float, float, int]:
        pa, pb = a.pitch, b.pitch  # type: ignore[attr-defined]
        if (pa is None) != (pb is None):
            pitch = 1000.0
        else:
            pitch = 0.0 if pa is None else abs(pa.midi - pb.midi)
        ratio = abs(math.log2(b.duration / a.duration))  # type: ignore[attr-defined]
        return pitch, ratio, int(a.tie != b.tie)  # type: ignore[attr-defined]

    mapping = {}
    for code in dict.fromkeys(missing):
        note = parse_code(code)
        mapping[code] = min(known, key=lambda kn: (*distance(note, kn[1]), kn[0]))[0]
    listed = ", ".join(f"{a} -> {b}" for a, b in mapping.items())
    where = melody.source or melody.title or "the melody"
    warnings.warn(
        f"{where}: mapped {len(mapping)} code(s) the model never saw to the nearest it knows: "
        f"{listed}",
        NabiWarning,
        stacklevel=2,
    )
    codes = [mapping.get(c, c) for c in melody.codes]
    return melody.with_notes([parse_code(c) for c in codes]), mapping
