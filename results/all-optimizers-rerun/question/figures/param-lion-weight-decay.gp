# param-lion-weight-decay.gp — Lion: valid-trial accuracy against weight_decay.
# Draws param-lion-weight-decay.png and param-lion-weight-decay.svg from param-lion-weight-decay.dat: run `gnuplot param-lion-weight-decay.gp` in this directory.
# Written by `optlab report`; edit freely (colours: the Okabe–Ito palette, safe for
# colour-blind readers).
set encoding utf8
font = "DejaVu Sans,13"
set terminal pngcairo size 800,500 noenhanced font font linewidth 1.2
set output "param-lion-weight-decay.png"
set border lw 1
set grid lc rgb "#d9d9d9" lw 1
set title font ",14"
# the key in its own band under the x label: it never covers data
set key at screen 0.5, screen 0.015 center bottom horizontal Left reverse samplen 2 width 2 maxcols 2
set tics out nomirror
set datafile missing "NaN"
set title "Lion: accuracy against weight decay (all trials)"
set xlabel "weight decay (weight_decay, log scale)"
set ylabel "valid-trial accuracy (%)"
set logscale x 10
set format x "%g"
set mxtics 10
set xrange [0.0008128305162:1.230268771]
set yrange [4.4096:100]
set format y "%.0f"
y_no_value = 7.27731  # where trials without a value are marked
set bmargin 7.5
plot "param-lion-weight-decay.dat" using 1:2 with points pt 7 ps 1.0 lc rgb "#0072B2" title "trial", \
     "" using 1:3 with points pt 9 ps 1.3 lc rgb "#E69F00" title "never learned", \
     "" using 1:($5 > 0 ? $2 : NaN) with points pt 13 ps 2.2 lc rgb "#D55E00" title "best trial"
set terminal svg size 800,500 noenhanced font font linewidth 1.2 background "white"
set output "param-lion-weight-decay.svg"
replot
unset output
