# _kill_random.sh — shared by tests/cli/kill_random.sh (SQLite) and
# tests/cli/kill_random_postgres.sh: kill `optlab run --jobs 2` with SIGKILL at
# random moments (the parent or one of its worker children, chosen at random),
# restart it each time, then let it finish and check the study. Sourced from the
# repository root; not a test itself (scripts/run-tests.sh skips '_' files).
#
# Inputs: BIN, tmp, URL (storage), KILLS (moments), N (trials in the study),
# SEED (for $RANDOM; printed so a failing sequence can be replayed), and
# optionally fault_hook, a function called with the moment's index that may
# do a fault before that moment's kill (returns 0 if it did).
# Outputs: kills_parent, kills_worker, other_faults, finished_early.

kill_random_setup() {
    sed -e 's/^train = .*/train = 100/' -e 's/^valid_epoch = .*/valid_epoch = 100/' \
        -e 's/^valid_trial = .*/valid_trial = 100/' -e 's/^test = .*/test = 100/' \
        -e 's/^max_epochs = .*/max_epochs = 2/' -e 's/^patience = .*/patience = 100/' \
        tests/cli/tiny.ini > "$tmp/cheap.ini"
    RANDOM=$SEED
    kills_parent=0; kills_worker=0; other_faults=0; finished_early=0
}

kill_random_start() { # start the run in the background, its pid in $pid
    "$BIN" run "$tmp/cheap.ini" --data data --storage "$URL" --jobs 2 --trials "$N" --only adam \
        --no-report --quiet >>"$tmp/runs.log" 2>&1 &
    pid=$!
}

# Wait until process $1 and every worker it had ($2: their pids) are gone.
kill_random_wait_gone() {
    local p
    wait "$1" 2>/dev/null || true
    for p in $2; do
        for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
        ! kill -0 "$p" 2>/dev/null || { echo "worker $p outlived its parent $1" >&2; return 1; }
    done
}

kill_random_loop() {
    local k delay children victim
    for ((k = 1; k <= KILLS; k++)); do
        kill_random_start
        # a random moment: 0.05 s to 1.2 s after the start (startup, first trial, mid-epoch, telling)
        delay=$(awk -v r=$((RANDOM % 1151 + 50)) 'BEGIN { printf "%.3f", r / 1000 }')
        sleep "$delay"
        if ! kill -0 $pid 2>/dev/null; then
            wait $pid || { cat "$tmp/runs.log"; echo "run failed after restart $k" >&2; return 1; }
            finished_early=1; pid=""; echo "the study finished before moment $k"; break
        fi
        if declare -F fault_hook >/dev/null && fault_hook "$k"; then
            # the run must ride through the fault (reconnect) and go on; then it is killed as well
            other_faults=$((other_faults + 1))
            sleep 1
            if ! kill -0 $pid 2>/dev/null; then
                wait $pid || { tail -20 "$tmp/runs.log"; echo "the run failed after fault $k" >&2; return 1; }
                finished_early=1; pid=""; echo "the study finished after fault $k"; break
            fi
        fi
        children=$(pgrep -P $pid | tr '\n' ' ' || true)
        if [ -n "$children" ] && [ $((RANDOM % 2)) = 0 ]; then
            local -a kids=($children)
            victim=${kids[RANDOM % ${#kids[@]}]}
            kill -9 "$victim" 2>/dev/null || true
            kills_worker=$((kills_worker + 1))
            # the parent replaces the worker; stop the run too, so that the next moment starts fresh
            sleep 0.2
            children=$(pgrep -P $pid | tr '\n' ' ' || true)
            kill -9 $pid 2>/dev/null || true
        else
            kill -9 $pid 2>/dev/null || true
            kills_parent=$((kills_parent + 1))
        fi
        kill_random_wait_gone $pid "$children" || return 1
        pid=""
    done
}

kill_random_finish() { # LIMIT_SECONDS: the last, undisturbed run must finish the study
    "$BIN" run "$tmp/cheap.ini" --data data --storage "$URL" --jobs 2 --trials "$N" --only adam \
        --no-report --quiet >>"$tmp/runs.log" 2>&1 &
    pid=$!
    local ok=0
    for _ in $(seq 1 $(($1 * 10))); do kill -0 $pid 2>/dev/null || { ok=1; break; }; sleep 0.1; done
    [ $ok = 1 ] || { tail -20 "$tmp/runs.log"; echo "the last run did not finish within $1 s" >&2; return 1; }
    wait $pid || { tail -20 "$tmp/runs.log"; echo "the last run failed" >&2; return 1; }
    pid=""
}

kill_random_check() { # the study as the test demands it; prints the figures line
    local figures
    figures=$(/usr/bin/python3 bench/_study_check.py "$URL" tiny/adam)
    echo "$figures"
    local want="complete=$N .*running=0 duplicates=0 dense=yes"
    grep -q "$want" <<<"$figures" || { echo "expected $want" >&2; return 1; }
    grep -q "optuna_load=ok" <<<"$figures" || { echo "Optuna did not load the study" >&2; return 1; }
    case "$URL" in sqlite:*) grep -q "integrity=ok" <<<"$figures" || { echo "integrity check failed" >&2; return 1; } ;; esac
    "$BIN" report --storage "$URL" --report-dir "$tmp/report" >"$tmp/report.log" 2>&1 ||
        { cat "$tmp/report.log"; echo "the report did not build" >&2; return 1; }
    [ -s "$tmp/report/README.md" ] || { echo "no report/README.md" >&2; return 1; }
    grep -q "marked FAIL\|FAIL" "$tmp/runs.log" || true
}
