#!/bin/bash
# `optlab run` with sampler = cmaes on real MNIST, tiny sizes, 2 worker processes sharing one SQLite
# study: a section CMA-ES cannot search (one float parameter) is refused before any trial, naming
# FILE:LINE; with sampler_kwargs popsize 3 the study's trials after the random start-up carry
# generation tags in generations of three, the study attributes name the sampler and its options,
# and the report's setup line says "sampler cmaes {...}". Optuna reads the study. A second file
# warm-starts from it (source_study, with_margin): bad sources are refused before anything is
# stored; a good one runs and its setup line names it. About 20 s.
set -eu
BIN=${OPTLAB_BIN:-build/optlab}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
[ -f data/mnist/train-images-idx3-ubyte ] || { echo "MNIST missing: run make data" >&2; exit 1; }
N=10; EPOCHS=1
case "${OPTLAB_BUILD:-build}" in *asan*) N=5 ;; esac
sed -e "s/^max_epochs = .*/max_epochs = $EPOCHS/; s/^sampler = tpe/sampler = cmaes/" tests/cli/tiny.ini > "$tmp/bad.ini"
if "$BIN" run "$tmp/bad.ini" --data data --storage "sqlite:///$tmp/bad.db" --jobs 1 --no-report > "$tmp/out" 2>&1; then
    cat "$tmp/out"; echo "a one-parameter section was accepted with sampler = cmaes" >&2; exit 1
fi
grep -q "bad.ini:16: sampler = cmaes: \[optimizer adadelta\] (line 24) searches only one float/int parameter (rho)" "$tmp/out" ||
    { cat "$tmp/out"; echo "no FILE:LINE message for the one-parameter section" >&2; exit 1; }
[ ! -e "$tmp/bad.db" ] || { echo "the refused experiment created its storage" >&2; exit 1; }
# the same file without adadelta, with options
sed -e '/^\[optimizer adadelta\]/,$d' -e 's/^sampler = cmaes/sampler = cmaes\nsampler_kwargs = {"popsize": 3}/' "$tmp/bad.ini" > "$tmp/ok.ini"
"$BIN" run "$tmp/ok.ini" --data data --storage "sqlite:///$tmp/t.db" --jobs 2 --trials $N --report-dir "$tmp/report" > "$tmp/out" 2>&1 ||
    { cat "$tmp/out"; echo "optlab run failed" >&2; exit 1; }
grep -rq 'sampler cmaes {"popsize": 3}' "$tmp/report" || { grep -rn sampler "$tmp/report" | head; echo "report setup line lacks the sampler" >&2; exit 1; }
/usr/bin/python3 - "$tmp/t.db" $N <<'PY'
import sys, optuna
optuna.logging.set_verbosity(optuna.logging.WARNING)
db, n = sys.argv[1], int(sys.argv[2])
s = optuna.load_study(study_name="tiny/adam", storage="sqlite:///" + db)
t = s.trials
assert len(t) == n and all(x.state == optuna.trial.TrialState.COMPLETE for x in t), [x.state for x in t]
a = s.user_attrs
assert a["optlab:sampler"] == "cmaes" and a["optlab:sampler_kwargs"] == '{"popsize": 3}', a
gens = [x.system_attrs.get("optlab:cma:generation") for x in t]
# trial 0 (and, with two workers, maybe trial 1: asked before any trial completed) is the random start-up
start = gens.index(0)
assert start in (1, 2) and all(g is None for g in gens[:start]), gens
tagged = gens[start:]
assert all(g is not None for g in tagged) and tagged == sorted(tagged), gens
assert all(tagged.count(g) >= 3 for g in set(tagged[:-3])), gens  # each told generation had popsize 3
print("ok: generations", gens)
PY
# warm start from that study (sampler_kwargs source_study): a missing source, or one with fewer than
# 10 COMPLETE trials, is refused before the new study is made; with enough, the report says so
sed -e 's/^name = tiny/name = warm/' -e 's|^sampler_kwargs = .*|sampler_kwargs = {"source_study": "SRC", "with_margin": true}|' "$tmp/ok.ini" > "$tmp/warm.ini"
refuse() { # refuse SOURCE MESSAGE
    sed -e "s|SRC|$1|" -e 's/^name = warm/name = refused/' "$tmp/warm.ini" > "$tmp/w.ini"
    if "$BIN" run "$tmp/w.ini" --data data --storage "sqlite:///$tmp/t.db" --jobs 2 --trials 3 --no-report > "$tmp/out" 2>&1; then
        cat "$tmp/out"; echo "source_study $1 was accepted" >&2; exit 1
    fi
    grep -qF -- "$2" "$tmp/out" || { cat "$tmp/out"; echo "no '$2'" >&2; exit 1; }
}
refuse nope 'source_study "nope": no such study in sqlite://'
few='COMPLETE trials; the warm start takes the best 10 % of them and needs at least 10'
if [ "$N" -lt 10 ]; then
    refuse tiny/adam "source_study \"tiny/adam\" has $N $few"
    echo "ok (sanitizer build: no warm-started run, the source has only $N trials)"; exit 0
fi
sed "s|SRC|tiny/adam|" "$tmp/warm.ini" > "$tmp/w.ini"
"$BIN" run "$tmp/w.ini" --data data --storage "sqlite:///$tmp/t.db" --jobs 2 --trials 3 --report-dir "$tmp/wreport" > "$tmp/out" 2>&1 ||
    { cat "$tmp/out"; echo "the warm-started run failed" >&2; exit 1; }
grep -rqF 'sampler cmaes {"source_study": "tiny/adam", "with_margin": true}' "$tmp/wreport" ||
    { grep -rn sampler "$tmp/wreport" | head; echo "report setup line lacks the warm start" >&2; exit 1; }
refuse warm/adam "source_study \"warm/adam\" has 3 $few"
/usr/bin/python3 - "$tmp/t.db" <<'PY'
import sys, optuna
optuna.logging.set_verbosity(optuna.logging.WARNING)
st = "sqlite:///" + sys.argv[1]
assert "refused/adam" not in [s.study_name for s in optuna.get_all_study_summaries(st)], "a refused run made its study"
s = optuna.load_study(study_name="warm/adam", storage=st)
assert len(s.trials) == 3 and all(t.state == optuna.trial.TrialState.COMPLETE for t in s.trials), s.trials
print("ok: warm-started study read by Optuna")
PY
