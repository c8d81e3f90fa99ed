% Triplet eighths, a tied pair of triplets, and a grace note (dropped: it has no duration).
\version "2.24.0"
\relative c' { \time 2/4 \tuplet 3/2 { c8 d e } \tuplet 3/2 { f8~ f g } | \grace f16 e2 }
