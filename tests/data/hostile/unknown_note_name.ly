{ xyz4 c4 d4 }
