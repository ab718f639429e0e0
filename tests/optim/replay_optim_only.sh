#!/bin/bash
# liboptlab-optim's own build of src/optim/ (OL_OPTIM_BLAS=0: Muon's matrix
# products and L-BFGS's dot products in plain C, so the library needs libm only)
# replays every torch/numpy golden within the tolerances liboptlab's BLAS build
# meets: the Makefile links `optlab` with those objects in place of liboptlab's
# (build/tests/optim/optlab-optim-only) and the three replay scripts run it.
# Also checks that those objects refer to no cblas_ or cJSON_ symbol, so the
# binary under test really is the BLAS-free code.
set -u
b=${OPTLAB_BUILD:-build}
bin="$b/tests/optim/optlab-optim-only"
[ -x "$bin" ] || { echo "replay_optim_only: $bin missing (make test-build builds it)"; exit 1; }
status=0
objs=$(ls "$b"/obj-optimlib/optim/*.o 2>/dev/null)
[ -n "$objs" ] || { echo "replay_optim_only: no objects in $b/obj-optimlib/optim"; exit 1; }
# shellcheck disable=SC2086
refs=$(nm --undefined-only $objs | awk '{print $2}' | grep -E '^(cblas_|cJSON_)' | sort -u)
[ -z "$refs" ] || { echo "replay_optim_only: liboptlab-optim's objects refer to: $(echo $refs)"; status=1; }
for t in replay_goldens replay_lbfgs replay_schedules; do
    if OPTLAB_BIN="$bin" bash "tests/optim/$t.sh" > "$b/tests/optim/$t-optim-only.log" 2>&1; then
        echo "$t: passed without BLAS"
    else
        cat "$b/tests/optim/$t-optim-only.log"; echo "$t: FAILED without BLAS"; status=1
    fi
done
grep -h 'muon\|wolfe_history3' "$b"/tests/optim/replay_*-optim-only.log
exit $status
