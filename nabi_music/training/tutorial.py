"""Train a tutorial preset on melodies: encode, window, build, train, and bundle the result.

With :func:`nabi_music.prediction.tutorial.predict` this is the tutorial's
experiment: :func:`train_preset` returns a :class:`Bundle`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from nabi_music.data.encoding import Vocabulary, feature_table
from nabi_music.data.windows import make_windows
from nabi_music.errors import InputError
from nabi_music.models.builders import build_model
from nabi_music.models.bundle import Bundle, library_versions, training_meta
from nabi_music.models.history import History
from nabi_music.models.presets import ModelConfig
from nabi_music.music.notes import Melody
from nabi_music.training.loop import Progress, train_model

DEFAULT_SEED = 1


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
    score_last: Callable[[Bundle], dict[str, float]] | None = None,
) -> Bundle:
    """Train one preset on ``melodies`` (``config.epochs`` at most) and bundle the result.

    The bundle holds the weights of the best epoch (``keep="best"``: the
    highest one-step accuracy on the first melody, ties broken by the lower
    training loss) or of the last (``keep="last"``); its history records the
    kept epoch and the last epoch's figures, with what ``score_last`` says of a
    bundle of the last epoch's weights
    (:func:`nabi_music.prediction.tutorial.last_epoch_scorer`: the full-song
    accuracy).
    """
    if not melodies:
        raise InputError("no melody to train on")
    vocabulary = vocabulary or Vocabulary.from_melodies(melodies)
    sequences = [vocabulary.encode(m.codes, where=_name(m, k)) for k, m in enumerate(melodies)]
    windows = make_windows(
        sequences, config.window, names=[_name(m, k) for k, m in enumerate(melodies)]
    )
    table = feature_table(vocabulary, config.encoding)
    model = build_model(config, len(vocabulary), seed)

    def last_figures() -> dict[str, float]:
        if score_last is None:
            return {}
        return score_last(Bundle(model, vocabulary, config, seed, History((), ())))

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
        score_last=last_figures,
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
