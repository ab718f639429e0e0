# surface-beale.gp — Beale: paths of the seed note's optimizers with tuned learning rates, exact gradients.
# Draws surface-beale.png and surface-beale.svg from surface-beale.dat: run `gnuplot surface-beale.gp` in this directory.
# Written by `optlab paths`; edit freely (colours: the Okabe–Ito palette).
set encoding utf8
font = "DejaVu Sans,11"
set datafile missing "NaN"
# contours of log10(f - f_min + 0.001), computed from its formula
f0(x, y) = (1.5-x+x*y)**2 + (2.25-x+x*y**2)**2 + (2.625-x+x*y**3)**2
set table $C0
set view map
unset surface
set contour base
set isosamples 100, 100
set samples 100, 100
set cntrparam levels incremental -2.53937, 0.393125, 3.16094
splot [-1:4.5][-1.5:2] log10(f0(x, y) - (0) + 1e-3)
unset table
unset contour
set surface
do for [out = 1:2] {
if (out == 1) { set terminal pngcairo size 900,760 noenhanced font font linewidth 1.2; set output "surface-beale.png" }
if (out == 2) { set terminal svg size 900,760 noenhanced font font linewidth 1.2 background "white"; set output "surface-beale.svg" }
set border lw 1
set tics out nomirror
set xrange [-1:4.5]
set yrange [-1.5:2]
unset key
set key at screen 0.5, screen 0.01 center bottom horizontal Left reverse samplen 2 width 1 maxcols 2
set bmargin 9
set title "Beale, 1000 steps, exact gradients\nf(x, y) = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2"
plot $C0 using 1:2 with lines lc rgb "#c8c8c8" lw 0.8 notitle, \
  "surface-beale.dat" index 0 using 1:2 with linespoints pt 7 ps 0.35 pi 4 lw 1.6 lc rgb "#0072B2" title "SGD (lr 0.0288; 1e-3 at step 680)", \
  "surface-beale.dat" index 1 using 1:2 with linespoints pt 7 ps 0.35 pi 4 lw 1.6 lc rgb "#D55E00" title "Momentum (lr 0.0152; 1e-3 at step 176)", \
  "surface-beale.dat" index 2 using 1:2 with linespoints pt 7 ps 0.35 pi 4 lw 1.6 lc rgb "#009E73" title "RMSprop (lr 0.026; final distance 0.018)", \
  "surface-beale.dat" index 3 using 1:2 with linespoints pt 7 ps 0.35 pi 4 lw 1.6 lc rgb "#CC79A7" title "Adam (lr 0.741; 1e-3 at step 135)", \
  "surface-beale.dat" index 4 using 1:2 with linespoints pt 7 ps 0.35 pi 4 lw 1.6 lc rgb "#E69F00" title "Adagrad (lr 1.82; 1e-3 at step 374)", \
  "surface-beale.dat" index 5 using 1:2 with linespoints pt 7 ps 0.35 pi 4 lw 1.6 lc rgb "#56B4E9" title "Adadelta (lr 5.78; final distance 0.3)", \
  '+' using (0.7):(1.4) every ::0::0 with points pt 7 ps 1.2 lc rgb "#000000" title "start", \
  '+' using (3):(0.5) every ::0::0 with points pt 3 ps 2 lw 2 lc rgb "#000000" title "minimum"
unset output
}
