# pruning-epochs.gp — epochs trained per repetition.
# Draws pruning-epochs.png and pruning-epochs.svg from pruning-epochs.dat: run `gnuplot pruning-epochs.gp` in this directory.
# Written by `optlab report`; edit freely (colours: the Okabe–Ito palette, safe for
# colour-blind readers).
set encoding utf8
font = "DejaVu Sans,13"
set terminal pngcairo size 800,500 noenhanced font font linewidth 1.2
set output "pruning-epochs.png"
set border lw 1
set grid lc rgb "#d9d9d9" lw 1
set title font ",14"
# the key in its own band under the x label: it never covers data
set key at screen 0.5, screen 0.015 center bottom horizontal Left reverse samplen 2 width 2 maxcols 2
set tics out nomirror
set datafile missing "NaN"
set title "Epochs trained per repetition: baseline seed and seed-gp"
set ylabel "epochs trained (all trials)"
set xrange [-0.5:2.5]
set yrange [0:2895.2]
set xtics ("Adam" 0, "AdamW" 1, "Adadelta" 2)
set bmargin 6
plot "pruning-epochs.dat" using 1:2:(0):($3-$2) with vectors nohead lw 1 lc rgb "#7f7f7f" notitle, \
     "" using 1:2 with points pt 7 ps 1.1 lc rgb "#0072B2" title "baseline (seed)", \
     "" using 1:3 with points pt 5 ps 1.1 lc rgb "#D55E00" title "seed-gp"
set terminal svg size 800,500 noenhanced font font linewidth 1.2 background "white"
set output "pruning-epochs.svg"
replot
unset output
