#!/bin/bash
# `optlab optimizers` lists the rest of torch.optim (Adamax, RAdam, ASGD, Rprop) from the
# registry and LBFGS (its own entry point), each with its update equations under
# `optlab optimizers NAME`; `optlab replay --help` and `optlab train --help` name schedules.
set -u
bin=${OPTLAB_BIN:-build/optlab}
status=0
fail() { echo "FAIL: $*"; status=1; }
list=$("$bin" optimizers) || fail "optlab optimizers failed"
for name in adamax radam asgd rprop lbfgs; do
    grep -q "^$name " <<<"$list" || fail "optlab optimizers does not list $name"
done
# each one's page shows its own update rule (a phrase only that rule has)
check() { "$bin" optimizers "$1" | grep -qF -- "$2" || fail "optlab optimizers $1 lacks '$2'"; }
check Adamax "u = max(beta2 * u, |g| + eps)"
check RAdam "rho_inf = 2 / (1 - beta2) - 1"
check ASGD "eta_{t+1} = lr / (1 + lambd * lr * t)^alpha"
check Rprop "s = clamp(s, step_size_min, step_size_max)"
check LBFGS "strong_wolfe"
check lbfgs "two-loop recursion"
"$bin" replay --help | grep -q "scheduler" || fail "replay --help does not mention the scheduler line"
"$bin" train --help | grep -q -- "--schedule" || fail "train --help does not mention --schedule"
exit $status
