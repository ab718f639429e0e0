#!/bin/bash
# `optlab serve` under load (issue 15.5). Not a timed test: figures only.
#   1. a 10,000-trial study in Optuna's schema (bench/serve_big_study.py, about a
#      minute; SERVE_BENCH_DB=FILE reuses one): the time to serve the study
#      page's data (the whole study as JSON) and the overview, and the server's RSS;
#   2. a small `optlab run` (tests/cli/tiny.ini) alone, then again with 50 viewers
#      polling its study every second (bench/serve_load.py): the run's wall time
#      both ways, the viewers' p50/p95 latency, the server's peak RSS.
# Figures measured on a machine whose cores are shared must say so.
set -eu
cd "$(dirname "$0")/.."
bin=${OPTLAB_BIN:-$PWD/build/optlab}
viewers=${SERVE_BENCH_VIEWERS:-50}
tmp=$(mktemp -d); srv=""
trap '[ -n "$srv" ] && kill "$srv" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
[ -x "$bin" ] || { echo "serve.sh: build first (make)" >&2; exit 1; }

start_server() { # DB -> $srv, $url
    : > "$tmp/s.out" # exists before the background serve opens it
    "$bin" serve --storage "sqlite:///$1" --port 0 > "$tmp/s.out" 2>&1 & srv=$!
    url=""
    for _ in $(seq 100); do
        url=$(sed -n 's|^optlab serve: \(http://127.0.0.1:[0-9]*/\) .*|\1|p' "$tmp/s.out"); [ -n "$url" ] && return 0; sleep 0.1
    done
    cat "$tmp/s.out"; echo "serve.sh: optlab serve did not start" >&2; exit 1
}
stop_server() { kill -INT "$srv"; wait "$srv" || true; srv=""; }
rss() { awk '/^VmHWM/ {printf "peak RSS %.1f MB", $2 / 1024} /^VmRSS/ {printf ", now %.1f MB", $2 / 1024}' "/proc/$srv/status"; }
cpu() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$srv/stat"; }
median_time() { # URL: median of 5 wall times of a full GET, and the size
    for _ in 1 2 3 4 5; do curl -s -o "$tmp/body" -w '%{time_total}\n' "$1"; done | sort -n | sed -n 3p
}

# 1. a 10,000-trial study
db=${SERVE_BENCH_DB:-}
if [ -z "$db" ]; then
    echo "building a 10,000-trial study (about a minute) ..."
    db=$tmp/big.db; /usr/bin/python3 bench/serve_big_study.py "$db" 10000 > /dev/null
fi
start_server "$db"
c0=$(cpu); t=$(median_time "${url}api/study?name=big"); c1=$(cpu)
n=$(/usr/bin/python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["trials"]))' "$tmp/body")
printf '10,000-trial study, page data (all %s trials as JSON, %s bytes): %.3f s wall (median of 5), %.2f s of server CPU each\n' \
    "$n" "$(stat -c %s "$tmp/body")" "$t" "$(echo "($c1 - $c0) / 5" | bc -l)"
t=$(median_time "${url}api/studies")
printf 'overview of that storage: %.3f s (median of 5)\n' "$t"
# server CPU per poll, which is what bounds how many viewers a core serves
per_poll() { local c0 c1; c0=$(cpu); for _ in $(seq 100); do curl -s -o /dev/null "$1"; done; c1=$(cpu); echo "($c1 - $c0) * 10" | bc -l; }
printf 'server CPU per poll: study page (incremental) %.1f ms, overview %.1f ms (mean of 100)\n' \
    "$(per_poll "${url}api/study?name=big&after=10000")" "$(per_poll "${url}api/studies")"
/usr/bin/python3 bench/serve_load.py "$url" big "$viewers" 10 1 | sed 's/^/on the 10,000-trial study (incremental polls): /'
echo "server: $(rss)"
stop_server

# 2. a run's wall time without and with viewers
sed -e 's/^max_epochs = .*/max_epochs = 3/' tests/cli/tiny.ini > "$tmp/tiny.ini"
# Both runs start from the same 1-trial storage and add the same 6 trials (one seed
# fixes the study), so only the viewers differ.
prepare() { "$bin" run "$tmp/tiny.ini" --data data --storage "sqlite:///$1" --jobs 1 --trials 1 --only adam --no-report --quiet > /dev/null; }
timed_run() { # DB -> wall seconds of adding trials 2..7
    local t0; t0=$(date +%s.%N)
    "$bin" run "$tmp/tiny.ini" --data data --storage "sqlite:///$1" --jobs 2 --trials 7 --only adam --no-report --quiet > /dev/null
    echo "$(date +%s.%N) - $t0" | bc
}
prepare "$tmp/alone.db"
alone=$(timed_run "$tmp/alone.db")
prepare "$tmp/watched.db"
start_server "$tmp/watched.db"
/usr/bin/python3 bench/serve_load.py "$url" tiny/adam "$viewers" 3600 1 > "$tmp/load.out" 2>&1 & load=$!
sleep 2
watched=$(timed_run "$tmp/watched.db")
kill -TERM "$load"; wait "$load" || true
printf 'optlab run (tests/cli/tiny.ini, adam, 6 trials, 2 jobs): alone %.1f s, with %s viewers polling every second %.1f s\n' \
    "$alone" "$viewers" "$watched"
sed 's/^/viewers during the run: /' "$tmp/load.out"
echo "server: $(rss)"
stop_server
echo "(load average at the end: $(cut -d" " -f1-3 /proc/loadavg) on $(nproc) cores; figures taken with other jobs on the cores must say so)"
