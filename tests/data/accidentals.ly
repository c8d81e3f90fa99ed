% Accidentals spelled as written (eis, ces, double sharps and flats), octave marks and an
% octave check in relative mode, a chord and a repeated chord (q: top note kept), a skip
% (heard as a rest), a multi-measure rest and dotted values.
\version "2.24.0"
\relative c'' {
  \key a \major
  \time 4/4
  a4 cis, eis fisis |
  geses4. ces8 bes='2 |
  <a cis e>4 q8 r8 s4 e'16 dis32 d32 r8 |
  R1*2 |
  a,2.. r8 |
}
