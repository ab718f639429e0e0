# _asktell.bash — sourced by bench/sqlite_workers.sh and bench/pg_load.sh (named
# .bash so scripts/run-bench.sh does not take it for a benchmark).
# asktell BIN URL STUDY TRIALS ERRFILE: one process's loop of TRIALS trials of
# (x - 1)^2 through the CLI, `optlab ask --direction minimize` then `optlab tell`;
# each failed command appends its stderr and one "error: ..." line to ERRFILE.
asktell() {
    local bin=$1 url=$2 study=$3 n=$4 err=$5 out num x i
    for ((i = 0; i < n; i++)); do
        if ! out=$("$bin" ask --storage "$url" --study-name "$study" --direction minimize \
                --param x=float:-4:4 2>>"$err"); then echo "error: ask exit $?" >>"$err"; continue; fi
        num=$(sed 's/.*"number": \([0-9]*\).*/\1/' <<<"$out")
        x=$(sed 's/.*"x": \([-0-9.e+]*\).*/\1/' <<<"$out")
        "$bin" tell --storage "$url" --study-name "$study" --trial-number "$num" \
            --values "$(awk -v x="$x" 'BEGIN { printf "%.17g", (x - 1) * (x - 1) }')" >/dev/null 2>>"$err" ||
            echo "error: tell exit $?" >>"$err"
    done
}
