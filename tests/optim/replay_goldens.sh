#!/bin/bash
# Replays every torch.optim golden trajectory (tests/optim/golden/, made by
# make_goldens.sh there) through `optlab replay` and compares each param line
# with torch's: error = |ours - torch| / max(|torch|, 1e-3) must stay <= 1e-5
# for every element at every step (1e-3 is the absolute floor for values near 0).
# The modern optimizers' goldens (modern_*.txt, numpy references from the papers,
# written by modern_reference.py) must agree to 1e-6 relative.
# Also checks that the comparison does fail on a trajectory that is off.
set -u
bin=${OPTLAB_BIN:-build/optlab}
dir=tests/optim/golden
cmp=tests/optim/compare_trajectory.awk
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
status=0; count=0; modern=0
for g in "$dir"/*.txt; do
    name=$(basename "$g" .txt)
    tol=1e-5
    case $name in modern_*) tol=1e-6; modern=$((modern + 1)) ;; esac
    if ! "$bin" replay "$g" > "$tmp/$name.out"; then echo "$name: replay failed"; status=1; continue; fi
    printf '%-24s ' "$name"
    awk -v tol=$tol -v floor=1e-3 -f "$cmp" "$tmp/$name.out" "$g" || status=1
    count=$((count + 1))
done
[ "$count" -ge 58 ] || { echo "only $count goldens found"; status=1; }
[ "$modern" -ge 22 ] || { echo "only $modern modern goldens found"; status=1; }
# shapes matter: without its shape line Muon's golden is one 1-D tensor (all AdamW) and must not match
grep -v '^shape ' "$dir/modern_muon_default.txt" > "$tmp/noshape.txt"
"$bin" replay "$tmp/noshape.txt" > "$tmp/noshape.out" || { echo "replay without a shape line failed"; status=1; }
if awk -v tol=1e-6 -v floor=1e-3 -f "$cmp" "$tmp/noshape.out" "$dir/modern_muon_default.txt" > /dev/null; then
    echo "muon's replay ignored the shape line"; status=1
fi
# bad shape lines are refused with a message naming the fault
sed 's/^shape .*/shape 3x4 3 5x3 5 2x5 3/' "$dir/modern_muon_default.txt" > "$tmp/badcount.txt"
msg=$("$bin" replay "$tmp/badcount.txt" 2>&1 >/dev/null); rc=$?
[ $rc -eq 1 ] && grep -q 'add up to more than its 47 parameters' <<<"$msg" || { echo "shape/count mismatch: rc $rc: $msg"; status=1; }
sed 's/^shape .*/shape 3x4 3@muon 5x3 5 2x5 2/' "$dir/modern_muon_default.txt" > "$tmp/muon1d.txt"
msg=$("$bin" replay "$tmp/muon1d.txt" 2>&1 >/dev/null); rc=$?
[ $rc -eq 1 ] && grep -q 'is 1-D (3 values)' <<<"$msg" || { echo "muon on a 1-D tensor: rc $rc: $msg"; status=1; }
sed 's/^shape .*/shape 3x4 3 5y3 5 2x5 2/' "$dir/modern_muon_default.txt" > "$tmp/badtoken.txt"
msg=$("$bin" replay "$tmp/badtoken.txt" 2>&1 >/dev/null); rc=$?
[ $rc -eq 1 ] && grep -q "'5y3' is not ROWSxCOLS" <<<"$msg" || { echo "bad shape token: rc $rc: $msg"; status=1; }
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
