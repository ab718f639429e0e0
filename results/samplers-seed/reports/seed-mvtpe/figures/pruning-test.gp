# pruning-test.gp — test accuracy per repetition.
# Draws pruning-test.png and pruning-test.svg from pruning-test.dat: run `gnuplot pruning-test.gp` in this directory.
# Written by `optlab report`; edit freely (colours: the Okabe–Ito palette, safe for
# colour-blind readers).
set encoding utf8
font = "DejaVu Sans,13"
set terminal pngcairo size 800,500 noenhanced font font linewidth 1.2
set output "pruning-test.png"
set border lw 1
set grid lc rgb "#d9d9d9" lw 1
set title font ",14"
# the key in its own band under the x label: it never covers data
set key at screen 0.5, screen 0.015 center bottom horizontal Left reverse samplen 2 width 2 maxcols 2
set tics out nomirror
set datafile missing "NaN"
set title "Test accuracy of each repetition's best trial: baseline seed and seed-mvtpe"
set ylabel "test accuracy (%)"
set xrange [-0.5:2.5]
set yrange [95.48:97.08]
set xtics ("Adam" 0, "AdamW" 1, "Adadelta" 2)
set format y "%.1f"
set bmargin 6
plot "pruning-test.dat" using 1:2:(0):($3-$2) with vectors nohead lw 1 lc rgb "#7f7f7f" notitle, \
     "" using 1:2 with points pt 7 ps 1.1 lc rgb "#0072B2" title "baseline (seed)", \
     "" using 1:3 with points pt 5 ps 1.1 lc rgb "#D55E00" title "seed-mvtpe"
set terminal svg size 800,500 noenhanced font font linewidth 1.2 background "white"
set output "pruning-test.svg"
replot
unset output
