#!/bin/bash
# Issue 18.6, "does the sampler change the seed experiment's answer?", as one table:
# `optlab report --experiment E --baseline seed` once per sampler experiment E of one
# storage (experiments/samplers/seed-*.ini), and its "Against the baseline" numbers for
# every optimizer collected into one Markdown table on stdout: the best trial's test
# accuracy on each side with the paired difference and its tests, then the trials each
# search needed to come within 0.1 points of its own best. Nothing is computed here: every
# number is the report's, so the table says exactly what the reports say.
#
#   scripts/compare-samplers.sh STORAGE_URL [--baseline NAME] [--report-dir DIR] [EXPERIMENT ...]
#
# EXPERIMENT defaults to seed-mvtpe seed-gp seed-cmaes seed-random; one not in the storage
# is named on stderr and left out. --report-dir DIR keeps each report as DIR/EXPERIMENT
# (default: a temporary directory, removed). The optlab used is $OPTLAB_BIN, else this
# checkout's build/optlab, else the one on the PATH. Exit 0 when at least one experiment
# was compared, 1 when none, 2 on a usage error.
set -u
usage() {
    sed -n '10,10s/^#   //p' "$0" | sed 's/^/usage: /' >&2
    exit 2
}
storage=; baseline=seed; keep=; exps=()
while [ $# -gt 0 ]; do
    case "$1" in
    --baseline) [ $# -ge 2 ] || usage; baseline=$2; shift 2 ;;
    --baseline=*) baseline=${1#*=}; shift ;;
    --report-dir) [ $# -ge 2 ] || usage; keep=$2; shift 2 ;;
    --report-dir=*) keep=${1#*=}; shift ;;
    -h|--help) sed -n '2,16s/^# \{0,1\}//p' "$0"; exit 0 ;;
    -*) echo "compare-samplers.sh: unknown option $1" >&2; usage ;;
    *) if [ -z "$storage" ]; then storage=$1; else exps+=("$1"); fi; shift ;;
    esac
done
[ -n "$storage" ] || usage
[ ${#exps[@]} -gt 0 ] || exps=(seed-mvtpe seed-gp seed-cmaes seed-random)
here=$(cd "$(dirname "$0")/.." && pwd)
BIN=${OPTLAB_BIN:-}
[ -n "$BIN" ] || { [ -x "$here/build/optlab" ] && BIN=$here/build/optlab; } || BIN=optlab
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
out=${keep:-$tmp}
mkdir -p "$out" || exit 1

compared=0; table=$tmp/table.md
for e in "${exps[@]}"; do
    if ! "$BIN" report --storage "$storage" --experiment "$e" --baseline "$baseline" --lang en \
        --report-dir "$out/$e" >"$tmp/$e.log" 2>&1; then
        echo "compare-samplers.sh: $e left out: $(tail -1 "$tmp/$e.log")" >&2
        continue
    fi
    md=$out/$e/README.md
    # "This experiment (`seed-gp`, sampler `gp`) against ...": the sampler as the report names it
    sampler=$(grep -o -m1 "This experiment (\`[^\`]*\`, sampler \`[^\`]*\`" "$md" | sed 's/.*sampler `\(.*\)`/\1/')
    [ -n "$sampler" ] || sampler=$(grep -o -m1 'Both sample with `[^`]*`' "$md" | sed 's/.*`\(.*\)`/\1/')
    # the two tables of the section, by their headers; a row is "| label | n | a | b | diff | p | p |"
    rows=$(awk -F' \\| ' '
        /^\| Optimizer \| repetitions \| test accuracy \(baseline\)/ { mode = "test"; next }
        /^\| Optimizer \| repetitions \| trials, baseline/ { mode = "trials"; next }
        /^\|---/ { next }
        !/^\|/ { mode = "" }
        mode != "" && /^\| / {
            sub(/^\| /, ""); sub(/ \|$/, "")
            n = split($0, f, / \| /)
            if (n != 7) next
            key = f[1]
            if (!(key in seen)) { seen[key] = 1; order[++m] = key }
            if (mode == "test") test[key] = f[2] " | " f[3] " | " f[4] " | " f[5] " | " f[6] " | " f[7]
            else trials[key] = f[3] " | " f[4] " | " f[5] " | " f[6] " | " f[7]
        }
        END {
            for (i = 1; i <= m; i++) {
                k = order[i]
                t = (k in test) ? test[k] : "— | — | — | — | — | —"
                r = (k in trials) ? trials[k] : "— | — | — | — | —"
                print k " | " t " | " r
            }
        }' "$md")
    if [ -z "$rows" ]; then
        echo "compare-samplers.sh: $e left out: its report pairs no repetition with $baseline" >&2
        continue
    fi
    while IFS= read -r row; do echo "| $e (${sampler:-?}) | $row |"; done <<<"$rows" >>"$table"
    compared=$((compared + 1))
done
if [ $compared -eq 0 ]; then
    echo "compare-samplers.sh: no experiment of ${exps[*]} could be compared with $baseline in $storage" >&2
    exit 1
fi
echo "| experiment (sampler) | optimizer | repetitions | test accuracy, baseline \`$baseline\` | test accuracy, this | difference | paired t p | sign-flip p | trials to within 0.1 points, baseline | trials, this | difference | paired t p | sign-flip p |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
cat "$table"
[ -z "$keep" ] || echo "reports: $(cd "$out" && pwd)/EXPERIMENT/README.md" >&2
