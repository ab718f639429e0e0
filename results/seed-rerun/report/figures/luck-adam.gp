# luck-adam.gp — re-evaluated configurations: seeds against the original single trial.
# Draws luck-adam.png and luck-adam.svg from luck-adam.dat: run `gnuplot luck-adam.gp` in this directory.
# Written by `optlab report`; edit freely (colours: the Okabe–Ito palette, safe for
# colour-blind readers).
set encoding utf8
font = "DejaVu Sans,13"
set terminal pngcairo size 800,500 noenhanced font font linewidth 1.2
set output "luck-adam.png"
set border lw 1
set grid lc rgb "#d9d9d9" lw 1
set title font ",14"
# the key in its own band under the x label: it never covers data
set key at screen 0.5, screen 0.015 center bottom horizontal Left reverse samplen 2 width 2 maxcols 2
set tics out nomirror
set datafile missing "NaN"
set title "Adam: re-evaluated configurations (10 seeds) and their original trial"
set ylabel "valid-trial accuracy (%)"
set xlabel "configuration (original trial, by original value)"
set xrange [-0.5:4.5]
set yrange [93.87:96.45]
set xtics ("#65" 0, "#63" 1, "#0" 2, "#55" 3, "#4" 4)
set bmargin 9.5
plot "luck-adam.dat" index 0 using 1:2 with points pt 7 ps 0.9 lc rgb "#0072B2" title "one fresh seed", \
     "" index 1 using 1:3 with points pt 13 ps 1.8 lc rgb "#009E73" title "mean of the seeds that learned", \
     "" index 1 using 1:2 with points pt 3 ps 2.2 lw 2 lc rgb "#D55E00" title "original single trial", \
     "" index 2 using 1:(93.9474) with points pt 11 ps 1.4 lc rgb "#CC79A7" title "never learned (at chance, off the axis)"
set terminal svg size 800,500 noenhanced font font linewidth 1.2 background "white"
set output "luck-adam.svg"
replot
unset output
