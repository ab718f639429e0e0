# param-lion-learning-rate-zoom.gp — Lion: valid-trial accuracy against learning_rate, without outliers.
# Draws param-lion-learning-rate-zoom.png and param-lion-learning-rate-zoom.svg from param-lion-learning-rate-zoom.dat: run `gnuplot param-lion-learning-rate-zoom.gp` in this directory.
# Written by `optlab report`; edit freely (colours: the Okabe–Ito palette, safe for
# colour-blind readers).
set encoding utf8
font = "DejaVu Sans,13"
set terminal pngcairo size 800,500 noenhanced font font linewidth 1.2
set output "param-lion-learning-rate-zoom.png"
set border lw 1
set grid lc rgb "#d9d9d9" lw 1
set title font ",14"
# the key in its own band under the x label: it never covers data
set key at screen 0.5, screen 0.015 center bottom horizontal Left reverse samplen 2 width 2 maxcols 2
set tics out nomirror
set datafile missing "NaN"
set title "Lion: accuracy against learning rate (without outliers)\n4 trials below 77.66 % (Q1 − 1.5·IQR) not shown"
set xlabel "learning rate (learning_rate, log scale)"
set ylabel "valid-trial accuracy (%)"
set logscale x 10
set format x "%g"
set mxtics 10
set xrange [8.7096359e-06:0.001148153621]
set yrange [84.8636:97.1164]
set format y "%.0f"
y_no_value = 85.2312  # where trials without a value are marked
set bmargin 6
plot "param-lion-learning-rate-zoom.dat" using 1:2 with points pt 7 ps 1.0 lc rgb "#0072B2" title "trial", \
     "" using 1:($5 > 0 ? $2 : NaN) with points pt 13 ps 2.2 lc rgb "#D55E00" title "best trial"
set terminal svg size 800,500 noenhanced font font linewidth 1.2 background "white"
set output "param-lion-learning-rate-zoom.svg"
replot
unset output
