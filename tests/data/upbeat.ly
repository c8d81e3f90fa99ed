\version "2.24.0"

% An upbeat of one eighth before bars of 3/4.

\header { title = "Upbeat" }

\relative c'' {
  \time 3/4
  \partial 8
  g8 |
  c4 d e |
  f2. \bar "|."
}
