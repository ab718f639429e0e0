#!/bin/bash
# Makes golden/identical_results.txt: tests/experiment/identical.ini run by
# `optlab run --jobs 1` into SQLite, dumped by dump_study.py. It was made at
# commit f8b8181 (before the engine moved into src/experiment/) with
#   make -j2 && tests/experiment/golden/make_identical_results.sh build/optlab
# and must not be regenerated after the move: it is the "before".
set -eu
BIN=${1:-build/optlab}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
OPENBLAS_NUM_THREADS=1 "$BIN" run tests/experiment/identical.ini --data data --storage "sqlite:///$tmp/t.db" \
    --jobs 1 --no-report --quiet > /dev/null
/usr/bin/python3 tests/experiment/dump_study.py "$tmp/t.db" > tests/experiment/golden/identical_results.txt
