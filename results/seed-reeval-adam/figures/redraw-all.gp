# redraw-all.gp — redraws every figure of this report: run `gnuplot redraw-all.gp` here.
# Each figure's own script (NAME.gp) redraws just that one.
reset session
load "trend-adam.gp"
reset session
load "trend-adam-zoom.gp"
reset session
load "param-adam-learning-rate.gp"
reset session
load "param-adam-learning-rate-zoom.gp"
reset session
load "param-adam-beta1.gp"
reset session
load "param-adam-beta1-zoom.gp"
reset session
load "param-adam-beta2.gp"
reset session
load "param-adam-beta2-zoom.gp"
reset session
load "curves-adam.gp"
reset session
load "nl-rate-learning-rate.gp"
reset session
load "luck-adam.gp"
