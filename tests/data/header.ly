\version "2.24.0"

% Header fields: the file's \header and the \score's own (the score's wins), markups
% of plain words read as text, a tagline and a \fromproperty left out.

\header {
  title = "Butterfly Songs"
  subtitle = "Songs for children"
  composer = "Traditional"
  poet = \markup { \italic "Anonymous" poet }
  opus = \markup \fromproperty #'header:title
  copyright = \markup \concat { "©" " 2024 Nabi Music" }
  meter = #"Moderato"
  tagline = ##f
}

\score {
  \relative c'' { \time 2/4 g8 e e4 | f8 d d4 | }
  \header {
    piece = "I. Nabiya"
    composer = "Korean folk song"
  }
}
