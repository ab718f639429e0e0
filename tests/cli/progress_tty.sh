#!/bin/bash
# `optlab train` on a pseudo-terminal of 80 columns (script(1)): every status
# line fits in 79 columns, the per-epoch lines stay on screen (they used to be
# overwritten by the bar), the status shows the best epoch and the patience
# left (train has no fixed total: max epochs is a cap), and --quiet prints
# neither. Off a terminal: no carriage returns or escapes at all.
set -eu
cd "$(dirname "$0")/../.."
BIN=${OPTLAB_BIN:-build/optlab}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
scripts/fetch-mnist.sh data/mnist >/dev/null || fail "no MNIST"
export OPENBLAS_NUM_THREADS=1
args="train --optimizer adam --split 200,200,200,200 --max-epochs 3 --patience 2"
script -qec "stty cols 80 rows 24; $BIN $args" "$tmp/tty" >/dev/null || fail "train on a terminal failed"
script -qec "stty cols 80 rows 24; $BIN $args --quiet" "$tmp/quiet" >/dev/null || fail "train --quiet failed"
$BIN $args >"$tmp/plain" || fail "train to a file failed"
/usr/bin/python3 - "$tmp/tty" "$tmp/quiet" "$tmp/plain" <<'PY'
import re, sys, unicodedata
def segments(path):
    text = open(path, encoding="utf-8", errors="replace").read()
    text = text.split("\n", 1)[1] if text.startswith("Script started") else text
    text = text.rsplit("\nScript done", 1)[0]
    return [s.replace("\x1b[K", "") for s in re.split(r"[\r\n]", text) if s.replace("\x1b[K", "")]
def width(s):
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)
tty, quiet = segments(sys.argv[1]), segments(sys.argv[2])
plain = open(sys.argv[3]).read()
status = [s for s in tty if s.startswith("train  ")]
assert status, "no status line on the terminal:\n" + "\n".join(tty)
# the redrawn status line must never wrap (a wrapped one leaves a trail); permanent lines may
for s in status:
    assert width(s) <= 79, "status line of %d columns on an 80-column terminal: %r" % (width(s), s)
epochs = [s for s in tty if re.match(r"^epoch \d+  loss ", s)]
assert [int(s.split()[1]) for s in epochs] == [0, 1, 2], "per-epoch lines lost on the terminal: %r" % epochs
# the status agrees with the epoch lines: best so far, and patience left = min(best + 2, 2) - epoch
best, best_ep = -1.0, -1
for s in status:
    m = re.match(r"train  epoch (\d+)  best ([0-9.]+) at (\d+)  patience left (\d+) \(~", s)
    assert m, "status line: %r" % s
    ep, b, bep, left = int(m[1]), float(m[2]), int(m[3]), int(m[4])
    acc = float(re.search(r"valid-epoch ([0-9.]+)", epochs[ep])[1])
    if acc > best: best, best_ep = acc, ep
    assert abs(b - best) < 1e-4 and bep == best_ep, "status best %s at %d, epochs say %s at %d" % (b, bep, best, best_ep)
    assert left == min(best_ep + 2, 2) - ep, "patience left %d at epoch %d, best %d" % (left, ep, best_ep)
assert not any(s.startswith("train  ") or s.startswith("epoch ") for s in quiet), "--quiet printed progress: %r" % quiet
assert any(s.startswith("valid-trial accuracy:") for s in quiet), "--quiet lost the summary"
assert "\r" not in plain and "\x1b" not in plain, "control characters off a terminal"
assert plain.count("\nepoch ") == 3, "per-epoch lines off a terminal"
print("ok: %d status lines, widest %d columns" % (len(status), max(width(s) for s in status)))
PY
