#!/bin/bash
# Regenerate the torch.optim.LBFGS goldens in this directory with make_lbfgs_golden.py
# (Debian's PyTorch 1.13, float32). Each line of CASES: NAME N_PARAMS STEPS JSON ->
#   /usr/bin/python3 make_lbfgs_golden.py 'JSON' N_PARAMS STEPS 1 > NAME.txt
set -eu
cd "$(dirname "$0")"
while read -r name n steps json; do
    [ -z "$name" ] && continue
    /usr/bin/python3 make_lbfgs_golden.py "$json" "$n" "$steps" 1 > "$name.txt"
    echo "$name.txt: $(grep -c '^at' "$name.txt") evaluations, $json"
done <<'CASES'
wolfe_default     16 10 {"line_search_fn": "strong_wolfe"}
fixed_default     16 3  {}
fixed_lr          16 10 {"lr": 0.1}
wolfe_history3    32 30 {"line_search_fn": "strong_wolfe", "history_size": 3, "max_iter": 7, "lr": 0.5}
fixed_hist_eval   16 20 {"lr": 0.05, "history_size": 5, "max_iter": 30, "max_eval": 12, "tolerance_change": 1e-05}
wolfe_tolerances  16 10 {"line_search_fn": "strong_wolfe", "tolerance_grad": 0.001, "tolerance_change": 0.0001, "max_eval": 40}
wolfe_overshoot   16 8  {"line_search_fn": "strong_wolfe", "lr": 30, "history_size": 4}
CASES
