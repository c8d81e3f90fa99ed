\version "2.24.0"

% "나비야" (Butterfly), the children's song of the Keras LSTM tutorial.
% The note codes under the staff are the tutorial's own (letter = pitch,
% number = duration), and the model's inputs and outputs.

\header {
  title = "나비야"
  subtitle = "Butterfly"
  composer = "Traditional"
}

\paper {
  indent = 0\mm
}

melody = \relative c'' {
  \clef treble
  \key c \major
  \time 2/4
  \tempo 4 = 100
  \autoBeamOff
  g8 e8 e4 |
  f8 d8 d4 |
  c8 d8 e8 f8 |
  g8 g8 g4 | \break
  g8 e8 e8 e8 |
  f8 d8 d4 |
  c8 e8 g8 g8 |
  e8 e8 e4 | \break
  d8 d8 d8 d8 |
  d8 e8 f4 |
  e8 e8 e8 e8 |
  e8 f8 g4 | \break
  g8 e8 e4 |
  f8 d8 d4 |
  c8 e8 g8 g8 |
  e8 e8 e4 \bar "|."
}

codes = \lyricmode {
  "g8" "e8" "e4" "f8" "d8" "d4" "c8" "d8" "e8" "f8" "g8" "g8" "g4"
  "g8" "e8" "e8" "e8" "f8" "d8" "d4" "c8" "e8" "g8" "g8" "e8" "e8" "e4"
  "d8" "d8" "d8" "d8" "d8" "e8" "f4" "e8" "e8" "e8" "e8" "e8" "f8" "g4"
  "g8" "e8" "e4" "f8" "d8" "d4" "c8" "e8" "g8" "g8" "e8" "e8" "e4"
}

\score {
  <<
    \new Staff \new Voice = "melody" \melody
    \new Lyrics \lyricsto "melody" \codes
  >>
  \layout { }
  \midi { }
}
