% \transpose and \fixed inside \relative: their music is absolute, and the relative
% notes after them go on from the note before them (as LilyPond plays it).
\version "2.24.0"
\score {
  \relative c'' {
    \time 4/4
    c4 \transpose c d { c4 e g } | c4 \fixed c' { c4 g } d4 |
    \transpose c es { c'4 d' e' f' } | g2 \times 2/3 { a4 bes c } |
  }
  \layout { }
}
