# param-adamw-beta1-zoom.gp — AdamW: valid-trial accuracy against beta1, without outliers.
# Draws param-adamw-beta1-zoom.png and param-adamw-beta1-zoom.svg from param-adamw-beta1-zoom.dat: run `gnuplot param-adamw-beta1-zoom.gp` in this directory.
# Written by `optlab report`; edit freely (colours: the Okabe–Ito palette, safe for
# colour-blind readers).
set encoding utf8
font = "DejaVu Sans,13"
set terminal pngcairo size 800,500 noenhanced font font linewidth 1.2
set output "param-adamw-beta1-zoom.png"
set border lw 1
set grid lc rgb "#d9d9d9" lw 1
set title font ",14"
# the key in its own band under the x label: it never covers data
set key at screen 0.5, screen 0.015 center bottom horizontal Left reverse samplen 2 width 2 maxcols 2
set tics out nomirror
set datafile missing "NaN"
set title "AdamW: accuracy against β₁ (without outliers)\n9 trials below 94.19 % (Q1 − 1.5·IQR) not shown"
set xlabel "β₁ (beta1)"
set ylabel "valid-trial accuracy (%)"
set xrange [0.7955:0.9545]
set yrange [94.19:96.43]
set format y "%.1f"
y_no_value = 94.2572  # where trials without a value are marked
set bmargin 6
plot "param-adamw-beta1-zoom.dat" using 1:2 with points pt 7 ps 1.0 lc rgb "#0072B2" title "trial", \
     "" using 1:($5 > 0 ? $2 : NaN) with points pt 13 ps 2.2 lc rgb "#D55E00" title "best trial"
set terminal svg size 800,500 noenhanced font font linewidth 1.2 background "white"
set output "param-adamw-beta1-zoom.svg"
replot
unset output
