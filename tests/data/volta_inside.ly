% LilyPond 2.24's form: the \alternative endings inside the repeated music, and a
% volta repeat of three passes with two endings (the first ending serves twice).
\version "2.24.0"
\relative c' {
  \time 2/4
  \repeat volta 2 { c4 d | \alternative { { e2 } { f2 } } }
  \repeat volta 3 { g4 a } \alternative { { b2 } { c2 } }
  \bar "|."
}
