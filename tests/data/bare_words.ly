% Bare durations repeat the note (or chord) before them; a bare word as a tag's
% symbol; English note names. LilyPond plays c# bb a g f# e, c c c c d d, e-g e-g
\version "2.24.0"
\language "english"
\score {
  \new Staff {
    \new Voice = "melody" {
      \key g \major \time 3/4 \accidentalStyle modern
      cs'4 bf8( a) \tag #'score { g4 } \tag score { fs4 } e2.
      \repeat unfold 2 { c'4 4 } d'8 8 <e' g'>4 4
    }
  }
}
