"""Media: engraving with LilyPond (and its safety check), audio, plots, fonts, and publishing."""
