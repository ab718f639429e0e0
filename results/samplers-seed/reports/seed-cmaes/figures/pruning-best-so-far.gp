# pruning-best-so-far.gp — best valid-trial accuracy so far, baseline and this experiment.
# Draws pruning-best-so-far.png and pruning-best-so-far.svg from pruning-best-so-far.dat: run `gnuplot pruning-best-so-far.gp` in this directory.
# Written by `optlab report`; edit freely (colours: the Okabe–Ito palette, safe for
# colour-blind readers).
set encoding utf8
font = "DejaVu Sans,13"
set terminal pngcairo size 800,500 noenhanced font font linewidth 1.2
set output "pruning-best-so-far.png"
set border lw 1
set grid lc rgb "#d9d9d9" lw 1
set title font ",14"
# the key in its own band under the x label: it never covers data
set key at screen 0.5, screen 0.015 center bottom horizontal Left reverse samplen 2 width 2 maxcols 2
set tics out nomirror
set datafile missing "NaN"
set title "Best valid-trial accuracy so far, mean over repetitions:\nbaseline seed (tpe, dashed) and seed-cmaes (cmaes, solid)"
set xlabel "trial (search order)"
set ylabel "best valid-trial accuracy so far (%)"
set xrange [1:71]
set format x "%.0f"
set yrange [94.73:96.6633]
set format y "%.1f"
set bmargin 7.5
plot "pruning-best-so-far.dat" index 0 using 1:2 with steps lw 2 dt 2 lc rgb "#0072B2" title "Adam, tpe", \
     "pruning-best-so-far.dat" index 1 using 1:2 with steps lw 2 dt 1 lc rgb "#0072B2" title "Adam, cmaes", \
     "pruning-best-so-far.dat" index 2 using 1:2 with steps lw 2 dt 2 lc rgb "#D55E00" title "AdamW, tpe", \
     "pruning-best-so-far.dat" index 3 using 1:2 with steps lw 2 dt 1 lc rgb "#D55E00" title "AdamW, cmaes"
set terminal svg size 800,500 noenhanced font font linewidth 1.2 background "white"
set output "pruning-best-so-far.svg"
replot
unset output
