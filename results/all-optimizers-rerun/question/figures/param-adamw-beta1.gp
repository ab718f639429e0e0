# param-adamw-beta1.gp — AdamW: valid-trial accuracy against beta1.
# Draws param-adamw-beta1.png and param-adamw-beta1.svg from param-adamw-beta1.dat: run `gnuplot param-adamw-beta1.gp` in this directory.
# Written by `optlab report`; edit freely (colours: the Okabe–Ito palette, safe for
# colour-blind readers).
set encoding utf8
font = "DejaVu Sans,13"
set terminal pngcairo size 800,500 noenhanced font font linewidth 1.2
set output "param-adamw-beta1.png"
set border lw 1
set grid lc rgb "#d9d9d9" lw 1
set title font ",14"
# the key in its own band under the x label: it never covers data
set key at screen 0.5, screen 0.015 center bottom horizontal Left reverse samplen 2 width 2 maxcols 2
set tics out nomirror
set datafile missing "NaN"
set title "AdamW: accuracy against β₁ (all trials)"
set xlabel "β₁ (beta1)"
set ylabel "valid-trial accuracy (%)"
set xrange [0.7955:0.9545]
set yrange [4.3144:100]
set format y "%.0f"
y_no_value = 7.18497  # where trials without a value are marked
set bmargin 7.5
plot "param-adamw-beta1.dat" using 1:2 with points pt 7 ps 1.0 lc rgb "#0072B2" title "trial", \
     "" using 1:3 with points pt 9 ps 1.3 lc rgb "#E69F00" title "never learned", \
     "" using 1:($5 > 0 ? $2 : NaN) with points pt 13 ps 2.2 lc rgb "#D55E00" title "best trial"
set terminal svg size 800,500 noenhanced font font linewidth 1.2 background "white"
set output "param-adamw-beta1.svg"
replot
unset output
