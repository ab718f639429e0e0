#!/bin/bash
# Input a hostile user would try (issue 16, "Found when tried as a hostile
# user would"; docs/reliability.md): each is refused with a message naming
# the cause, and nothing is stored for it.
set -u
BIN=${OPTLAB_BIN:-build/optlab}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL $*"; fails=$((fails + 1)); }
# expect NAME PATTERN -- COMMAND...: the command fails and says PATTERN
expect() {
    local name=$1 pattern=$2; shift 3
    out=$("$@" 2>&1); rc=$?
    if [ $rc -eq 0 ]; then fail "$name: accepted: $out"; return 1; fi
    if ! grep -qF -- "$pattern" <<<"$out"; then fail "$name: message lacks '$pattern': $out"; return 1; fi
    echo "ok   $name: $out"
}
db="$tmp/ask.db"; url="sqlite:///$db"

# invalid UTF-8 in names (fixed before issue 16; verified here): refused, nothing stored
expect utf8_study "UTF-8" -- "$BIN" ask --storage "$url" --study $'a\xff\xfeb' --direction minimize --param x=float:0:1
expect utf8_param "UTF-8" -- "$BIN" ask --storage "$url" --study u8 --direction minimize --param $'p\xff=float:0:1'
expect utf8_choice "categorical choice is not a string (valid UTF-8)" -- \
    "$BIN" ask --storage "$url" --study u8c --direction minimize --param $'c=cat:a,\xff'

# integer overflow in search ranges: ask --param and the experiment file
expect ask_int_overflow "int high '99999999999999999999' is out of range (at most 2^53" -- \
    "$BIN" ask --storage "$url" --study ovf --direction minimize --param 'k=int:1:99999999999999999999'
expect ask_float_step0 "step=0 must be positive" -- \
    "$BIN" ask --storage "$url" --study st0 --direction minimize --param 'x=float:0:1:step=0'
[ -e "$db" ] && [ -n "$(sqlite3 "$db" 'select study_name from studies')" ] && fail "ask stored a study for refused input"
printf '[experiment]\nname = ovf\ntrials = 2\n[optimizer sgd]\nlearning_rate = int log 1 99999999999999999999\n' > "$tmp/ovf.ini"
expect run_int_overflow "ovf.ini:5: learning_rate = int log 1 99999999999999999999: int high '99999999999999999999' is out of range" -- \
    "$BIN" run "$tmp/ovf.ini" --storage "sqlite:///$tmp/ovf.db" --jobs 1 --no-report --quiet
[ -e "$tmp/ovf.db" ] && fail "run_int_overflow: the storage was created"

# a model spec that eats memory: refused from its estimate, at once, before anything is built
printf '[experiment]\nname = big\nmodel = conv4096k3p1 relu conv4096k3p1 relu flatten linear10 softmax\n[optimizer sgd]\n' > "$tmp/big.ini"
start=$(date +%s)
expect big_model "big.ini:3: model = conv4096k3p1 relu conv4096k3p1 relu flatten linear10 softmax: needs about 4.3 GB for batches of 32, above the limit of 4.0 GB (set OPTLAB_MAX_MEMORY" -- \
    "$BIN" run "$tmp/big.ini" --storage "sqlite:///$tmp/big.db" --jobs 1 --no-report --quiet
[ $(($(date +%s) - start)) -le 5 ] || fail "big_model: took more than 5 s to refuse"
[ -e "$tmp/big.db" ] && fail "big_model: the storage was created"
# the limit is the user's: a lower one refuses the seed CNN, naming both figures
expect max_memory_env "tiny.ini: model = conv32k3p1 relu maxpool2 conv64k3 relu maxpool2 conv64k3 relu flatten linear64 sigmoid linear10 softmax: needs about 18.4 MB for batches of 32, above the limit of 1.0 MB" -- env OPTLAB_MAX_MEMORY=1M \
    "$BIN" run tests/cli/tiny.ini --storage "sqlite:///$tmp/tiny.db" --jobs 1 --no-report --quiet --data data

# a study that never ends: every trial diverges and FAIL does not count against the budget
printf '[experiment]\nname = diverge\ndataset = mnist\ntrain = 200\nvalid_epoch = 200\nvalid_trial = 200\ntest = 200\nmax_epochs = 2\ntrials = 3\n[optimizer sgd]\nlearning_rate = 1e30\n' > "$tmp/diverge.ini"
expect never_ending "study 'diverge/sgd': stopped after 20 trials in a row failed (the last: diverged)" -- \
    timeout 120 "$BIN" run "$tmp/diverge.ini" --storage "sqlite:///$tmp/diverge.db" --jobs 1 --no-report --quiet --data data
n=$(sqlite3 "$tmp/diverge.db" "select count(*) from trials where state='FAIL'")
[ "$n" = 20 ] || fail "never_ending: $n FAIL trials stored, expected 20"

# a tampered database (fixed before issue 16; verified here): a NULL value is refused naming the row
"$BIN" ask --storage "sqlite:///$tmp/t.db" --study t --direction minimize --param x=float:0:1 >/dev/null &&
    "$BIN" tell --storage "sqlite:///$tmp/t.db" --study t --trial 0 --value 0.5 >/dev/null || fail "tamper: setup"
sqlite3 "$tmp/t.db" "update trial_values set value = NULL"
expect tampered_null_value "the value of trial_id 1 is FINITE but holds no number (NULL or text)" -- \
    "$BIN" report --storage "sqlite:///$tmp/t.db" --out "$tmp/report"
