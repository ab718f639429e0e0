# nl-rate-weight-decay.gp — failure rate against weight decay.
# Draws nl-rate-weight-decay.png and nl-rate-weight-decay.svg from nl-rate-weight-decay.dat: run `gnuplot nl-rate-weight-decay.gp` in this directory.
# Written by `optlab report` (neverlearn.c); edit freely (colours: Okabe–Ito).
set encoding utf8
font = "DejaVu Sans,13"
set terminal pngcairo size 800,500 noenhanced font font linewidth 1.2
set output "nl-rate-weight-decay.png"
set grid lc rgb "#d9d9d9" lw 1
set key at screen 0.5, screen 0.015 center bottom horizontal Left reverse samplen 2 width 2 maxcols 3
set bmargin 8.5
set tics out nomirror
set datafile missing "NaN"
set title "Trials that fail to learn, by weight decay"
set xlabel "weight decay"
set ylabel "failed trials (%)"
set yrange [0:105]
set logscale x
set format x "%.0e"
set xrange [0.0001:1]
plot "nl-rate-weight-decay.dat" using 3:4 with linespoints lw 2 pt 7 ps 1.2 lc rgb "#0072B2" title "AdamW", "nl-rate-weight-decay.dat" using 3:6 with linespoints lw 2 pt 7 ps 1.2 lc rgb "#D55E00" title "Lion", "nl-rate-weight-decay.dat" using 3:8 with linespoints lw 2 pt 7 ps 1.2 lc rgb "#009E73" title "ScheduleFreeAdamW", "nl-rate-weight-decay.dat" using 3:10 with linespoints lw 1 dt 2 pt 6 lc rgb "#7f7f7f" title "all"
set terminal svg size 800,500 noenhanced font font linewidth 1.2 background "white"
set output "nl-rate-weight-decay.svg"
replot
unset output
