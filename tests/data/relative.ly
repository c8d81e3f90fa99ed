% \relative without a start pitch, chords in relative mode (the next note goes on from
% the chord's first note), octave marks and checks, english note names, \times,
% a grace note with \acciaccatura and \afterGrace, and voices with a \global part.
\version "2.24.0"
\language "english"
global = { \key ef \major \time 3/4 }
\score {
  \new Staff <<
    \global
    \relative {
      ef'4 <g bf ef>2 | c,4 bf' af | \acciaccatura g8 f2. |
      \afterGrace g2 { af16 g } f4 | ef,='4 fs' cs'' | \times 2/3 { d8 ef f } g2 |
      << { bf4 c } \\ { g4 af } >> d4 | ef2. \bar "|."
    }
  >>
  \layout { }
}
