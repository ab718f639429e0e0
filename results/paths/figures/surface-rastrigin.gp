# surface-rastrigin.gp — Rastrigin: paths of the seed note's optimizers with tuned learning rates, exact gradients.
# Draws surface-rastrigin.png and surface-rastrigin.svg from surface-rastrigin.dat: run `gnuplot surface-rastrigin.gp` in this directory.
# Written by `optlab paths`; edit freely (colours: the Okabe–Ito palette).
set encoding utf8
font = "DejaVu Sans,11"
set datafile missing "NaN"
# contours of f - f_min, computed from its formula
f0(x, y) = 20 + x**2 - 10*cos(2*pi*x) + y**2 - 10*cos(2*pi*y)
set table $C0
set view map
unset surface
set contour base
set isosamples 100, 100
set samples 100, 100
set cntrparam levels incremental 3.28394, 6.56789, 52.5431
splot [-3:3][-3:3] f0(x, y) - (0)
unset table
unset contour
set surface
do for [out = 1:2] {
if (out == 1) { set terminal pngcairo size 900,760 noenhanced font font linewidth 1.2; set output "surface-rastrigin.png" }
if (out == 2) { set terminal svg size 900,760 noenhanced font font linewidth 1.2 background "white"; set output "surface-rastrigin.svg" }
set border lw 1
set tics out nomirror
set xrange [-3:3]
set yrange [-3:3]
unset key
set key at screen 0.5, screen 0.01 center bottom horizontal Left reverse samplen 2 width 1 maxcols 2
set bmargin 9
set title "Rastrigin, 1000 steps, exact gradients\nf(x, y) = 20 + x^2 - 10 cos(2 pi x) + y^2 - 10 cos(2 pi y)"
plot $C0 using 1:2 with lines lc rgb "#c8c8c8" lw 0.8 notitle, \
  "surface-rastrigin.dat" index 0 using 1:2 with linespoints pt 7 ps 0.35 pi 4 lw 1.6 lc rgb "#0072B2" title "SGD (lr 0.0135; final distance 2.2)", \
  "surface-rastrigin.dat" index 1 using 1:2 with linespoints pt 7 ps 0.35 pi 4 lw 1.6 lc rgb "#D55E00" title "Momentum (lr 0.00628; final distance 2.1)", \
  "surface-rastrigin.dat" index 2 using 1:2 with linespoints pt 7 ps 0.35 pi 4 lw 1.6 lc rgb "#009E73" title "RMSprop (lr 0.397; final distance 0.28)", \
  "surface-rastrigin.dat" index 3 using 1:2 with linespoints pt 7 ps 0.35 pi 4 lw 1.6 lc rgb "#CC79A7" title "Adam (lr 0.876; 1e-3 at step 107)", \
  "surface-rastrigin.dat" index 4 using 1:2 with linespoints pt 7 ps 0.35 pi 4 lw 1.6 lc rgb "#E69F00" title "Adagrad (lr 3.84; 1e-3 at step 688)", \
  "surface-rastrigin.dat" index 5 using 1:2 with linespoints pt 7 ps 0.35 pi 4 lw 1.6 lc rgb "#56B4E9" title "Adadelta (lr 128; final distance 0.66)", \
  '+' using (-2.4):(2.3) every ::0::0 with points pt 7 ps 1.2 lc rgb "#000000" title "start", \
  '+' using (0):(0) every ::0::0 with points pt 3 ps 2 lw 2 lc rgb "#000000" title "minimum"
unset output
}
