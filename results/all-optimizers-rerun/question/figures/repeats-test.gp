# repeats-test.gp — test accuracy of each repetition's best trial.
# Draws repeats-test.png and repeats-test.svg from repeats-test.dat: run `gnuplot repeats-test.gp` in this directory.
# Written by `optlab report`; edit freely (colours: the Okabe–Ito palette, safe for
# colour-blind readers).
set encoding utf8
font = "DejaVu Sans,13"
set terminal pngcairo size 800,500 noenhanced font font linewidth 1.2
set output "repeats-test.png"
set border lw 1
set grid lc rgb "#d9d9d9" lw 1
set title font ",14"
# the key in its own band under the x label: it never covers data
set key at screen 0.5, screen 0.015 center bottom horizontal Left reverse samplen 2 width 2 maxcols 2
set tics out nomirror
set datafile missing "NaN"
set title "Test accuracy of the best trial over 3 repetitions"
set ylabel "test accuracy (%)"
set xrange [-0.5:4.5]
set yrange [95.6014:97.6814]
set xtics ("AdamW" 0, "Lion" 1, "ScheduleFreeAdamW" 2, "Muon" 3, "Prodigy" 4)
set format y "%.1f"
set bmargin 6
plot "repeats-test.dat" index 0 using 1:2 with points pt 7 ps 1.1 lc rgb "#0072B2" title "repetition", \
     "" index 1 using 1:2:3:4 with yerrorbars pt 13 ps 1.8 lw 2 lc rgb "#D55E00" title "mean ± 95 % CI"
set terminal svg size 800,500 noenhanced font font linewidth 1.2 background "white"
set output "repeats-test.svg"
replot
unset output
