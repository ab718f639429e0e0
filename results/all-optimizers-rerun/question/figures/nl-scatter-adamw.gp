# nl-scatter-adamw.gp — learning rate against weight decay, failed trials marked.
# Draws nl-scatter-adamw.png and nl-scatter-adamw.svg from nl-scatter-adamw.dat: run `gnuplot nl-scatter-adamw.gp` in this directory.
# Written by `optlab report` (neverlearn.c); edit freely (colours: Okabe–Ito).
set encoding utf8
font = "DejaVu Sans,13"
set terminal pngcairo size 800,500 noenhanced font font linewidth 1.2
set output "nl-scatter-adamw.png"
set grid lc rgb "#d9d9d9" lw 1
set key at screen 0.5, screen 0.015 center bottom horizontal Left reverse samplen 2 width 2 maxcols 3
set bmargin 6
set tics out nomirror
set datafile missing "NaN"
set title "AdamW: which trials fail to learn"
set xlabel "learning rate"
set ylabel "weight decay"
set logscale x
set format x "%.0e"
set logscale y
set format y "%.0e"
set xrange [0.0001:0.01]
set yrange [0.0001:0.02]
plot "nl-scatter-adamw.dat" using 2:($4==0 ? $3 : NaN) with points pt 7 ps 0.9 lc rgb "#0072B2" title "healthy", \
     "nl-scatter-adamw.dat" using 2:($4==1 ? $3 : NaN) with points pt 9 ps 1.3 lc rgb "#E69F00" title "never learned", \
     "nl-scatter-adamw.dat" using 2:($4==2 ? $3 : NaN) with points pt 2 ps 1.2 lc rgb "#000000" title "diverged"
set terminal svg size 800,500 noenhanced font font linewidth 1.2 background "white"
set output "nl-scatter-adamw.svg"
replot
unset output
