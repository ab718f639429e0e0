# surface-ravine.gp — Ravine (quadratic, condition 100): paths of the seed note's optimizers with tuned learning rates, exact gradients.
# Draws surface-ravine.png and surface-ravine.svg from surface-ravine.dat: run `gnuplot surface-ravine.gp` in this directory.
# Written by `optlab paths`; edit freely (colours: the Okabe–Ito palette).
set encoding utf8
font = "DejaVu Sans,11"
set datafile missing "NaN"
# contours of log10(f - f_min + 0.001), computed from its formula
f0(x, y) = 0.5*(0.1*x**2 + 10*y**2)
set table $C0
set view map
unset surface
set contour base
set isosamples 100, 100
set samples 100, 100
set cntrparam levels incremental -2.84841, 0.303186, 1.54779
splot [-9:9][-2.5:2.5] log10(f0(x, y) - (0) + 1e-3)
unset table
unset contour
set surface
do for [out = 1:2] {
if (out == 1) { set terminal pngcairo size 900,760 noenhanced font font linewidth 1.2; set output "surface-ravine.png" }
if (out == 2) { set terminal svg size 900,760 noenhanced font font linewidth 1.2 background "white"; set output "surface-ravine.svg" }
set border lw 1
set tics out nomirror
set xrange [-9:9]
set yrange [-2.5:2.5]
unset key
set key at screen 0.5, screen 0.01 center bottom horizontal Left reverse samplen 2 width 1 maxcols 2
set bmargin 9
set title "Ravine (quadratic, condition 100), 1000 steps, exact gradients\nf(x, y) = 0.5 (0.1 x^2 + 10 y^2)"
plot $C0 using 1:2 with lines lc rgb "#c8c8c8" lw 0.8 notitle, \
  "surface-ravine.dat" index 0 using 1:2 with linespoints pt 7 ps 0.35 pi 4 lw 1.6 lc rgb "#0072B2" title "SGD (lr 0.19; 1e-3 at step 468)", \
  "surface-ravine.dat" index 1 using 1:2 with linespoints pt 7 ps 0.35 pi 4 lw 1.6 lc rgb "#D55E00" title "Momentum (lr 0.178; 1e-3 at step 138)", \
  "surface-ravine.dat" index 2 using 1:2 with linespoints pt 7 ps 0.35 pi 4 lw 1.6 lc rgb "#009E73" title "RMSprop (lr 0.205; 1e-3 at step 46)", \
  "surface-ravine.dat" index 3 using 1:2 with linespoints pt 7 ps 0.35 pi 4 lw 1.6 lc rgb "#CC79A7" title "Adam (lr 0.966; 1e-3 at step 148)", \
  "surface-ravine.dat" index 4 using 1:2 with linespoints pt 7 ps 0.35 pi 4 lw 1.6 lc rgb "#E69F00" title "Adagrad (lr 9.76; 1e-3 at step 7)", \
  "surface-ravine.dat" index 5 using 1:2 with linespoints pt 7 ps 0.35 pi 4 lw 1.6 lc rgb "#56B4E9" title "Adadelta (lr 10.9; final distance 0.16)", \
  '+' using (-8):(2) every ::0::0 with points pt 7 ps 1.2 lc rgb "#000000" title "start", \
  '+' using (0):(0) every ::0::0 with points pt 3 ps 2 lw 2 lc rgb "#000000" title "minimum"
unset output
}
