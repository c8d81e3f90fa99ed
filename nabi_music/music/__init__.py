"""Music theory in pure Python (no music21): notes and codes, keys, scales, metre, ties."""
