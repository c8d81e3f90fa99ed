"""Evaluation: comparisons, scores, n-grams, mixtures, musical statistics and cross-validation."""
