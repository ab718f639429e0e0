# param-prodigy-schedule-t-max-zoom.gp — Prodigy: valid-trial accuracy against schedule.t_max, without outliers.
# Draws param-prodigy-schedule-t-max-zoom.png and param-prodigy-schedule-t-max-zoom.svg from param-prodigy-schedule-t-max-zoom.dat: run `gnuplot param-prodigy-schedule-t-max-zoom.gp` in this directory.
# Written by `optlab report`; edit freely (colours: the Okabe–Ito palette, safe for
# colour-blind readers).
set encoding utf8
font = "DejaVu Sans,13"
set terminal pngcairo size 800,500 noenhanced font font linewidth 1.2
set output "param-prodigy-schedule-t-max-zoom.png"
set border lw 1
set grid lc rgb "#d9d9d9" lw 1
set title font ",14"
# the key in its own band under the x label: it never covers data
set key at screen 0.5, screen 0.015 center bottom horizontal Left reverse samplen 2 width 2 maxcols 2
set tics out nomirror
set datafile missing "NaN"
set title "Prodigy: accuracy against schedule.t_max (without outliers)\n13 trials below 91.16 % (Q1 − 1.5·IQR) not shown"
set xlabel "schedule.t_max (schedule.t_max)"
set ylabel "valid-trial accuracy (%)"
set xrange [8.5:61.5]
set yrange [91.0428:96.2172]
set format y "%.0f"
y_no_value = 91.198  # where trials without a value are marked
set bmargin 6
plot "param-prodigy-schedule-t-max-zoom.dat" using 1:2 with points pt 7 ps 1.0 lc rgb "#0072B2" title "trial", \
     "" using 1:($5 > 0 ? $2 : NaN) with points pt 13 ps 2.2 lc rgb "#D55E00" title "best trial"
set terminal svg size 800,500 noenhanced font font linewidth 1.2 background "white"
set output "param-prodigy-schedule-t-max-zoom.svg"
replot
unset output
