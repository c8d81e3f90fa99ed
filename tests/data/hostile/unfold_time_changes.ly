{ \repeat unfold 100000000 { \time 3/4 } c4 }
