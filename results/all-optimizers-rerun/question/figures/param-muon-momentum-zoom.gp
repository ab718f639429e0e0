# param-muon-momentum-zoom.gp — Muon: valid-trial accuracy against momentum, without outliers.
# Draws param-muon-momentum-zoom.png and param-muon-momentum-zoom.svg from param-muon-momentum-zoom.dat: run `gnuplot param-muon-momentum-zoom.gp` in this directory.
# Written by `optlab report`; edit freely (colours: the Okabe–Ito palette, safe for
# colour-blind readers).
set encoding utf8
font = "DejaVu Sans,13"
set terminal pngcairo size 800,500 noenhanced font font linewidth 1.2
set output "param-muon-momentum-zoom.png"
set border lw 1
set grid lc rgb "#d9d9d9" lw 1
set title font ",14"
# the key in its own band under the x label: it never covers data
set key at screen 0.5, screen 0.015 center bottom horizontal Left reverse samplen 2 width 2 maxcols 2
set tics out nomirror
set datafile missing "NaN"
set title "Muon: accuracy against momentum (without outliers)\n4 trials below 96.00 % (Q1 − 1.5·IQR) not shown"
set xlabel "momentum (momentum)"
set ylabel "valid-trial accuracy (%)"
set xrange [0.7943:0.9957]
set yrange [95.91:97.35]
set format y "%.1f"
y_no_value = 95.9532  # where trials without a value are marked
set bmargin 6
plot "param-muon-momentum-zoom.dat" using 1:2 with points pt 7 ps 1.0 lc rgb "#0072B2" title "trial", \
     "" using 1:($5 > 0 ? $2 : NaN) with points pt 13 ps 2.2 lc rgb "#D55E00" title "best trial"
set terminal svg size 800,500 noenhanced font font linewidth 1.2 background "white"
set output "param-muon-momentum-zoom.svg"
replot
unset output
