% A pickup bar, a volta repeat with two endings, a key and a time signature change
% and a tempo change: read as a listener hears it (body, ending 1, body, ending 2).
\version "2.24.0"
\header { title = "Repeats" }
\score {
  \relative c' {
    \key f \major \time 3/4 \tempo 4 = 96
    \partial 4 c4 |
    \repeat volta 2 { f4 g a | bes2 a4 | }
    \alternative { { g2 c,4 | } { g'2. | } }
    \key d \major \time 2/4 \tempo 4 = 120
    fis4 e8 d | cis2 | d2 \bar "|."
  }
  \layout { }
}
