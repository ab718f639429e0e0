# param-muon-adamw-lr-ratio.gp — Muon: valid-trial accuracy against adamw_lr_ratio.
# Draws param-muon-adamw-lr-ratio.png and param-muon-adamw-lr-ratio.svg from param-muon-adamw-lr-ratio.dat: run `gnuplot param-muon-adamw-lr-ratio.gp` in this directory.
# Written by `optlab report`; edit freely (colours: the Okabe–Ito palette, safe for
# colour-blind readers).
set encoding utf8
font = "DejaVu Sans,13"
set terminal pngcairo size 800,500 noenhanced font font linewidth 1.2
set output "param-muon-adamw-lr-ratio.png"
set border lw 1
set grid lc rgb "#d9d9d9" lw 1
set title font ",14"
# the key in its own band under the x label: it never covers data
set key at screen 0.5, screen 0.015 center bottom horizontal Left reverse samplen 2 width 2 maxcols 2
set tics out nomirror
set datafile missing "NaN"
set title "Muon: accuracy against adamw_lr_ratio (all trials)"
set xlabel "adamw_lr_ratio (adamw_lr_ratio, log scale)"
set ylabel "valid-trial accuracy (%)"
set logscale x 10
set format x "%g"
set mxtics 10
set xrange [0.004570241025:0.1094034204]
set yrange [94.2744:97.3656]
set format y "%.1f"
y_no_value = 94.3671  # where trials without a value are marked
set bmargin 6
plot "param-muon-adamw-lr-ratio.dat" using 1:2 with points pt 7 ps 1.0 lc rgb "#0072B2" title "trial", \
     "" using 1:($5 > 0 ? $2 : NaN) with points pt 13 ps 2.2 lc rgb "#D55E00" title "best trial"
set terminal svg size 800,500 noenhanced font font linewidth 1.2 background "white"
set output "param-muon-adamw-lr-ratio.svg"
replot
unset output
