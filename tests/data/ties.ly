% c4~ c8 merges into c4.; c4~ c16 stays a tied pair; a tie over a bar line merges into c2.
\version "2.24.0"
{ \time 2/4 c'4~ c'8 d'8 | e'4~ e'16 r8. | d'4 c'4~ | c'4 r4 \bar "|." }
