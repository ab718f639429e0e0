#!/bin/bash
# Issue 18.6, "does the sampler change the seed experiment's answer?", as one table:
# `optlab report --experiment E --baseline seed` once per sampler experiment E of one
# storage (experiments/samplers/seed-*.ini), and its "Against the baseline" numbers for
# every optimizer collected into one Markdown table on stdout: the best trial's test
# accuracy on each side with the paired difference and its tests, then the trials each
# search needed to come within 0.1 points of its own best. Nothing is computed here: every
# number is the report's, so the table says exactly what the reports say.
#
#   scripts/compare-samplers.sh STORAGE_URL [--baseline NAME] [--report-dir DIR] [--figures DIR] [EXPERIMENT ...]
#
# EXPERIMENT defaults to seed-mvtpe seed-gp seed-cmaes seed-random; one not in the storage
# is named on stderr and left out. --report-dir DIR keeps each report as DIR/EXPERIMENT
# (default: a temporary directory, removed). The optlab used is $OPTLAB_BIN, else this
# checkout's build/optlab, else the one on the PATH. Exit 0 when at least one experiment
# was compared, 1 when none, 2 on a usage error.
#
# --figures DIR draws every sampler in one figure per optimizer, DIR/samplers-OPT.{png,svg}
# with its .dat and .gp: the best valid-trial accuracy so far after each trial, mean over
# the paired repetitions, copied from the reports' pruning-best-so-far.dat. The baseline's
# curve is the one paired with the most repetitions; an experiment whose report averaged a
# different set of the baseline's repetitions is named on stderr (its own curve is drawn).
set -u
usage() {
    sed -n '10,10s/^#   //p' "$0" | sed 's/^/usage: /' >&2
    exit 2
}
storage=; baseline=seed; keep=; figures=; exps=()
while [ $# -gt 0 ]; do
    case "$1" in
    --baseline) [ $# -ge 2 ] || usage; baseline=$2; shift 2 ;;
    --baseline=*) baseline=${1#*=}; shift ;;
    --report-dir) [ $# -ge 2 ] || usage; keep=$2; shift 2 ;;
    --report-dir=*) keep=${1#*=}; shift ;;
    --figures) [ $# -ge 2 ] || usage; figures=$2; shift 2 ;;
    --figures=*) figures=${1#*=}; shift ;;
    -h|--help) sed -n '2,22s/^# \{0,1\}//p' "$0"; exit 0 ;;
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

