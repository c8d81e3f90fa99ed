% Two voices on one staff: the reader keeps the first (upper) voice.
\version "2.24.0"
\relative c'' { \time 2/4 << { c4 d } \\ { a4 b } >> | e2 }
