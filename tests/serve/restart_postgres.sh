#!/bin/bash
# `optlab serve` on PostgreSQL while the server goes away and comes back
# (issue 15.7): a private throwaway cluster (tests/storage/_pg_cluster.sh), a
# study written by `optlab ask`/`tell` (one trial left running: its heartbeat
# is read back), `optlab serve` on it with a URL that holds a password. The
# cluster is stopped (`pg_ctl stop -m immediate`, every connection cut): the JSON endpoints answer 503 with a message naming the
# server, within seconds; the cluster starts again: the same `optlab serve`
# process (never restarted) answers 200 again and shows a trial told after the
# restart. The password never appears in a response or in serve's output.
# Skipped, saying so, only when no PostgreSQL server can be started here.
set -eu
BIN=${OPTLAB_BIN:-build/optlab}
[ -x "$BIN" ] || { echo "no $BIN (make first)" >&2; exit 1; }
. tests/storage/_pg_cluster.sh
tmp=$(mktemp -d); srv=""
fail() { echo "restart_postgres: $*" >&2; exit 1; }
# synchronous_commit on: an immediate stop must not lose commits (fsync=off stays: the OS survives)
if ! PG_EXTRA_OPTS="-c synchronous_commit=on" PG_CLUSTER_NO_TRAP=1 pg_cluster_start 2> "$tmp/pg.err"; then
    cat "$tmp/pg.err" >&2
    echo "restart_postgres: SKIPPED (no PostgreSQL server could be started here)"
    rm -rf "$tmp"; exit 0
fi
trap '[ -n "$srv" ] && kill "$srv" 2>/dev/null; wait 2>/dev/null; pg_cluster_stop; rm -rf "$tmp"' EXIT
PW_URL="postgresql://optlab_pw:secret-pw@127.0.0.1:$PG_PORT/optlab"
pg_opts="-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DIR -c fsync=off -c synchronous_commit=on -c full_page_writes=off -c max_connections=100"
t0=$(date +%s)

tell_one() { # VALUE: ask a trial of study s and tell VALUE
    local n
    n=$("$BIN" ask --storage "$PW_URL" --study-name s --direction minimize --param 'x=float:0:1' |
        sed -n 's/.*"number": *\([0-9]*\).*/\1/p')
    [ -n "$n" ] || fail "optlab ask printed no trial number"
    "$BIN" tell --storage "$PW_URL" --study-name s --trial-number "$n" --values "$1" > /dev/null
}
tell_one 0.5
tell_one 0.25
# a trial left RUNNING: its heartbeat (written when it was created) is read back through PostgreSQL
"$BIN" ask --storage "$PW_URL" --study-name s --param 'x=float:0:1' > /dev/null

# the file exists before the background serve opens it: the loop below may read it first (under load it did,
# and sed's "can't read" ended the script through set -e)
: > "$tmp/serve.out"
"$BIN" serve --storage "$PW_URL" --port 0 > "$tmp/serve.out" 2> "$tmp/serve.err" & srv=$!
port=""
for _ in $(seq 100); do
    port=$(sed -n 's|^optlab serve: http://127.0.0.1:\([0-9]*\)/ .*|\1|p' "$tmp/serve.out")
    [ -n "$port" ] && break
    kill -0 $srv 2>/dev/null || { cat "$tmp/serve.err"; fail "optlab serve exited"; }
    sleep 0.1
done
[ -n "$port" ] || fail "optlab serve printed no URL"

# GET PATH -> "STATUS SECONDS" and the body in $tmp/body (appended to $tmp/all)
get() {
    /usr/bin/python3 - "$port" "$1" "$tmp/body" <<'PY'
import sys, time, urllib.request, urllib.error
port, path, out = sys.argv[1:4]
t0 = time.time()
try:
    r = urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30)
    status, body = r.status, r.read()
except urllib.error.HTTPError as e:
    status, body = e.code, e.read()
open(out, "wb").write(body)
print(status, f"{time.time() - t0:.2f}")
PY
    cat "$tmp/body" >> "$tmp/all"
}
read -r st secs < <(get /api/studies)
[ "$st" = 200 ] || { cat "$tmp/body"; fail "before the outage: /api/studies $st"; }
grep -q '"name":"s"' "$tmp/body" || fail "the study is not listed"
/usr/bin/python3 -c 'import json, sys
s = json.load(open(sys.argv[1]))
r = s["studies"][0]["running"]
assert len(r) == 1 and isinstance(r[0]["heartbeat"], float) and r[0]["stale"] is False, r
age = s["now"] - r[0]["heartbeat"]
assert -1 < age < 10, f"a heartbeat written seconds ago reads {age:.1f} s old"' "$tmp/body" ||
    { cat "$tmp/body"; fail "the running trial's heartbeat is not served"; }
read -r st secs < <(get "/api/study?name=s")
[ "$st" = 200 ] && grep -q '"value":0.25' "$tmp/body" || fail "the study's trials are not served"

# the server goes away: every connection cut, nothing listening
pg_cluster__as_owner "$PG_BIN/pg_ctl" -D "$PG_DATA" -w -t 30 -m immediate stop > /dev/null 2>&1 || fail "pg_ctl stop"
for path in /api/studies "/api/study?name=s"; do
    read -r st secs < <(get "$path")
    [ "$st" = 503 ] || { cat "$tmp/body"; fail "during the outage: $path answered $st, not 503"; }
    grep -q '"error":".*127.0.0.1' "$tmp/body" || { cat "$tmp/body"; fail "the outage message does not name the server"; }
    awk -v s="$secs" 'BEGIN { exit !(s < 10) }' || fail "$path took $secs s to report the outage"
    echo "restart_postgres: during the outage $path -> $st in $secs s: $(head -c 200 "$tmp/body")"
done
read -r st secs < <(get /)
[ "$st" = 200 ] || fail "the page itself is not served during the outage ($st)"

# the server comes back: the same optlab serve recovers without a restart
pg_cluster__as_owner "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_DIR/server.log" -w -t 30 -o "$pg_opts" start > /dev/null 2>&1 ||
    fail "pg_ctl start"
kill -0 $srv 2>/dev/null || fail "optlab serve died during the outage"
tell_one 0.125
ok=""
for _ in $(seq 40); do
    read -r st secs < <(get "/api/study?name=s")
    if [ "$st" = 200 ] && grep -q '"value":0.125' "$tmp/body"; then ok=1; break; fi
    sleep 0.25
done
[ -n "$ok" ] || { cat "$tmp/body"; fail "after the restart /api/study did not recover (last $st)"; }
read -r st secs < <(get /api/studies)
[ "$st" = 200 ] && grep -q '"COMPLETE":3' "$tmp/body" || { cat "$tmp/body"; fail "the overview did not recover"; }

kill -INT $srv; wait $srv || fail "optlab serve did not stop cleanly"; srv=""
! grep -q "secret-pw" "$tmp/all" "$tmp/serve.out" "$tmp/serve.err" || fail "the password appeared in a response or the log"
echo "restart_postgres: ok ($(( $(date +%s) - t0 )) s)"
