#!/bin/bash
# `optlab hpo-bench`: --help, a clear error for bad input, and a tiny run that
# prints one row per function and sampler with finite, non-negative regrets.
set -u
bin=${OPTLAB_BIN:-build/optlab}
err=$(mktemp)
trap 'rm -f "$err"' EXIT
"$bin" hpo-bench --help | grep -q -- '--trials' || { echo "no --help"; exit 1; }
"$bin" hpo-bench --trials zero 2>"$err" && { echo "bad --trials accepted"; exit 1; }
grep -q -- "--trials" "$err" || { echo "error does not name --trials"; exit 1; }
"$bin" hpo-bench --function nope 2>"$err" && { echo "bad --function accepted"; exit 1; }
grep -q "nope" "$err" || { echo "error does not name the function"; exit 1; }
out=$("$bin" hpo-bench --trials 12 --seeds 2 --ask-history 20 2>/dev/null) || { echo "run failed"; exit 1; }
echo "$out"
rows=$(awk '!/^#/ && NF == 5 && $1 != "function"' <<<"$out")
[ "$(wc -l <<<"$rows")" -eq 6 ] || { echo "expected 6 rows"; exit 1; }
awk '{for (i = 3; i <= 5; i++) if (!($i >= 0) || $i == "inf" || $i == "nan") exit 1}' <<<"$rows" ||
    { echo "a regret is negative or not finite"; exit 1; }
# best-so-far regret never grows between trial 10 and the last
awk '{if ($5 > $3 + 1e-12) exit 1}' <<<"$rows" || { echo "regret grew"; exit 1; }
grep -q '^tpe ask' <<<"$out" || { echo "no ask timing"; exit 1; }
# --workers: TPE at 1 worker, at W without and with the constant liar, random; 4 rows per function
out=$("$bin" hpo-bench --workers 3 --trials 14 --seeds 2 --function branin 2>/dev/null) || { echo "--workers run failed"; exit 1; }
echo "$out"
[ "$(grep -c '^branin ' <<<"$out")" -eq 4 ] || { echo "expected 4 --workers rows"; exit 1; }
grep -q '^branin *tpe, W, liar ' <<<"$out" && grep -q '^branin *tpe, W, no liar ' <<<"$out" || { echo "no liar rows"; exit 1; }
awk '/^branin/ {for (i = NF - 2; i <= NF; i++) if (!($i >= 0) || $i == "inf" || $i == "nan") exit 1}' <<<"$out" ||
    { echo "a --workers regret is negative or not finite"; exit 1; }
"$bin" hpo-bench --workers 0 2>/dev/null && { echo "--workers 0 accepted"; exit 1; }
exit 0
