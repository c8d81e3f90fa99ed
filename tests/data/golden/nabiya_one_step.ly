\version "2.24.0"
% nabi_music recipe: {"codes":["g8","e8","e4","f8","d8","d4","c8","d8","e8","f8","g8","g8","g4","g8","e8","e8","e8","f8","d8","d4","c8","e8","g8","g8","e8","e8","e4","d8","d8","d8","d8","d8","e8","f4","e8","e8","e8","e8","e8","f8","g4","g8","e8","e4","f8","d8","d4","c8","e8","g8","g8","e8","e8","e4"],"title":"\ub098\ube44\uc57c","key":"C major","time_signature":"2/4","tempo":100,"header":[],"pickup":null,"options":{"wrong":[[5,"d8"],[7,"e4"]],"title":null,"subtitle":"stateful-lstm \u2014 one-step prediction","subsubtitle":"2 of 50 wrong \u2014 96%","primer":4,"lyrics":null,"style":"vocal","reference":null,"line_bars":4}}

nabiWrong = {
  \once \override NoteHead.color = #red
  \once \override Stem.color = #red
  \once \override Flag.color = #red
  \once \override Dots.color = #red
  \once \override Accidental.color = #red
  \once \override Rest.color = #red
  \once \override Tie.color = #red
  \once \override LaissezVibrerTie.color = #red
}
nabiPrimer = {
  \once \override NoteHead.color = #grey
  \once \override Stem.color = #grey
  \once \override Flag.color = #grey
  \once \override Dots.color = #grey
  \once \override Accidental.color = #grey
  \once \override Rest.color = #grey
  \once \override Tie.color = #grey
  \once \override LaissezVibrerTie.color = #grey
}

\header {
  title = "나비야"
  subtitle = "stateful-lstm — one-step prediction"
  subsubtitle = "2 of 50 wrong — 96%"
  tagline = ##f
}

\paper {
  indent = 0\mm
  short-indent = 0\mm
  ragged-last = ##f
}

melody = \fixed c' {
  \key c \major
  \time 2/4
  \tempo 4 = 100
  \autoBeamOff
  \nabiPrimer g8 ^\markup \teeny \italic "primer" \nabiPrimer e8 \nabiPrimer e4 |
  \nabiPrimer f8 d8 \nabiWrong d4 ^\markup \with-color #red \teeny "d8" |
  c8 \nabiWrong d8 ^\markup \with-color #red \teeny "e4" e8 f8 |
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
  e8 e8 e4 |
  \bar "|."
}

codes = \lyricmode {
  "g8" "e8" "e4" "f8" "d8" "d4" "c8" "d8"
  "e8" "f8" "g8" "g8" "g4" "g8" "e8" "e8"
  "e8" "f8" "d8" "d4" "c8" "e8" "g8" "g8"
  "e8" "e8" "e4" "d8" "d8" "d8" "d8" "d8"
  "e8" "f4" "e8" "e8" "e8" "e8" "e8" "f8"
  "g4" "g8" "e8" "e4" "f8" "d8" "d4" "c8"
  "e8" "g8" "g8" "e8" "e8" "e4"
}

\score {
  <<
    \new Staff \new Voice = "melody" \melody
    \new Lyrics \lyricsto "melody" \codes
  >>
  \layout {
    \context { \Score \override NonMusicalPaperColumn.line-break-permission = ##f }
  }
}
