#!/bin/bash
# `optlab serve` from the command line, no browser: --help, bad input with a
# clear message (issue 15.7) and nothing created or changed, a port in use
# named, and bounded requests (a huge header is refused, clients that connect
# and send nothing do not block another).
set -eu
BIN=${OPTLAB_BIN:-build/optlab}
tmp=$(mktemp -d); srv=""; hold=""
trap '[ -n "$srv" ] && kill "$srv" 2>/dev/null; [ -n "$hold" ] && kill "$hold" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
fail() { echo "serve_cli: $*" >&2; exit 1; }
expect_fail() { # CODE PATTERN ARGS...: exits CODE with PATTERN on stderr
    local code=$1 pat=$2; shift 2
    set +e; "$BIN" serve "$@" > "$tmp/o" 2> "$tmp/e"; local rc=$?; set -e
    [ $rc = "$code" ] || { cat "$tmp/e"; fail "serve $*: exit $rc, expected $code"; }
    grep -q -- "$pat" "$tmp/e" || { cat "$tmp/e"; fail "serve $*: no '$pat' in the message"; }
}
"$BIN" serve --help | grep -q -- '--bind ADDR' || fail "--help"
expect_fail 1 "$tmp/none.db.*run a study first" --storage "sqlite:///$tmp/none.db"
[ ! -e "$tmp/none.db" ] || fail "serving a missing storage created it"
echo "not a database" > "$tmp/text.db"
expect_fail 1 "text.db" --storage "sqlite:///$tmp/text.db"
grep -qx "not a database" "$tmp/text.db" || fail "serving a foreign file changed it"
expect_fail 2 "--port" --port 70000
expect_fail 2 "--stale" --stale 0

/usr/bin/python3 -c 'import optuna, sys
optuna.logging.set_verbosity(optuna.logging.WARNING)
s = optuna.create_study(study_name="q", storage="sqlite:///" + sys.argv[1])
s.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2, n_trials=3)' "$tmp/q.db"
expect_fail 1 "not an IPv4 address" --storage "sqlite:///$tmp/q.db" --bind nowhere
: > "$tmp/s.out" # exists before the background serve opens it: the loop below may read it first
"$BIN" serve --storage "sqlite:///$tmp/q.db" --port 0 > "$tmp/s.out" 2>&1 & srv=$!
for _ in $(seq 50); do port=$(sed -n 's|^optlab serve: http://127.0.0.1:\([0-9]*\)/ .*|\1|p' "$tmp/s.out"); [ -n "$port" ] && break; sleep 0.1; done
[ -n "$port" ] || fail "no URL printed"
expect_fail 1 "port $port on 127.0.0.1 is already in use" --storage "sqlite:///$tmp/q.db" --port "$port"
/usr/bin/python3 - "$port" <<'PY'
import socket, sys, time, urllib.request, json
port = int(sys.argv[1])
# a client that connects and sends nothing must not block another
idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(8)]
t0 = time.time()
body = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/api/study?name=q", timeout=5))
assert len(body["trials"]) == 3 and time.time() - t0 < 2, "an idle client blocked a request"
# a request with 100 kB of headers is refused, and the server still answers
s = socket.create_connection(("127.0.0.1", port))
s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 100000 + b"\r\n\r\n")
reply = s.recv(100)
assert not reply.startswith(b"HTTP/1.1 200"), reply
assert urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).status == 200
for c in idle: c.close()
PY
echo "serve_cli: ok"
