{ \time 3/0 c4 d4 }
