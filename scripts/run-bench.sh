#!/bin/bash
# Run every benchmark: compiled ones (BUILD/bench/*) and scripted ones (bench/*.sh),
# each printing its figures beside its reference measured in the same run.
set -u
cd "$(dirname "$0")/.."
b=${1:-build}
export OPTLAB_BIN="$PWD/$b/optlab" OPTLAB_BUILD="$PWD/$b"
status=0
for x in "$b"/bench/*; do
    [ -x "$x" ] || continue
    # a compiled benchmark that a bench/*.sh runs (beside its reference) is run there, not twice
    n=$(basename "$x")
    grep -v '^[[:space:]]*#' bench/*.sh | grep -qE "bench/$n(\"|[[:space:]]|\$)" && continue
    echo "== $x"; "$x" || status=1
done
for s in bench/*.sh; do
    [ -e "$s" ] || continue
    echo "== $s"; bash "$s" || status=1
done
exit $status
