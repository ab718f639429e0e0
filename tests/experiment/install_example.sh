#!/bin/bash
# Installs the build under test (OPTLAB_BUILD) into a staging directory with
# `make install DESTDIR=...` (its own PREFIX and options, so nothing in the build is
# rebuilt or relinked under the scripts that run beside this one), builds
# examples/run_experiment.c with nothing but `pkg-config --cflags --libs optlab`
# from that tree, and runs it: two optimizers x 3 trials on a small MNIST subset
# into SQLite, then the report. Proves a C program can run an experiment through
# the installed library.
set -eu
build=$(basename "${OPTLAB_BUILD:-build}")
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
[ -f data/mnist/train-images-idx3-ubyte ] || { echo "MNIST missing: run make data" >&2; exit 1; }
[ -f "$build/build-options" ] || { echo "$build/build-options missing (build with make first)" >&2; exit 1; }
flags=()
case "$build" in *asan*) flags=(SAN=1 OPT=-O1) ;; esac
while IFS='=' read -r k v; do [ -n "$k" ] && flags+=("$k=$v"); done < "$build/build-options"
make --no-print-directory -s install BUILD="$build" "${flags[@]}" DESTDIR="$tmp/stage" > "$tmp/install.log" 2>&1 \
    || { cat "$tmp/install.log"; exit 1; }
root="$tmp/stage$(sed -n 's/^PREFIX=//p' "$build/build-options")"
test -f "$root/include/optlab/experiment.h" && test -f "$root/include/optlab/conventions.h"
export PKG_CONFIG_PATH="$root/lib/pkgconfig"
pc=$(pkg-config --define-variable=prefix="$root" --cflags --libs optlab)   # the staged tree stands for PREFIX
case "$pc" in *"$root"*) ;; *) echo "pkg-config does not point into the staged prefix: $pc"; exit 1 ;; esac
extra=()
case "$build" in *asan*) extra=(-fsanitize=address,undefined) ;; esac
# shellcheck disable=SC2086
cc -std=c11 -Wall -Wextra -Werror "${extra[@]}" examples/run_experiment.c $pc -o "$tmp/run_experiment"
OPENBLAS_NUM_THREADS=1 LD_LIBRARY_PATH="$root/lib" "$tmp/run_experiment" data "$tmp/e.db" "$tmp/report" | tee "$tmp/out"
grep -q '^6 trials; report: ' "$tmp/out"
test -s "$tmp/report/README.md"
/usr/bin/python3 - "$tmp/e.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
rows = db.execute("select s.study_name, count(*) from trials t join studies s using (study_id) "
                  "where t.state in ('COMPLETE', 'PRUNED') group by s.study_name order by 1").fetchall()
assert rows == [("example/adam", 3), ("example/sgd", 3)], rows
PY
