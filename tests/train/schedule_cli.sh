#!/bin/bash
# `optlab train --schedule`: bad schedules are refused before any data is read (exit 2,
# the message names the value), and a schedule really drives the run's learning rate:
# StepLR with gamma 0 and step_size 1 sets it to 0 after the first epoch, so epochs 2
# and 3 leave the weights (and the valid-epoch accuracy) exactly where epoch 1 left
# them, while the same run without the schedule keeps moving.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${OPTLAB_BIN:-build/optlab}
export OPENBLAS_NUM_THREADS=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# refused: "schedule|json|words the message must hold"
while IFS='|' read -r opt sched words; do
    [ -z "$opt" ] && continue
    set +e
    "$bin" train --optimizer "$opt" --data "$tmp/nowhere" --schedule "$sched" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    set -e
    [ $rc -eq 2 ] || fail "--schedule '$sched' with $opt: exit $rc, want 2 ($(cat "$tmp/err"))"
    for w in $words; do grep -qF -- "$w" "$tmp/err" || fail "--schedule '$sched': message lacks '$w': $(cat "$tmp/err")"; done
    grep -q "does not exist" "$tmp/err" && fail "--schedule '$sched' was checked after the data"
done <<'CASES'
adam|CosineLR|CosineLR CosineAnnealingLR
adam|StepLR|step_size required
adam|StepLR:{"step_size": 0}|step_size = 0
adam|CosineAnnealingLR:{"T_max": 10, "eta_min": -1}|eta_min = -1
adam|LinearLR:{"start_factor": 2}|start_factor = 2
adam|ExponentialLR:{"gamma": 0.9|not valid JSON
adam|ReduceLROnPlateau|mode "max"
adam|ReduceLROnPlateau:{"mode": "max", "factor": 1.5}|factor = 1.5
adagrad|OneCycleLR:{"max_lr": 0.1, "total_steps": 1000}|cycle_momentum adagrad
adam|OneCycleLR:{"max_lr": 0.1, "total_steps": 1000}|total_steps = 1000 max_epochs
adam|SequentialLR:{"schedulers": [["LinearLR", {}]], "milestones": [3]}|milestones
CASES

scripts/fetch-mnist.sh data/mnist || fail "could not fetch MNIST"
args=(train --optimizer adam --set learning_rate=1e-3 --max-epochs 3 --patience 5 --split 300,300,300,300)
"$bin" "${args[@]}" --schedule 'StepLR:{"step_size": 1, "gamma": 0}' >"$tmp/frozen" 2>"$tmp/err" || fail "run: $(cat "$tmp/err")"
"$bin" "${args[@]}" >"$tmp/free" 2>"$tmp/err" || fail "run without schedule: $(cat "$tmp/err")"
grep -q '^schedule: StepLR {"step_size": 1, "gamma": 0}, stepped after every epoch$' "$tmp/frozen" || fail "no schedule line: $(cat "$tmp/frozen")"
acc() { awk '$1 == "epoch" { print $6 }' "$1"; }
[ "$(acc "$tmp/frozen" | wc -l)" -eq 3 ] || fail "frozen run: not 3 epochs: $(cat "$tmp/frozen")"
[ "$(acc "$tmp/frozen" | sort -u | wc -l)" -eq 1 ] || fail "lr 0 after epoch 1, yet the accuracy moved: $(acc "$tmp/frozen" | tr '\n' ' ')"
[ "$(acc "$tmp/free" | head -1)" = "$(acc "$tmp/frozen" | head -1)" ] || fail "epoch 1 differs with the schedule (it must start at lr)"
[ "$(acc "$tmp/free" | sort -u | wc -l)" -gt 1 ] || fail "without the schedule the accuracy did not move either: test proves nothing"
echo "ok: frozen $(acc "$tmp/frozen" | tr '\n' ' '); free $(acc "$tmp/free" | tr '\n' ' ')"
