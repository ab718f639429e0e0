#!/bin/bash
# Replays every torch.optim golden trajectory (tests/optim/golden/, made by
# make_goldens.sh there) through `optlab replay` and compares each param line
# with torch's: error = |ours - torch| / max(|torch|, 1e-3) must stay <= 1e-5
# for every element at every step (1e-3 is the absolute floor for values near 0).
# Also checks that the comparison does fail on a trajectory that is off.
set -u
bin=${OPTLAB_BIN:-build/optlab}
dir=tests/optim/golden
cmp=tests/optim/compare_trajectory.awk
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
status=0; count=0
for g in "$dir"/*.txt; do
    name=$(basename "$g" .txt)
    if ! "$bin" replay "$g" > "$tmp/$name.out"; then echo "$name: replay failed"; status=1; continue; fi
    printf '%-24s ' "$name"
    awk -v tol=1e-5 -v floor=1e-3 -f "$cmp" "$tmp/$name.out" "$g" || status=1
    count=$((count + 1))
done
[ "$count" -ge 36 ] || { echo "only $count goldens found"; status=1; }
# the comparison must be able to fail: nudge one value of one step by 1e-4 relative
g="$dir/adam_default.txt"
awk '$1 == "param" && ++k == 100 { $5 = sprintf("%.9e", $5 * (1 + 1e-4)) } { print }' "$tmp/adam_default.out" > "$tmp/off.out"
if awk -v tol=1e-5 -v floor=1e-3 -f "$cmp" "$tmp/off.out" "$g" > /dev/null; then
    echo "comparison did not notice a 1e-4 error"; status=1
fi
# and a golden cut short is a failure too
head -n 100 "$tmp/adam_default.out" > "$tmp/short.out"
if awk -v tol=1e-5 -v floor=1e-3 -f "$cmp" "$tmp/short.out" "$g" > /dev/null; then
    echo "comparison did not notice a missing step"; status=1
fi
exit $status
