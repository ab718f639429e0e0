#!/bin/bash
# Replays every learning-rate schedule golden (tests/optim/golden/sched/, made from
# torch.optim.lr_scheduler 1.13 by make_sched_goldens.sh there) through `optlab replay`
# and compares both the param lines and the lr lines with torch's: relative error
# <= 1e-6 (with an absolute floor of 1e-3 * 1e-6 for params near 0, none for lr).
# Also checks that the comparison fails on a learning rate that is off by 1e-5.
set -u
bin=${OPTLAB_BIN:-build/optlab}
dir=tests/optim/golden/sched
cmp=tests/optim/compare_trajectory.awk
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
status=0; count=0
for g in "$dir"/*.txt; do
    name=$(basename "$g" .txt)
    if ! "$bin" replay "$g" > "$tmp/$name.out"; then echo "$name: replay failed"; status=1; continue; fi
    printf '%-22s params: ' "$name"
    awk -v tol=1e-6 -v floor=1e-3 -f "$cmp" "$tmp/$name.out" "$g" | tr '\n' ' ' || status=1
    awk -v tol=1e-6 -v floor=1e-3 -f "$cmp" "$tmp/$name.out" "$g" > /dev/null || status=1
    printf '  lr: '
    awk -v key=lr -v tol=1e-6 -v floor=0 -f "$cmp" "$tmp/$name.out" "$g" || status=1
    count=$((count + 1))
done
# every schedule kind has at least one golden
for kind in StepLR MultiStepLR ExponentialLR CosineAnnealingLR CosineAnnealingWarmRestarts LinearLR PolynomialLR \
            OneCycleLR ReduceLROnPlateau SequentialLR; do
    grep -qx "scheduler $kind .*" "$dir"/*.txt || { echo "no golden for $kind"; status=1; }
done
[ "$count" -ge 22 ] || { echo "only $count schedule goldens found"; status=1; }
# the comparison must be able to fail: one learning rate off by 1e-5 relative
g="$dir/cosine.txt"
awk '$1 == "lr" && ++k == 40 { $2 = sprintf("%.9e", $2 * (1 + 1e-5)) } { print }' "$tmp/cosine.out" > "$tmp/off.out"
if awk -v key=lr -v tol=1e-6 -v floor=0 -f "$cmp" "$tmp/off.out" "$g" > /dev/null; then
    echo "comparison did not notice a 1e-5 error in an lr"; status=1
fi
# a missing lr line is a failure too
awk '!($1 == "lr" && ++k == 7)' "$tmp/cosine.out" > "$tmp/short.out"
if awk -v key=lr -v tol=1e-6 -v floor=0 -f "$cmp" "$tmp/short.out" "$g" > /dev/null; then
    echo "comparison did not notice a missing lr line"; status=1
fi
exit $status