# --figures: per optimizer, the baseline's block and each experiment's block of the reports'
# pruning-best-so-far.dat ("# block K: LABEL, EXPERIMENT" then rows "trial mean repetitions",
# the last at N+1 with 0 repetitions) side by side in DIR/samplers-SLUG.dat, then its .gp.
dat_block() { # FILE K: the rows of block K of a report's .dat
    awk -v b="$2" '/^# block [0-9]+: / { blk = $3; sub(/:$/, "", blk); on = (blk == b); next }
                   on && /^[0-9]/ { print }' "$1"
}
draw_figures() {
    mkdir -p "$figures" || exit 1
    local bsampler
    bsampler=$(grep -o -m1 'against the baseline experiment `[^`]*` (sampler `[^`]*`' "$out"/*/README.md 2>/dev/null |
        head -1 | sed 's/.*sampler `\(.*\)`/\1/')
    # one line per (optimizer, experiment) curve: label \t experiment \t sampler \t repetitions \t file \t block
    local e s
    while read -r e s; do
        awk -v e="$e" -v s="$s" -v base="$baseline" -v bs="${bsampler:-?}" -v f="$out/$e/figures/pruning-best-so-far.dat" '
            /^# block [0-9]+: / { split(substr($0, index($0, ": ") + 2), a, ", "); lab = a[1]; x = a[2]
                                  blk = $3; sub(/:$/, "", blk); want = 1; next }
            want && /^[0-9]/ { printf "%s\t%s\t%s\t%s\t%s\t%s\n", lab, (x == base ? base : e), (x == base ? bs : s), $3, f, blk; want = 0 }
        ' "$out/$e/figures/pruning-best-so-far.dat"
    done <"$tmp/compared" >"$tmp/curves"
    local label slug dat gp
    cut -f1 "$tmp/curves" | awk '!seen[$0]++' | while IFS= read -r label; do
        slug=$(printf '%s' "$label" | tr 'A-Z' 'a-z' | tr -c 'a-z0-9\n' '-')
        dat=$figures/samplers-$slug.dat
        gp=$figures/samplers-$slug.gp
        # the baseline's curve paired with the most repetitions, then every experiment's
        awk -F'\t' -v l="$label" -v base="$baseline" '$1 == l && $2 == base' "$tmp/curves" | sort -t$'\t' -k4,4nr | head -1 >"$tmp/pick"
        awk -F'\t' -v l="$label" -v base="$baseline" '$1 == l && $2 != base' "$tmp/curves" >>"$tmp/pick"
        {
            echo "# $label: best valid-trial accuracy so far (%) after each search trial, mean over the paired"
            echo "# repetitions, copied from each report's figures/pruning-best-so-far.dat (scripts/compare-samplers.sh)"
        } >"$dat"
        local k=0 lab x smp n f b
        while IFS=$'\t' read -r lab x smp n f b; do
            [ $k -eq 0 ] || printf '\n\n' >>"$dat"
            echo "# block $k: $x (sampler $smp), repetitions: $n" >>"$dat"
            echo "# trial	mean_best_so_far_pct	repetitions" >>"$dat"
            dat_block "$f" "$b" >>"$dat"
            k=$((k + 1))
        done <"$tmp/pick"
        # a baseline block in another report that is not the one drawn: that report paired other repetitions
        local ref
        ref=$(awk -F'\t' 'NR == 1 { print $5 "\t" $6 }' "$tmp/pick")
        awk -F'\t' -v l="$label" -v base="$baseline" '$1 == l && $2 == base' "$tmp/curves" |
            while IFS=$'\t' read -r lab x smp n f b; do
                if ! cmp -s <(dat_block "$f" "$b") <(dat_block "${ref%$'\t'*}" "${ref#*$'\t'}"); then
                    echo "compare-samplers.sh: figure $label: $(basename "$(dirname "$(dirname "$f")")") paired $n repetition(s) of $baseline, not those of the drawn $baseline curve" >&2
                fi
            done
        write_gp "$label" "$slug" "$tmp/pick" >"$gp"
        (cd "$figures" && gnuplot "samplers-$slug.gp") || { echo "compare-samplers.sh: gnuplot failed on $gp" >&2; exit 1; }
    done || exit 1 # the loop runs in a pipeline's subshell: its exit ends only that
    echo "figures: $(cd "$figures" && pwd)/samplers-*.png" >&2
}

# the gnuplot script of one optimizer's figure: the baseline dashed and black, the others in the
# Okabe-Ito palette (safe for colour-blind readers), as the report draws its figures
write_gp() {
    local label=$1 slug=$2 pick=$3
    local colours=("#000000" "#0072B2" "#D55E00" "#009E73" "#CC79A7" "#E69F00" "#56B4E9" "#F0E442")
    local last
    last=$(awk '/^[0-9]/ { if ($1 > m) m = $1 } END { print m + 0 }' "$figures/samplers-$slug.dat")
    cat <<GP
# samplers-$slug.gp — $label: every sampler's best valid-trial accuracy so far, mean over repetitions.
# Draws samplers-$slug.png and .svg from samplers-$slug.dat: run \`gnuplot samplers-$slug.gp\` here.
# Written by scripts/compare-samplers.sh; edit freely.
set encoding utf8
font = "DejaVu Sans,13"
set terminal pngcairo size 800,500 noenhanced font font linewidth 1.2
set output "samplers-$slug.png"
set border lw 1
set grid lc rgb "#d9d9d9" lw 1
set title font ",14"
set key at screen 0.5, screen 0.015 center bottom horizontal Left reverse samplen 2 width 2 maxcols 3
set tics out nomirror
set datafile missing "NaN"
set title "$label: best valid-trial accuracy so far, mean over repetitions\\n(baseline $baseline dashed)"
set xlabel "trial (search order)"
set ylabel "best valid-trial accuracy so far (%)"
set xrange [1:$last]
set format x "%.0f"
set format y "%.1f"
set bmargin 8.0
GP
    local k=0 lab x smp n f b sep="plot "
    while IFS=$'\t' read -r lab x smp n f b; do
        local dt=1
        [ $k -eq 0 ] && dt=2
        printf '%s"samplers-%s.dat" index %d using 1:2 with steps lw 2 dt %d lc rgb "%s" title "%s (%s, %s rep.)"' \
            "$sep" "$slug" $k $dt "${colours[$((k % 8))]}" "$smp" "$x" "$n"
        sep=$', \\\n     '
        k=$((k + 1))
    done <"$pick"
    printf '\n'
    cat <<GP
set terminal svg size 800,500 noenhanced font font linewidth 1.2 background "white"
set output "samplers-$slug.svg"
replot
unset output
GP
}

compared=0; table=$tmp/table.md; : >"$tmp/compared"
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
    echo "$e ${sampler:-?}" >>"$tmp/compared"
done
if [ $compared -eq 0 ]; then
    echo "compare-samplers.sh: no experiment of ${exps[*]} could be compared with $baseline in $storage" >&2
    exit 1
fi
echo "| experiment (sampler) | optimizer | repetitions | test accuracy, baseline \`$baseline\` | test accuracy, this | difference | paired t p | sign-flip p | trials to within 0.1 points, baseline | trials, this | difference | paired t p | sign-flip p |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
cat "$table"
[ -z "$keep" ] || echo "reports: $(cd "$out" && pwd)/EXPERIMENT/README.md" >&2
[ -z "$figures" ] || draw_figures
