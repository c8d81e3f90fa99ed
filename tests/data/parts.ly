% Two staves (parts): the first is read unless --part chooses the other.
\version "2.24.0"
\score {
  <<
    \new Staff = "upper" \relative c'' { \time 2/4 e4 d | c2 }
    \new Staff = "lower" \relative c' { \time 2/4 c4 g | c,2 }
  >>
  \layout { }
}
