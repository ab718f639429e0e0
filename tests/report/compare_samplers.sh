#!/bin/bash
# The sampler comparison of issue 18.6 end to end, small: tests/cli/tiny.ini run twice
# into one storage, as `tiny` (TPE) and `tiny-gp` (GP, with a re-evaluation stage), 11
# trials per optimizer (GP asks once past its 10 start-up trials), 2 repetitions each.
# Then `optlab report --experiment tiny-gp --baseline tiny`'s trials-to-best table is
# checked against the counts computed here from the database with sqlite3 in Python
# (the search's trials by number, re-evaluation trials left out), and
# scripts/compare-samplers.sh must collect the same rows; its --figures must draw each
# optimizer's figure from the report's own best-so-far blocks, the baseline's first.
# About 20 s of CPU (98 s wall on the 2-core machine while an experiment ran on both cores).
set -eu
BIN=${OPTLAB_BIN:-build/optlab}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
[ -f data/mnist/train-images-idx3-ubyte ] || { echo "MNIST missing: run make data" >&2; exit 1; }
db="$tmp/s.db"
sed -e "s/^max_epochs = .*/max_epochs = 1/" -e "s/^\(train\|valid_epoch\|valid_trial\) = .*/\1 = 100/" \
    -e "s/^test = .*/test = 100/" tests/cli/tiny.ini > "$tmp/tiny.ini"
sed -e "s/^name = .*/name = tiny-gp/" -e "s/^sampler = .*/sampler = gp/" "$tmp/tiny.ini" > "$tmp/tiny-gp.ini"
printf 'reevaluate_top = 1\nreevaluate_seeds = 2\n' > "$tmp/reeval"
sed -i "/^seed = /r $tmp/reeval" "$tmp/tiny-gp.ini"
for f in tiny tiny-gp; do
    OPENBLAS_NUM_THREADS=1 "$BIN" run "$tmp/$f.ini" --data data --storage "sqlite:///$db" --jobs 2 --trials 11 \
        --repeat 2 --no-report --quiet > "$tmp/$f.out" 2>&1 || { cat "$tmp/$f.out"; echo "FAIL: optlab run $f" >&2; exit 1; }
done
"$BIN" report --storage "sqlite:///$db" --experiment tiny-gp --baseline tiny --report-dir "$tmp/rep" > /dev/null
"$BIN" report --storage "sqlite:///$db" --experiment tiny-gp --baseline tiny --report-dir "$tmp/rep-ko" --lang ko > /dev/null
[ -s "$tmp/rep/figures/pruning-best-so-far.png" ] || { echo "FAIL: no pruning-best-so-far.png" >&2; exit 1; }
OPTLAB_BIN=$BIN scripts/compare-samplers.sh "sqlite:///$db" --baseline tiny --report-dir "$tmp/cmp" --figures "$tmp/fig" \
    tiny-gp tiny-none > "$tmp/table.md" 2> "$tmp/table.err"
grep -q "tiny-none left out" "$tmp/table.err" || { cat "$tmp/table.err"; echo "FAIL: a missing experiment is not named" >&2; exit 1; }
# --figures: one figure per optimizer whose data are the report's own blocks, baseline first
for opt in adam adadelta; do
    for f in dat gp png svg; do
        [ -s "$tmp/fig/samplers-$opt.$f" ] || { ls "$tmp/fig"; echo "FAIL: no samplers-$opt.$f" >&2; exit 1; }
    done
done
/usr/bin/python3 - "$tmp/cmp/tiny-gp/figures/pruning-best-so-far.dat" "$tmp/fig" <<'PY'
import re, sys
def blocks(path):
    out, cur = {}, None
    for line in open(path, encoding="utf-8"):
        m = re.match(r"# block \d+: (.*)$", line)
        if m:
            cur = m.group(1)
            out[cur] = []
        elif cur and line[:1].isdigit():
            out[cur].append(line)
    return out
