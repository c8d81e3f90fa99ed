"""Prediction: the tutorial's one-step and full-song, sampling, constraints, composing."""
