#!/bin/bash
# One option grammar for every command (issue 13, point 3; DESIGN.md): --help
# to stdout with exit 0; an unknown option, a missing value or a bad number is
# a usage error, exit 2, "optlab CMD: ..." on stderr; a failure exits 1;
# --opt=value works like --opt value; `optlab --version` and `optlab version`
# print the Makefile's VERSION; usage lines list --quiet and --gnuplot.
set -u
cd "$(dirname "$0")/../.."
BIN=${OPTLAB_BIN:-build/optlab}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
# run "$@", expect exit $1 and stderr matching $2
expect() {
    local want=$1 pat=$2; shift 2
    "$BIN" "$@" >"$tmp/out" 2>"$tmp/err"; local rc=$?
    [ $rc -eq "$want" ] || fail "optlab $*: exit $rc, wanted $want: $(cat "$tmp/err")"
    grep -q -- "$pat" "$tmp/err" || fail "optlab $*: stderr lacks '$pat': $(cat "$tmp/err")"
}

for cmd in train optimizers replay studies trials ask tell hpo-bench report; do
    "$BIN" $cmd --help >"$tmp/out" 2>"$tmp/err" || fail "$cmd --help exits $?"
    [ -s "$tmp/out" ] && [ ! -s "$tmp/err" ] || fail "$cmd --help is not on stdout alone"
    expect 2 "^optlab $cmd: unknown or ambiguous option '--bogus'" $cmd --bogus
done
vpart() { sed -n "s/^#define OL_VERSION_$1 \([0-9]*\)\$/\1/p" include/optlab/version.h; }
version="$(vpart MAJOR).$(vpart MINOR).$(vpart PATCH)"
[ "$version" != ".." ] || fail "no OL_VERSION_* in include/optlab/version.h"
[ "$("$BIN" --version)" = "optlab $version" ] || fail "--version: $("$BIN" --version), version.h says $version"
[ "$("$BIN" version)" = "optlab $version" ] || fail "version: $("$BIN" version)"

# a missing value says so (it used to be "unknown option" or "unexpected argument")
expect 2 "^optlab trials: --storage needs a value" trials seed/adamw --storage
expect 2 "^optlab studies: --storage needs a value" studies --storage
expect 2 "^optlab train: --seed needs a value" train --optimizer adam --seed
expect 2 "^optlab ask: --study-name needs a value" ask --study-name
# bad numbers are usage errors everywhere, with the option named
expect 2 "^optlab train: --seed: 'abc'" train --optimizer adam --seed abc
expect 2 "^optlab train: --max-epochs: '-1'" train --optimizer adam --max-epochs -1
expect 2 "^optlab hpo-bench: --seeds: '0'" hpo-bench --seeds 0
expect 2 "^optlab tell: --trial-number: 'x'" tell --study-name s --trial-number x --values 1
expect 2 "^optlab tell: --values: 'one'" tell --study-name s --trial-number 0 --values one
# --opt=value is parsed as --opt value (the bad value is named, so it reached the number parser)
expect 2 "^optlab train: --max-epochs: 'abc'" train --optimizer adam --max-epochs=abc
expect 2 "^optlab train: --quiet takes no value" train --optimizer adam --quiet=yes
# replay's file operand is not mistaken for an option, and vice versa
expect 2 "^optlab replay: unknown or ambiguous option '--bogus'" replay --bogus
expect 1 "^optlab replay: cannot open $tmp/none" replay "$tmp/none"
expect 2 "^optlab replay: expected one FILE" replay
# a repeated hyperparameter in --set is refused (aliases count: lr is learning_rate)
expect 2 "^optlab train: --set gives learning_rate twice" train --optimizer adam --set lr=1e-3,lr=2e-3
expect 2 "^optlab train: --set gives learning_rate twice" train --optimizer adam --set lr=1e-3,learning_rate=2e-3
expect 2 "^optlab train: --set gives beta1 twice" train --optimizer adam --set 'betas=(0.9,0.99),beta1=0.8'
# failures (not usage) exit 1
expect 1 "^optlab studies: no storage at" studies --storage="sqlite:///$tmp/none.db"
expect 1 "^optlab ask: no study 'q'" ask --storage "sqlite:///$tmp/a.db" --study-name q --param x=float:0:1
expect 2 "^optlab optimizers: unknown optimizer 'nope'" optimizers nope
expect 2 "^optlab: unknown command 'nope'" nope

# --opt=value works where it did not before (train, hpo-bench)
"$BIN" hpo-bench --trials=12 --seeds=1 --function=branin --ask-history=0 --quiet >"$tmp/out" 2>"$tmp/err" \
    || fail "hpo-bench with --opt=value: $(cat "$tmp/err")"
grep -q "12 trials x 1 seeds" "$tmp/out" || fail "hpo-bench --trials=12: $(cat "$tmp/out")"
[ ! -s "$tmp/err" ] || fail "hpo-bench --quiet wrote to stderr: $(cat "$tmp/err")"

# usage lines list every option
"$BIN" train --help | grep -q -- "--quiet" || fail "train usage lacks --quiet"
"$BIN" hpo-bench --help | head -3 | grep -q -- "--quiet" || fail "hpo-bench usage line lacks --quiet"
"$BIN" report --help | head -3 | grep -q -- "--gnuplot" || fail "report usage line lacks --gnuplot"
"$BIN" report --help | grep -q -- "--report-dir DIR" || fail "report lacks --report-dir"
echo ok