[ -e "$tmp/report" ] && fail "tampered_null_value: a report was written"

# hidden .DIR.tmp-* folders of killed reports: removed by the next report unless their writer runs
"$BIN" tell --storage "sqlite:///$tmp/t.db" --study t --trial 0 --value 0.5 >/dev/null 2>&1
sqlite3 "$tmp/t.db" "update trial_values set value = 0.5"
mkdir -p "$tmp/out/.report.tmp-dead" "$tmp/out/.report.tmp-noowner" "$tmp/out/.report.tmp-live" "$tmp/out/.report.old-aside"
sh -c 'echo $$' > "$tmp/out/.report.tmp-dead/.optlab-report-writer"      # a process that has ended
echo $$ > "$tmp/out/.report.tmp-live/.optlab-report-writer"               # this script: alive
touch -d '2 hours ago' "$tmp/out/.report.tmp-noowner" "$tmp/out/.report.old-aside"
if out=$("$BIN" report --storage "sqlite:///$tmp/t.db" --out "$tmp/out/report" 2>&1); then
    left=$(cd "$tmp/out" && ls -A | tr '\n' ' ')
    [ "$left" = ".report.tmp-live report " ] && echo "ok   stale_tmp_dirs: left: $left" || fail "stale_tmp_dirs: left: $left"
    [ -e "$tmp/out/report/.optlab-report-writer" ] && fail "stale_tmp_dirs: the finished report holds a writer file"
else
    fail "stale_tmp_dirs: report failed: $out"
fi

# the documented line length (docs/experiments.md): 198 characters, the 199th refused by name
{ printf '[experiment]\nname = t\n[optimizer adam]\n'; printf 'learning_rate = %*s\n' 183 0.001; } > "$tmp/long.ini"
[ "$(sed -n 4p "$tmp/long.ini" | tr -d '\n' | wc -c)" = 199 ] || fail "long.ini: line 4 is not 199 characters"
expect line_length "long.ini:4: line is longer than 198 characters" -- \
    "$BIN" run "$tmp/long.ini" --storage "sqlite:///$tmp/long.db" --jobs 1 --no-report --quiet
grep -q 'a line is at most 198 characters' docs/experiments.md || fail "docs/experiments.md does not say 198"

# data files that are not files: named as what they are, not "missing"
d="$tmp/data/mnist"; mkdir -p "$d"
for f in t10k-images-idx3-ubyte t10k-labels-idx1-ubyte train-labels-idx1-ubyte; do ln -s "$PWD/data/mnist/$f" "$d/$f"; done
train() { timeout 60 "$BIN" train --optimizer sgd --data "$tmp/data" --quiet; }
mkdir "$d/train-images-idx3-ubyte"
expect data_directory "train-images-idx3-ubyte: is a directory, not an IDX file" -- train
rmdir "$d/train-images-idx3-ubyte"; mkfifo "$d/train-images-idx3-ubyte"
expect data_fifo "train-images-idx3-ubyte: is a FIFO (named pipe), not an IDX file" -- train
rm "$d/train-images-idx3-ubyte"; ln -s loop2 "$d/train-images-idx3-ubyte"; ln -s train-images-idx3-ubyte "$d/loop2"
expect data_symlink_loop "train-images-idx3-ubyte: a loop of symbolic links, not an IDX file" -- train
rm "$d/train-images-idx3-ubyte" "$d/loop2"
expect data_missing "missing train-images-idx3-ubyte (or train-images-idx3-ubyte.gz)" -- train
# a header whose item dimensions do not match the data vs whole items missing
python3 -c 'import struct,sys; sys.stdout.buffer.write(bytes([0,0,8,3])+struct.pack(">III",60000,28,28)+bytes(60000*28*28-100))' > "$d/train-images-idx3-ubyte"
expect data_mismatch "truncated mid-item, or the header's dimensions do not match the data" -- train
python3 -c 'import struct,sys; sys.stdout.buffer.write(bytes([0,0,8,3])+struct.pack(">III",60000,28,28)+bytes(59000*28*28))' > "$d/train-images-idx3-ubyte"
expect data_truncated "truncated (whole items missing)" -- train
# a .gz declaring 4 GB in its header but holding a few bytes: refused at once, without 4 GB allocated
python3 -c 'import gzip,struct,sys; sys.stdout.buffer.write(gzip.compress(bytes([0,0,8,3])+struct.pack(">III",65535,256,256)+bytes(1000)))' > "$d/train-images-idx3-ubyte.gz"
rm "$d/train-images-idx3-ubyte"
out=$( { /usr/bin/time -f 'maxrss_kb=%M' timeout 60 "$BIN" train --optimizer sgd --data "$tmp/data" --quiet; } 2>&1)
rss=$(sed -n 's/.*maxrss_kb=\([0-9]*\).*/\1/p' <<<"$out")
grep -q "truncated gzip-compressed IDX file: the header declares 4294901760 data bytes but only 1000 follow" <<<"$out" \
    || fail "gzip_declared_4gb: $out"
[ -n "$rss" ] && [ "$rss" -lt 400000 ] && echo "ok   gzip_declared_4gb: max RSS ${rss} kB" || fail "gzip_declared_4gb: max RSS ${rss:-?} kB"

echo "hostile input: $fails failed"
[ $fails -eq 0 ]
