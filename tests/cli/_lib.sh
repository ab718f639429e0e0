# _lib.sh — shell helpers shared by the scripted CLI tests that kill a
# background `optlab run` and inspect its SQLite study (run_resume_kill.sh,
# scale_sqlite.sh). Sourced from the repository root; not a test itself
# (scripts/run-tests.sh skips files whose names start with '_').

# Make a temporary directory $tmp and clear $pid; on exit, SIGKILL the
# background run whose process id is in $pid (unless it is empty by then)
# and remove $tmp.
tmp_dir_and_run_cleanup() {
    tmp=$(mktemp -d)
    pid=""
    trap '[ -n "$pid" ] && kill -9 $pid 2>/dev/null; rm -rf "$tmp"' EXIT
}

# Print the rows of the query $1 on the SQLite file $db, fields separated by
# spaces; print nothing while the file is missing or locked (a run is writing it).
sql() { /usr/bin/python3 -c 'import sqlite3, sys
try:
    for r in sqlite3.connect(sys.argv[1], timeout=5).execute(sys.argv[2]): print(*r)
except sqlite3.Error: pass' "$db" "$1"; }
