% Percent and tremolo repeats: LilyPond plays them out, written or not.
\version "2.24.0"
\relative c'' {
  \time 4/4
  \repeat percent 2 { c4 d e f } | \repeat tremolo 4 { g16 a } b2 |
}
