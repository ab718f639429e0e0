# trend-schedulefreeadamw.gp — ScheduleFreeAdamW: valid-trial accuracy of each trial and the best so far.
# Draws trend-schedulefreeadamw.png and trend-schedulefreeadamw.svg from trend-schedulefreeadamw.dat: run `gnuplot trend-schedulefreeadamw.gp` in this directory.
# Written by `optlab report`; edit freely (colours: the Okabe–Ito palette, safe for
# colour-blind readers).
set encoding utf8
font = "DejaVu Sans,13"
set terminal pngcairo size 800,500 noenhanced font font linewidth 1.2
set output "trend-schedulefreeadamw.png"
set border lw 1
set grid lc rgb "#d9d9d9" lw 1
set title font ",14"
# the key in its own band under the x label: it never covers data
set key at screen 0.5, screen 0.015 center bottom horizontal Left reverse samplen 2 width 2 maxcols 2
set tics out nomirror
set datafile missing "NaN"
set title "ScheduleFreeAdamW: accuracy over the HPO (70 trials)"
set xlabel "trial number"
set ylabel "valid-trial accuracy (%)"
set xrange [-1:70]
set yrange [83.1312:97.1088]
set format y "%.0f"
y_no_value = 83.5505  # where trials without a value are marked
set bmargin 6
plot "trend-schedulefreeadamw.dat" using 1:2 with points pt 7 ps 1.0 lc rgb "#0072B2" title "trial", \
     "" using 1:5 with steps lw 2 lc rgb "#D55E00" title "best so far"
set terminal svg size 800,500 noenhanced font font linewidth 1.2 background "white"
set output "trend-schedulefreeadamw.svg"
replot
unset output
