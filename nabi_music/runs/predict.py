"""The workflow behind ``nabi predict``: predict a score's melody with a trained bundle
(no retraining) and write the predictions, engraved and synthesised."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from nabi_music.errors import InputError
from nabi_music.fileio import check_out_dir, safe_name
from nabi_music.media.publish import MediaOptions, Published, publish
from nabi_music.models.bundle import load_bundle
from nabi_music.music.notes import Melody
from nabi_music.prediction.tutorial import Prediction, map_unknown_codes, predict
from nabi_music.runs.song import song_name, write_prediction
from nabi_music.writers.notation import Notation


@dataclass(frozen=True)
class PredictRun:
    prediction: Prediction
    files: tuple[Path, ...]
    media: Published | None = None


def predict_score(
    bundle_path: str,
    melody: Melody,
    score: str,
    out: str,
    *,
    map_unknown: str = "error",
    media: MediaOptions | None = None,
    notation: Notation | None = None,
) -> PredictRun:
    """Predict ``melody`` (read from ``score``) with the bundle and write, under
    ``out/<song>/<preset>/``, the MIDI, LilyPond and MusicXML files of both modes (and
    their media); ``notation`` as for :func:`nabi_music.runs.song.run_song`.

    ``map_unknown``: ``error`` for codes the model never saw, or ``nearest`` to map each
    to the nearest code it knows (with a warning).
    """
    check_out_dir(out)
    if not Path(bundle_path).is_file():
        raise InputError(f"{bundle_path}: no such bundle file")
    bundle = load_bundle(bundle_path)  # checked before TensorFlow starts
    unknown = bundle.vocabulary.unknown(melody.codes)
    if unknown and map_unknown == "nearest":
        melody, _ = map_unknown_codes(melody, bundle.vocabulary)
    elif unknown:
        raise InputError(
            f"{score} holds codes the model never saw: {' '.join(dict.fromkeys(unknown))}; "
            "use --map-unknown nearest to map each to the nearest code the model knows"
        )
    prediction = predict(bundle, melody)
    name = bundle.config.preset
    folder = Path(out) / song_name(score) / safe_name(name)
    folder.mkdir(parents=True, exist_ok=True)
    files = write_prediction(prediction, folder, name, notation)
    published = None
    if media is not None:
        published = publish(files, media)
        files += published.files
    return PredictRun(prediction, files, published)
