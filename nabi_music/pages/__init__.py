"""The HTML report pages: the shared frame, the song page and the page of generated melodies."""