report = blocks(sys.argv[1])
for opt, label in (("adam", "Adam"), ("adadelta", "Adadelta")):
    fig = blocks(f"{sys.argv[2]}/samplers-{opt}.dat")
    assert list(fig) == ["tiny (sampler tpe), repetitions: 2", "tiny-gp (sampler gp), repetitions: 2"], list(fig)
    assert fig["tiny (sampler tpe), repetitions: 2"] == report[f"{label}, tiny"], opt
    assert fig["tiny-gp (sampler gp), repetitions: 2"] == report[f"{label}, tiny-gp"], opt
    assert len(report[f"{label}, tiny"]) == 12, len(report[f"{label}, tiny"])  # 11 trials and the closing row
    gp = open(f"{sys.argv[2]}/samplers-{opt}.gp", encoding="utf-8").read()
    assert 'title "tpe (tiny, 2 rep.)"' in gp and 'title "gp (tiny-gp, 2 rep.)"' in gp, gp
    print(f"{label}: samplers-{opt}.dat holds the report's two blocks")
PY
/usr/bin/python3 - "$db" "$tmp/rep/README.md" "$tmp/rep-ko/README.md" "$tmp/table.md" <<'PY'
import re, sqlite3, statistics, sys
db = sqlite3.connect(sys.argv[1])
md, ko, table = (open(p, encoding="utf-8").read() for p in sys.argv[2:5])

def to_best(study):
    """Trials up to and including the first within 0.1 points (0.001) of the final best, search trials only."""
    rows = db.execute(
        "select t.number, t.state, v.value from trials t join studies s using(study_id) "
        "left join trial_values v using(trial_id) where s.study_name = ? and not exists "
        "(select 1 from trial_system_attributes a where a.trial_id = t.trial_id and a.key = 'optlab:reeval') "
        "order by t.number", (study,)).fetchall()
    values = [v if state == "COMPLETE" and v is not None else None for _, state, v in rows]
    best = max(v for v in values if v is not None)
    return next(i + 1 for i, v in enumerate(values) if v is not None and v >= best - 0.001 - 1e-9), len(values)

# Two workers that take the same re-evaluation slot at once both create a trial and the higher number
# gives up as FAIL "duplicate" (src/experiment/reeval.c): such trials are allowed, nothing else is.
reeval_rows = db.execute(
    "select t.state, (select u.value_json from trial_user_attributes u where u.trial_id = t.trial_id and u.key = 'status') "
    "from trials t join trial_system_attributes a using(trial_id) where a.key = 'optlab:reeval'").fetchall()
reevals = sum(1 for state, _ in reeval_rows if state == "COMPLETE")
others = [(state, status) for state, status in reeval_rows if state != "COMPLETE"]
assert reevals == 2 * 2 * 2, f"expected 8 re-evaluation trials (1 configuration x 2 seeds x 2 studies x 2 repetitions), got {reevals}"
assert all(state == "FAIL" and status == '"duplicate"' for state, status in others), others
assert "This experiment (`tiny-gp`, sampler `gp`) against the baseline experiment `tiny` (sampler `tpe`)" in md
for opt, label in (("adam", "Adam"), ("adadelta", "Adadelta")):
    base, this = [], []
    for rep in (0, 1):
        suffix = f"#r{rep}" if rep else ""
        b, nb = to_best(f"tiny{suffix}/{opt}")
        t, nt = to_best(f"tiny-gp{suffix}/{opt}")
        assert nb == nt == 11, (opt, rep, nb, nt)
        base.append(b)
        this.append(t)
    cells = lambda xs: ", ".join(str(x) for x in xs) + f"; mean {statistics.mean(xs):.1f}"
    want = f"| {label} | 2 | {cells(base)} | {cells(this)} | "
    rows = [l for l in md.splitlines() if l.startswith(f"| {label} | 2 | ") and "; mean " in l]
    assert rows and rows[0].startswith(want), f"report row {rows}\nwant {want}"
    diff = statistics.mean(t - b for t, b in zip(this, base))
    assert rows[0][len(want):].startswith(f"{diff:+.1f}"), (rows[0], diff)
    kos = [l for l in ko.splitlines() if l.startswith(f"| {label} | 2 | ") and "; 평균 " in l]
    assert kos and kos[0].startswith(want.replace("; mean ", "; 평균 ")), kos
    # compare-samplers.sh: the same cells, in its row for this optimizer
    trow = [l for l in table.splitlines() if l.startswith(f"| tiny-gp (gp) | {label} | 2 | ")]
    assert len(trow) == 1, table
    assert f"| {cells(base)} | {cells(this)} | {diff:+.1f}" in trow[0], (trow[0], cells(base), cells(this))
    print(f"{label}: trials to within 0.1 points, tpe {base}, gp {this}: report and compare-samplers.sh agree")
assert "tiny-none" not in table
PY
