# redraw-all.gp — redraws every figure of this report: run `gnuplot redraw-all.gp` here.
# Each figure's own script (NAME.gp) redraws just that one.
reset session
load "trend-adamw.gp"
reset session
load "param-adamw-learning-rate.gp"
reset session
load "param-adamw-weight-decay.gp"
reset session
load "curves-adamw.gp"
reset session
load "trend-adamw-logits-loss.gp"
reset session
load "param-adamw-logits-loss-learning-rate.gp"
reset session
load "param-adamw-logits-loss-weight-decay.gp"
reset session
load "curves-adamw-logits-loss.gp"
reset session
load "nl-rate-learning-rate.gp"
reset session
load "nl-rate-weight-decay.gp"
reset session
load "nl-scatter-adamw.gp"
reset session
load "nl-scatter-adamw-logits-loss.gp"
