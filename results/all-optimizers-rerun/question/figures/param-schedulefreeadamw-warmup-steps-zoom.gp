# param-schedulefreeadamw-warmup-steps-zoom.gp — ScheduleFreeAdamW: valid-trial accuracy against warmup_steps, without outliers.
# Draws param-schedulefreeadamw-warmup-steps-zoom.png and param-schedulefreeadamw-warmup-steps-zoom.svg from param-schedulefreeadamw-warmup-steps-zoom.dat: run `gnuplot param-schedulefreeadamw-warmup-steps-zoom.gp` in this directory.
# Written by `optlab report`; edit freely (colours: the Okabe–Ito palette, safe for
# colour-blind readers).
set encoding utf8
font = "DejaVu Sans,13"
set terminal pngcairo size 800,500 noenhanced font font linewidth 1.2
set output "param-schedulefreeadamw-warmup-steps-zoom.png"
set border lw 1
set grid lc rgb "#d9d9d9" lw 1
set title font ",14"
# the key in its own band under the x label: it never covers data
set key at screen 0.5, screen 0.015 center bottom horizontal Left reverse samplen 2 width 2 maxcols 2
set tics out nomirror
set datafile missing "NaN"
set title "ScheduleFreeAdamW: accuracy against warmup_steps (without outliers)\n1 trial below 94.92 % (Q1 − 1.5·IQR) not shown"
set xlabel "warmup_steps (warmup_steps)"
set ylabel "valid-trial accuracy (%)"
set xrange [-30:1030]
set yrange [95.07:96.51]
set format y "%.1f"
y_no_value = 95.1132  # where trials without a value are marked
set bmargin 6
plot "param-schedulefreeadamw-warmup-steps-zoom.dat" using 1:2 with points pt 7 ps 1.0 lc rgb "#0072B2" title "trial", \
     "" using 1:($5 > 0 ? $2 : NaN) with points pt 13 ps 2.2 lc rgb "#D55E00" title "best trial"
set terminal svg size 800,500 noenhanced font font linewidth 1.2 background "white"
set output "param-schedulefreeadamw-warmup-steps-zoom.svg"
replot
unset output
