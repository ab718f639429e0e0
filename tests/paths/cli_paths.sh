#!/bin/bash
# `optlab paths` from the command line: --help, usage errors (exit 2) and bad
# names (exit 1) with messages naming the value, a small run that writes the
# table and every figure (PNG + SVG beside .dat and .gp), the same output again
# for the same seed, and refusing to replace a directory that is not a paths output.
set -u
BIN="${OPTLAB_BIN:-build/optlab}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$BIN" paths --help | grep -q -- "--budget N" || fail "--help lacks --budget"
"$BIN" --help | grep -q "^  paths " || fail "optlab --help does not list paths"

"$BIN" paths --budget 0 --out "$tmp/p" 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] || fail "--budget 0: exit $rc, wanted 2"
grep -q -- "--budget" "$tmp/err" || fail "--budget message: $(cat "$tmp/err")"
"$BIN" paths --noise -1 --out "$tmp/p" 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] || fail "--noise -1: exit $rc, wanted 2"
"$BIN" paths --surface himmelblau --out "$tmp/p" 2>"$tmp/err"; rc=$?
[ $rc -eq 1 ] || fail "unknown surface: exit $rc, wanted 1"
grep -q "optlab paths: unknown surface 'himmelblau'" "$tmp/err" || fail "surface message: $(cat "$tmp/err")"
"$BIN" paths --optimizers adam,nosuch --out "$tmp/p" 2>"$tmp/err"; rc=$?
[ $rc -eq 1 ] || fail "unknown optimizer: exit $rc, wanted 1"
grep -q "'nosuch'" "$tmp/err" || fail "optimizer message: $(cat "$tmp/err")"
[ ! -e "$tmp/p" ] || fail "an output directory was created for bad input"

mkdir "$tmp/other"; echo keep > "$tmp/other/file"
"$BIN" paths --surface ravine --optimizers sgd --budget 2 --steps 20 --out "$tmp/other" 2>"$tmp/err"; rc=$?
[ $rc -eq 1 ] || fail "foreign directory: exit $rc, wanted 1"
grep -q "not an \`optlab paths\` output" "$tmp/err" || fail "foreign directory message: $(cat "$tmp/err")"
[ "$(cat "$tmp/other/file")" = keep ] || fail "the foreign directory was touched"

args=(--surface ravine,saddle --optimizers sgd,adam,lbfgs --budget 4 --steps 60 --noise 0.2 --seed 5)
"$BIN" paths "${args[@]}" --out "$tmp/p" >"$tmp/out" 2>"$tmp/progress" || fail "run failed: $(cat "$tmp/progress")"
grep -q "budget of 4 trials each (24 trials)" "$tmp/out" || fail "summary lacks the budget: $(cat "$tmp/out")"
[ "$(grep -c '^ravine \|^saddle ' "$tmp/progress")" -eq 6 ] || fail "progress lines: $(cat "$tmp/progress")"
[ "$(wc -l < "$tmp/p/paths.tsv")" -eq 7 ] || fail "paths.tsv rows: $(cat "$tmp/p/paths.tsv")"
for f in surface-ravine surface-ravine-all surface-saddle surface-saddle-all optimizer-sgd optimizer-adam optimizer-lbfgs; do
    for e in dat gp png svg; do [ -s "$tmp/p/figures/$f.$e" ] || fail "missing $f.$e"; done
done
grep -q "surface-ravine.png" "$tmp/p/README.md" || fail "README.md does not show the ravine figure"
# L-BFGS on a quadratic with exact gradients reaches 1e-3 within 60 steps
awk -F'\t' '$1 == "ravine" && $2 == "lbfgs" { exit !($6 >= 0 && $6 < 60) }' "$tmp/p/paths.tsv" \
    || fail "lbfgs did not converge on the ravine: $(grep lbfgs "$tmp/p/paths.tsv")"

# same seed: same table (figures are drawn from the same numbers); the earlier output is replaced
"$BIN" paths "${args[@]}" --out "$tmp/p" --quiet >"$tmp/out2" 2>&1 || fail "second run failed: $(cat "$tmp/out2")"
[ ! -s "$tmp/out2" ] || fail "--quiet printed: $(cat "$tmp/out2")"
cp "$tmp/p/paths.tsv" "$tmp/first.tsv"
"$BIN" paths "${args[@]}" --out "$tmp/q" --quiet || fail "third run failed"
cmp -s "$tmp/first.tsv" "$tmp/q/paths.tsv" || fail "same seed, different table"

# `optlab report --paths DIR`: the "optimizers" section, in English and Korean, its figures copied in
S="sqlite:///$tmp/s.db"
"$BIN" ask --storage "$S" --study-name q --direction minimize --param 'x=float:0:1' >/dev/null || fail "ask"
"$BIN" tell --storage "$S" --study-name q --trial-number 0 --values 1.5 || fail "tell"
"$BIN" report --storage "$S" --out "$tmp/r" --paths "$tmp/p" >/dev/null 2>"$tmp/err" || fail "report --paths: $(cat "$tmp/err")"
grep -q "^## Optimizers: their paths on 2-D surfaces" "$tmp/r/README.md" || fail "no optimizers section"
grep -q "^| LBFGS |" "$tmp/r/README.md" || fail "no LBFGS row: $(cat "$tmp/r/README.md")"
[ -s "$tmp/r/figures/surface-saddle.png" ] || fail "surface figure not copied into the report"
"$BIN" report --storage "$S" --out "$tmp/rk" --lang ko --paths "$tmp/p" >/dev/null 2>&1 || fail "report --lang ko --paths"
grep -q "^## Optimizer 의 경로" "$tmp/rk/README.md" || fail "no Korean optimizers section"
"$BIN" report --storage "$S" --out "$tmp/r2" --paths "$tmp/nowhere" 2>"$tmp/err"; rc=$?
[ $rc -eq 1 ] || fail "missing paths dir: exit $rc"
grep -q "nowhere/paths.tsv" "$tmp/err" || fail "missing paths dir message: $(cat "$tmp/err")"
[ ! -e "$tmp/r2" ] || fail "a report was written with a missing paths directory"
echo ok
