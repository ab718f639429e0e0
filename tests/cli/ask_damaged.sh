#!/bin/bash
# `optlab ask` opens its SQLite file without the whole-file check (PRAGMA
# quick_check reads every page; OL_STORAGE_OPEN_NO_CHECK) and reads its study
# before it creates a trial (ol_study_load). A damaged page of that study must
# therefore still stop the ask before anything is written: the command fails,
# names the file, and the file is left byte for byte as it was. A study that
# is to be created gets the full check on open, as before.
set -eu
BIN=${OPTLAB_BIN:-build/optlab}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
db=$tmp/d.db
S="sqlite:///$db"
P=(--param 'x=float:-4:4' --param 'lr=float:1e-4:1e-1:log' --param 'act=cat:relu,tanh')
for i in $(seq 0 39); do
    "$BIN" ask --storage "$S" --study s --direction minimize --seed 1 --sampler random "${P[@]}" >/dev/null
    "$BIN" tell --storage "$S" --study s --trial-number "$i" --values "$i.5"
done
# an undamaged file: the ask goes through and reads every trial (the 41st is number 40)
cp "$db" "$tmp/ok.db"
out=$("$BIN" ask --storage "sqlite:///$tmp/ok.db" --study s "${P[@]}")
grep -q '"number": 40' <<<"$out" || { echo "ask on the intact copy: $out"; exit 1; }

# scribble over one leaf page of trial_params (a page the study's read needs, none the trial insert touches)
page=$(/usr/bin/python3 - "$db" <<'EOF'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
rows = c.execute("SELECT pageno FROM dbstat WHERE name = 'trial_params' AND pagetype = 'leaf' ORDER BY pageno").fetchall()
print(rows[len(rows) // 2][0] if len(rows) > 2 else "")
EOF
)
[ -n "$page" ] || { echo "trial_params has too few leaf pages to damage one"; exit 1; }
size=$(/usr/bin/python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("PRAGMA page_size").fetchone()[0])' "$db")
/usr/bin/python3 - "$db" "$page" "$size" <<'EOF'
import sys
path, page, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with open(path, "r+b") as f:
    f.seek((page - 1) * size + 8)  # keep the page-type byte, break the cell pointers and cells
    f.write(bytes((i * 37 + 11) % 256 for i in range(size - 8)))
EOF
rm -f "$db-wal" "$db-shm"
sum=$(sha256sum < "$db")
set +e
out=$("$BIN" ask --storage "$S" --study s "${P[@]}" 2>&1); rc=$?
set -e
[ $rc -ne 0 ] || { echo "FAIL: ask on a damaged study succeeded: $out"; exit 1; }
grep -qF "$db" <<<"$out" || { echo "FAIL: the message does not name the file: $out"; exit 1; }
grep -qiE "corrupt|malformed" <<<"$out" || { echo "FAIL: the message does not say the file is damaged: $out"; exit 1; }
[ "$(sha256sum < "$db")" = "$sum" ] || { echo "FAIL: the damaged file was changed"; exit 1; }
echo "ok: $out"
# creating a study in the damaged file: the full check on open refuses it
set +e
out=$("$BIN" ask --storage "$S" --study new --direction maximize "${P[@]}" 2>&1); rc=$?
set -e
[ $rc -ne 0 ] && grep -qi "corrupt" <<<"$out" || { echo "FAIL: a new study in a damaged file: rc=$rc $out"; exit 1; }
[ "$(sha256sum < "$db")" = "$sum" ] || { echo "FAIL: the damaged file was changed by the refused create"; exit 1; }
echo "ok: $out"
