#!/bin/bash
# Issue 14.6's question — do Lion, Schedule-Free AdamW, Muon or Prodigy beat AdamW? — from this
# directory's storage: the report of those five optimizers alone (`optlab report --only`), so its
# paired tests and Holm's correction cover their 10 pairs, written into question/. It needs their
# three repetitions complete (run.sh runs them first); the other optimizers may still be running.
#
#   bash question.sh
#
# $OPTLAB_BIN is the optlab to use (scripts/legs.sh).
. "$(dirname "$0")/../../scripts/legs.sh"
"$BIN" report --storage sqlite:///optlab.db --experiment all-optimizers \
    --only adamw,lion,sfadamw,muon,prodigy --report-dir question
