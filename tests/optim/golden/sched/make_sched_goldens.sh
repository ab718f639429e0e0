#!/bin/bash
# Regenerate the learning-rate schedule goldens in this directory.
# Each is written by ../shared/anchors/torch_sched_trajectory.py (Debian's PyTorch 1.13):
# 8 parameters, 200 steps, seed 1, the scheduler stepped after every optimizer step.
# The exact command of each file is its line in CASES: NAME OPTIMIZER OPT_JSON | SCHEDULER SCHED_JSON ->
#   /usr/bin/python3 ../shared/anchors/torch_sched_trajectory.py OPTIMIZER 'OPT_JSON' SCHEDULER 'SCHED_JSON' 8 200 1 > NAME.txt
# Run from anywhere: tests/optim/golden/sched/make_sched_goldens.sh
set -eu
cd "$(dirname "$0")"
anchor=../../../../../shared/anchors/torch_sched_trajectory.py
while IFS='|' read -r left right; do
    [ -z "$left" ] && continue
    read -r name opt ojson <<<"$left"
    read -r sched sjson <<<"$right"
    /usr/bin/python3 "$anchor" "$opt" "$ojson" "$sched" "$sjson" 8 200 1 > "$name.txt" 2>/dev/null
    echo "$name.txt: $opt $ojson | $sched $sjson"
done <<'CASES'
step_default        SGD {"lr": 0.1} | StepLR {"step_size": 30}
step_gamma          Adam {"lr": 0.01} | StepLR {"step_size": 7, "gamma": 0.5}
multistep           SGD {"lr": 0.1, "momentum": 0.9} | MultiStepLR {"milestones": [20, 50, 50, 120], "gamma": 0.3}
exponential         SGD {"lr": 0.1} | ExponentialLR {"gamma": 0.98}
cosine              SGD {"lr": 0.1, "momentum": 0.9} | CosineAnnealingLR {"T_max": 50}
cosine_eta_min      AdamW {"lr": 0.01} | CosineAnnealingLR {"T_max": 37, "eta_min": 0.001}
warm_restarts       SGD {"lr": 0.1} | CosineAnnealingWarmRestarts {"T_0": 10}
warm_restarts_mult  Adam {"lr": 0.01} | CosineAnnealingWarmRestarts {"T_0": 7, "T_mult": 2, "eta_min": 0.0001}
linear_default      SGD {"lr": 0.1} | LinearLR {}
linear_decay        Adam {"lr": 0.01} | LinearLR {"start_factor": 1.0, "end_factor": 0.05, "total_iters": 150}
polynomial_default  SGD {"lr": 0.1} | PolynomialLR {}
polynomial_power    Adam {"lr": 0.01} | PolynomialLR {"total_iters": 120, "power": 2.5}
onecycle_sgd        SGD {"lr": 0.1, "momentum": 0.9} | OneCycleLR {"max_lr": 0.5, "total_steps": 200}
onecycle_adam_3ph   Adam {"lr": 0.001} | OneCycleLR {"max_lr": 0.01, "epochs": 10, "steps_per_epoch": 21, "pct_start": 0.25, "three_phase": true, "div_factor": 10.0, "final_div_factor": 100.0}
onecycle_linear     RMSprop {"lr": 0.01, "momentum": 0.5} | OneCycleLR {"max_lr": 0.02, "total_steps": 201, "anneal_strategy": "linear", "base_momentum": 0.6, "max_momentum": 0.9}
onecycle_no_mom     Adagrad {"lr": 0.01} | OneCycleLR {"max_lr": 0.05, "total_steps": 250, "cycle_momentum": false}
plateau_min         SGD {"lr": 0.05} | ReduceLROnPlateau {"patience": 3}
plateau_max_abs     Adam {"lr": 0.01} | ReduceLROnPlateau {"mode": "max", "factor": 0.5, "patience": 2, "threshold": 0.01, "threshold_mode": "abs", "cooldown": 3, "min_lr": 0.001}
plateau_rel_eps     SGD {"lr": 0.05, "momentum": 0.9} | ReduceLROnPlateau {"factor": 0.7, "patience": 0, "threshold": 0.001, "eps": 0.01}
sequential_warmup   AdamW {"lr": 0.01} | SequentialLR {"schedulers": [["LinearLR", {"start_factor": 0.1, "total_iters": 10}], ["CosineAnnealingLR", {"T_max": 190}]], "milestones": [10]}
sequential_three    SGD {"lr": 0.1} | SequentialLR {"schedulers": [["ExponentialLR", {"gamma": 0.9}], ["StepLR", {"step_size": 20, "gamma": 0.5}], ["CosineAnnealingWarmRestarts", {"T_0": 15, "T_mult": 2}]], "milestones": [30, 90]}
sequential_poly     Adam {"lr": 0.01} | SequentialLR {"schedulers": [["PolynomialLR", {"total_iters": 40, "power": 0.5}], ["MultiStepLR", {"milestones": [10, 60]}], ["LinearLR", {"start_factor": 0.5, "end_factor": 0.1, "total_iters": 50}]], "milestones": [50, 120]}
CASES
