#!/bin/bash
# Replays the torch.optim.LBFGS goldens (tests/optim/golden/lbfgs/, made by
# make_lbfgs_goldens.sh there from torch 1.13) through `optlab replay`: torch's loss
# and gradient are fed back at every closure call, and both where optlab's LBFGS asks
# for an evaluation ("at" lines: the line search's trial points) and its params after
# each step must match torch's within 1e-6 relative (floor 1e-3). The evaluation
# counts must match exactly (replay fails otherwise). Also checks the comparison fails
# on an "at" point that is off.
set -u
bin=${OPTLAB_BIN:-build/optlab}
dir=tests/optim/golden/lbfgs
cmp=tests/optim/compare_trajectory.awk
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
status=0; count=0; wolfe=0
for g in "$dir"/*.txt; do
    name=$(basename "$g" .txt)
    if ! "$bin" replay "$g" > "$tmp/$name.out"; then echo "$name: replay failed"; status=1; continue; fi
    printf '%-18s params: ' "$name"
    awk -v tol=1e-6 -v floor=1e-3 -f "$cmp" "$tmp/$name.out" "$g" | tr '\n' ' '
    awk -v tol=1e-6 -v floor=1e-3 -f "$cmp" "$tmp/$name.out" "$g" > /dev/null || status=1
    printf '  evaluation points: '
    awk -v key=at -v tol=1e-6 -v floor=1e-3 -f "$cmp" "$tmp/$name.out" "$g" || status=1
    count=$((count + 1))
    grep -q '^optimizer LBFGS .*strong_wolfe' "$g" && wolfe=$((wolfe + 1))
done
[ "$count" -ge 6 ] || { echo "only $count LBFGS goldens"; status=1; }
[ "$wolfe" -ge 3 ] || { echo "only $wolfe strong-Wolfe goldens"; status=1; }
g="$dir/wolfe_default.txt"
awk '$1 == "at" && ++k == 9 { $3 = sprintf("%.9e", $3 * (1 + 1e-5)) } { print }' "$tmp/wolfe_default.out" > "$tmp/off.out"
if awk -v key=at -v tol=1e-6 -v floor=1e-3 -f "$cmp" "$tmp/off.out" "$g" > /dev/null; then
    echo "comparison did not notice an evaluation point off by 1e-5"; status=1
fi
exit $status
