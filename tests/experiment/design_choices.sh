#!/bin/bash
# The design choices of issue 17 as experiment-file settings (docs/experiments.md):
#   sampler_stream = shared (default): trial k of two studies with the same space draws
#     the same parameters (random sampler); own: different ones.
#   init = paired (default): trial k of two studies with the same optimizer and parameters
#     starts from the same weights, so their values are equal; independent: they differ.
#   A stored study refuses a file that changes either setting.
# Tiny model, 3 trials of 1 epoch per study: about 5 s.
set -eu
BIN=${OPTLAB_BIN:-build/optlab}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
[ -f data/mnist/train-images-idx3-ubyte ] || { echo "MNIST missing: run make data" >&2; exit 1; }
fail() { echo "FAIL: $*"; exit 1; }
write() { # $1 file, $2 extra [experiment] lines
    cat > "$1" <<INI
[experiment]
name = choices
model = conv4k3 relu maxpool2 flatten linear10 softmax
train = 64
valid_epoch = 32
valid_trial = 64
test = 32
max_epochs = 1
trials = 3
sampler = random
seed = 9
$2
[optimizer adam as a1]
learning_rate = log 1e-3 1e-1
[optimizer adam as a2]
learning_rate = log 1e-3 1e-1
INI
}
run() { OPENBLAS_NUM_THREADS=1 "$BIN" run "$1" --data data --storage "sqlite:///$2" --jobs 1 --no-report --quiet; }
# "number lr value" of each study's trials, one study per line
dump() { /usr/bin/python3 - "$1" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for (sid,) in db.execute("select study_id from studies order by study_id"):
    rows = db.execute("select t.number, p.param_value, v.value from trials t join trial_params p using(trial_id) "
                      "join trial_values v using(trial_id) where t.study_id = ? order by t.number", (sid,)).fetchall()
    print(" ".join(f"{n}:{p!r}:{v!r}" for n, p, v in rows))
PY
}
for mode in default own independent; do
    extra=""; [ $mode = own ] && extra="sampler_stream = own"; [ $mode = independent ] && extra="init = independent"
    write "$tmp/$mode.ini" "$extra"
    run "$tmp/$mode.ini" "$tmp/$mode.db" || fail "$mode: run failed"
    dump "$tmp/$mode.db" > "$tmp/$mode.txt"
done
# shared stream + paired init: the two studies are the same run twice
[ "$(sed -n 1p "$tmp/default.txt")" = "$(sed -n 2p "$tmp/default.txt")" ] || fail "default: the two studies differ: $(cat "$tmp/default.txt")"
# own stream: other parameters
lr() { sed -n "${2}p" "$1" | tr ' ' '\n' | cut -d: -f2; }
[ "$(lr "$tmp/own.txt" 1)" != "$(lr "$tmp/own.txt" 2)" ] || fail "sampler_stream = own: both studies drew the same parameters"
# independent init: the same parameters, other values
[ "$(lr "$tmp/independent.txt" 1)" = "$(lr "$tmp/independent.txt" 2)" ] || fail "init = independent changed the sampler's draws"
[ "$(sed -n 1p "$tmp/independent.txt")" != "$(sed -n 2p "$tmp/independent.txt")" ] || fail "init = independent: the two studies trained identically"
# a stored study refuses a changed setting
if msg=$(run "$tmp/independent.ini" "$tmp/default.db" 2>&1); then fail "init changed on a stored study was accepted"; fi
case "$msg" in *"was run with init = \"paired\", this file says init = independent"*) ;; *) fail "message: $msg" ;; esac
if msg=$(run "$tmp/own.ini" "$tmp/default.db" 2>&1); then fail "sampler_stream changed on a stored study was accepted"; fi
case "$msg" in *"sampler_stream = \"shared\", this file says sampler_stream = own"*) ;; *) fail "message: $msg" ;; esac
echo "design choices: shared/own sampler stream and paired/independent init behave as documented"
