{ \repeat unfold 1000000000 { } c4 }
