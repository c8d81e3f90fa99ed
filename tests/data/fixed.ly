% \fixed mode, the form nabi_music writes (every note code is a LilyPond note),
% with a variable and a repeat that is always played out (unfold).
\version "2.24.0"
\header { title = "Fixed" }
theme = \fixed c' { g8 e e4 | f8 d d4 | }
\score {
  \new Staff { \time 2/4 \repeat unfold 2 { \theme } c'2 | }
  \layout { }
  \midi { }
}
