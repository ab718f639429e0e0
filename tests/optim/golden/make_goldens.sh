#!/bin/bash
# Regenerate the torch.optim golden trajectories in this directory.
# Each golden is written by ../shared/anchors/torch_optim_trajectory.py (Debian's
# PyTorch 1.13, float32): 16 parameters, 200 steps, seed 1. The exact command of
# each file is the line in CASES: NAME CLASS JSON  ->
#   /usr/bin/python3 ../shared/anchors/torch_optim_trajectory.py CLASS 'JSON' 16 200 1 > NAME.txt
# Run from the repository root: tests/optim/golden/make_goldens.sh
set -eu
cd "$(dirname "$0")"
anchor=../../../../shared/anchors/torch_optim_trajectory.py
while read -r name class json; do
    [ -z "$name" ] && continue
    /usr/bin/python3 "$anchor" "$class" "$json" 16 200 1 > "$name.txt"
    echo "$name.txt: $class $json"
done <<'CASES'
sgd_default              SGD      {"lr": 0.01}
sgd_momentum             SGD      {"lr": 0.01, "momentum": 0.9}
sgd_nesterov             SGD      {"lr": 0.01, "momentum": 0.9, "nesterov": true}
sgd_dampening            SGD      {"lr": 0.01, "momentum": 0.9, "dampening": 0.5}
sgd_wd_maximize          SGD      {"lr": 0.01, "weight_decay": 0.01, "maximize": true}
rmsprop_default          RMSprop  {}
rmsprop_momentum         RMSprop  {"momentum": 0.9}
rmsprop_centered         RMSprop  {"centered": true, "momentum": 0.5}
rmsprop_wd_maximize      RMSprop  {"weight_decay": 0.01, "maximize": true, "alpha": 0.9}
adam_default             Adam     {}
adam_amsgrad             Adam     {"amsgrad": true}
adam_wd                  Adam     {"weight_decay": 0.01, "betas": [0.8, 0.99]}
adam_maximize            Adam     {"maximize": true, "lr": 0.01, "eps": 1e-6}
adamw_default            AdamW    {}
adamw_amsgrad            AdamW    {"amsgrad": true, "weight_decay": 0.1}
adamw_maximize           AdamW    {"maximize": true, "lr": 0.01}
adagrad_default          Adagrad  {}
adagrad_lr_decay         Adagrad  {"lr_decay": 0.01}
adagrad_init_acc         Adagrad  {"initial_accumulator_value": 0.1, "eps": 1e-6}
adagrad_wd_maximize      Adagrad  {"weight_decay": 0.01, "maximize": true}
adadelta_default         Adadelta {}
adadelta_rho_wd          Adadelta {"rho": 0.5, "weight_decay": 0.01}
adadelta_maximize        Adadelta {"maximize": true, "lr": 0.5}
nadam_default            NAdam    {}
nadam_momentum_decay     NAdam    {"momentum_decay": 0.01}
nadam_wd                 NAdam    {"weight_decay": 0.01, "betas": [0.85, 0.99]}
adamax_default           Adamax   {}
adamax_wd_maximize       Adamax   {"weight_decay": 0.01, "maximize": true, "betas": [0.8, 0.99], "eps": 1e-6}
radam_default            RAdam    {}
radam_wd                 RAdam    {"weight_decay": 0.01, "betas": [0.85, 0.95], "lr": 0.01, "eps": 1e-6}
asgd_default             ASGD     {}
asgd_averaging           ASGD     {"lambd": 0.01, "alpha": 0.5, "t0": 50, "lr": 0.05}
asgd_wd_maximize         ASGD     {"weight_decay": 0.01, "maximize": true, "t0": 10}
rprop_default            Rprop    {}
rprop_etas_sizes         Rprop    {"etas": [0.3, 1.5], "step_sizes": [0.001, 0.2], "lr": 0.05}
rprop_maximize           Rprop    {"maximize": true}
CASES
