#!/bin/bash
# `optlab serve` in a real browser (Debian's headless Chromium driven by
# python3-selenium, tests/serve/browser.py): a tiny `optlab run` on real MNIST,
# plus a study written by Optuna whose study, parameter and attribute names are
# markup; `optlab serve` on a free loopback port; then browser.py checks values
# from storage in the DOM, live updates without reload, escaping, 404s, the
# banner while the server is gone and the recovery, console errors, and saves
# screenshots (SCREENSHOTS=DIR keeps them).
set -eu
BIN=${OPTLAB_BIN:-build/optlab}
tmp=$(mktemp -d); srv=""
trap '[ -n "$srv" ] && kill "$srv" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
[ -f data/mnist/train-images-idx3-ubyte ] || { echo "MNIST missing: run make data" >&2; exit 1; }
command -v chromium >/dev/null && command -v chromedriver >/dev/null ||
    { echo "browser.sh: chromium and chromium-driver are needed (scripts/deps.sh installs them)" >&2; exit 1; }
sed -e "s/^max_epochs = .*/max_epochs = 2/" tests/cli/tiny.ini > "$tmp/tiny.ini"
db="$tmp/t.db"
"$BIN" run "$tmp/tiny.ini" --data data --storage "sqlite:///$db" --jobs 2 --trials 2 --no-report \
    > "$tmp/run.out" 2>&1 || { cat "$tmp/run.out"; echo "optlab run failed" >&2; exit 1; }
# a second experiment to compare with (the experiment page's baseline menu): random sampler, another seed
sed -e "s/^name = .*/name = tiny-base/" -e "s/^sampler = .*/sampler = random/" -e "s/^seed = .*/seed = 8/" \
    "$tmp/tiny.ini" > "$tmp/base.ini"
"$BIN" run "$tmp/base.ini" --data data --storage "sqlite:///$db" --jobs 2 --trials 2 --no-report \
    > "$tmp/run.out" 2>&1 || { cat "$tmp/run.out"; echo "optlab run (tiny-base) failed" >&2; exit 1; }

# the file exists before the background serve opens it: the loop below may read it first
: > "$tmp/serve.out"
"$BIN" serve --storage "sqlite:///$db" --port 0 > "$tmp/serve.out" 2> "$tmp/serve.err" &
srv=$!
url=""
for _ in $(seq 100); do
    url=$(sed -n 's|^optlab serve: \(http://127.0.0.1:[0-9]*/\) .*|\1|p' "$tmp/serve.out")
    [ -n "$url" ] && break
    kill -0 $srv 2>/dev/null || { cat "$tmp/serve.err"; echo "optlab serve exited" >&2; exit 1; }
    sleep 0.1
done
[ -n "$url" ] || { echo "optlab serve printed no URL" >&2; exit 1; }
shots=${SCREENSHOTS:-$tmp/shots}
mkdir -p "$shots"
# browser.py stops this server (SIGINT) to check the page's outage banner, then starts another
SERVE_PID=$srv OPTLAB_BIN=$BIN /usr/bin/python3 tests/serve/browser.py "$url" "$db" "$shots"
wait $srv || { echo "optlab serve did not stop cleanly on SIGINT" >&2; exit 1; }
srv=""
[ ! -s "$tmp/serve.err" ] || { cat "$tmp/serve.err"; echo "optlab serve wrote to stderr" >&2; exit 1; }
echo "browser.sh: ok (screenshots: $(ls "$shots" | tr '\n' ' '))"
