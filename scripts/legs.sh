# Sourced by a long experiment's results/NAME/run.sh, which is run as `bash run.sh [SECONDS]`:
#
#   . "$(dirname "$0")/../../scripts/legs.sh" "$@"
#   leg "seed-gp repetition 1" experiments/samplers/seed-gp.ini --repetition 1 --repeat 1
#
# It moves into the run.sh's directory, whose optlab.db is the storage (unpacked from optlab.db.gz
# when only that is there), and defines
#   leg LABEL FILE [OPTLAB RUN OPTIONS...]
#       `optlab run FILE` (relative to the checkout) into sqlite:///optlab.db with 2 workers and
#       no report. With SECONDS given, each leg gets optlab's --timeout for what is left of them
#       (no trial starts after the deadline, the running ones finish); when a minute or less is
#       left, run.sh stops there (exit 0). Running run.sh again goes on: optlab run resumes.
#   time_is_up    true when SECONDS were given and have passed
# $OPTLAB_BIN is the optlab to use (default: the checkout's build/optlab), $OPTLAB_DATA where MNIST
# is (default: the checkout's data/).
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
BIN=${OPTLAB_BIN:-$top/build/optlab}
DATA=${OPTLAB_DATA:-$top/data}
cd "$here" || exit 1
if [ ! -f optlab.db ] && [ -f optlab.db.gz ]; then gunzip -k optlab.db.gz || exit 1; fi
deadline=
[ $# -ge 1 ] && deadline=$(($(date +%s) + $1))

time_is_up() {
    [ -n "$deadline" ] && [ "$(date +%s)" -ge "$deadline" ]
}

leg() {
    local label=$1 file=$2 timeout=()
    shift 2
    if [ -n "$deadline" ]; then
        local left=$((deadline - $(date +%s)))
        [ $left -gt 60 ] || { echo "run.sh: time is up before $label"; exit 0; }
        timeout=(--timeout $left)
    fi
    echo "== $label ($(date -u +%H:%M) UTC)"
    "$BIN" run "$top/$file" --storage sqlite:///optlab.db --jobs 2 --data "$DATA" --no-report \
        "${timeout[@]}" "$@" || exit 1
}
