"""From melodies to training data: corpus gathering and splits, transposition, encoding, windows."""
