# curves-adamw.gp — AdamW: learning curves of the best trial (4).
# Draws curves-adamw.png and curves-adamw.svg from curves-adamw.dat: run `gnuplot curves-adamw.gp` in this directory.
# Written by `optlab report`; edit freely (colours: the Okabe–Ito palette, safe for
# colour-blind readers).
set encoding utf8
font = "DejaVu Sans,13"
set terminal pngcairo size 800,500 noenhanced font font linewidth 1.2
set output "curves-adamw.png"
set border lw 1
set grid lc rgb "#d9d9d9" lw 1
set title font ",14"
# the key in its own band under the x label: it never covers data
set key at screen 0.5, screen 0.015 center bottom horizontal Left reverse samplen 2 width 2 maxcols 2
set tics out nomirror
set datafile missing "NaN"
set title "AdamW: learning curves of the best trial (#4)"
set xlabel "epoch"
set ylabel "mean training loss" tc rgb "#0072B2"
set y2label "valid-epoch accuracy (%)" tc rgb "#D55E00"
set ytics nomirror tc rgb "#0072B2"
set y2tics tc rgb "#D55E00"
set xrange [0.5:20.5]
set xtics 1
set arrow 1 from 15, graph 0 to 15, graph 1 nohead dt 2 lw 1.5 lc rgb "#000000"
set bmargin 7.5
plot "curves-adamw.dat" using 1:2 axes x1y1 with linespoints pt 7 ps 0.7 lw 2 lc rgb "#0072B2" title "mean training loss", \
     "curves-adamw.dat" using 1:3 axes x1y2 with linespoints pt 5 ps 0.7 lw 2 lc rgb "#D55E00" title "valid-epoch accuracy (%)", \
     keyentry with lines dt 2 lw 1.5 lc rgb "#000000" title "best epoch (weights kept)"
set terminal svg size 800,500 noenhanced font font linewidth 1.2 background "white"
set output "curves-adamw.svg"
replot
unset output
