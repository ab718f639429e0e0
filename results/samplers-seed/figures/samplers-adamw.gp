# samplers-adamw.gp — AdamW: every sampler's best valid-trial accuracy so far, mean over repetitions.
# Draws samplers-adamw.png and .svg from samplers-adamw.dat: run `gnuplot samplers-adamw.gp` here.
# Written by scripts/compare-samplers.sh; edit freely.
set encoding utf8
font = "DejaVu Sans,13"
set terminal pngcairo size 800,500 noenhanced font font linewidth 1.2
set output "samplers-adamw.png"
set border lw 1
set grid lc rgb "#d9d9d9" lw 1
set title font ",14"
set key at screen 0.5, screen 0.015 center bottom horizontal Left reverse samplen 2 width 2 maxcols 3
set tics out nomirror
set datafile missing "NaN"
set title "AdamW: best valid-trial accuracy so far, mean over repetitions\n(baseline seed dashed)"
set xlabel "trial (search order)"
set ylabel "best valid-trial accuracy so far (%)"
set xrange [1:73]
set format x "%.0f"
set format y "%.1f"
set bmargin 8.0
plot "samplers-adamw.dat" index 0 using 1:2 with steps lw 2 dt 2 lc rgb "#000000" title "tpe (seed, 3 rep.)", \
     "samplers-adamw.dat" index 1 using 1:2 with steps lw 2 dt 1 lc rgb "#0072B2" title "mvtpe (seed-mvtpe, 3 rep.)", \
     "samplers-adamw.dat" index 2 using 1:2 with steps lw 2 dt 1 lc rgb "#D55E00" title "gp (seed-gp, 3 rep.)", \
     "samplers-adamw.dat" index 3 using 1:2 with steps lw 2 dt 1 lc rgb "#009E73" title "cmaes (seed-cmaes, 3 rep.)", \
     "samplers-adamw.dat" index 4 using 1:2 with steps lw 2 dt 1 lc rgb "#CC79A7" title "random (seed-random, 3 rep.)"
set terminal svg size 800,500 noenhanced font font linewidth 1.2 background "white"
set output "samplers-adamw.svg"
replot
unset output
