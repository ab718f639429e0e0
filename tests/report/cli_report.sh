#!/bin/bash
# `optlab report` from the command line: --help, bad options, and the refusals
# (missing storage, foreign file, a directory that is not a report), each with
# a clear message, the right exit status, and nothing created.
set -u
BIN="${OPTLAB_BIN:-build/optlab}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$BIN" report --help | grep -q -- "--lang en|ko" || fail "--help lacks --lang"
"$BIN" --help | grep -q "^  report " || fail "optlab --help does not list report"

"$BIN" report --lang fr --out "$tmp/r" 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] || fail "bad --lang: exit $rc, wanted 2"
grep -q "en or ko" "$tmp/err" || fail "bad --lang message: $(cat "$tmp/err")"

"$BIN" report --bogus 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] || fail "unknown option: exit $rc, wanted 2"

"$BIN" report --storage "sqlite:///$tmp/absent.db" --out "$tmp/r" 2>"$tmp/err"; rc=$?
[ $rc -eq 1 ] || fail "missing storage: exit $rc, wanted 1"
grep -q "does not exist" "$tmp/err" || fail "missing storage message: $(cat "$tmp/err")"
[ ! -e "$tmp/absent.db" ] || fail "missing storage file was created"
[ ! -e "$tmp/r" ] || fail "a report directory was created for a missing storage"

echo "not a database" > "$tmp/foreign.db"
"$BIN" report --storage "sqlite:///$tmp/foreign.db" --out "$tmp/r" 2>"$tmp/err"; rc=$?
[ $rc -eq 1 ] || fail "foreign file: exit $rc, wanted 1"
grep -q "foreign.db" "$tmp/err" || fail "foreign file message does not name it: $(cat "$tmp/err")"
[ ! -e "$tmp/r" ] || fail "a report directory was created for a foreign file"

mkdir "$tmp/mine" && echo keep > "$tmp/mine/notes.txt"
"$BIN" report --storage memory: --out "$tmp/mine" 2>"$tmp/err"; rc=$?
[ $rc -eq 1 ] || fail "non-report directory: exit $rc, wanted 1"
grep -q "not an optlab report" "$tmp/err" || fail "non-report directory message: $(cat "$tmp/err")"
[ "$(cat "$tmp/mine/notes.txt")" = keep ] || fail "the user's directory was changed"

"$BIN" report --storage memory: --out "$tmp/r" 2>"$tmp/err"; rc=$?
[ $rc -eq 1 ] || fail "empty storage: exit $rc, wanted 1"
grep -q "holds no studies" "$tmp/err" || fail "empty storage message: $(cat "$tmp/err")"
[ ! -e "$tmp/r" ] || fail "a report directory was created for an empty storage"
"$BIN" report --help | grep -q -- "--only NAMES" || fail "--help lacks --only"
"$BIN" report --storage memory: --study-name s --only adam --out "$tmp/r" 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] || fail "--only with --study-name: exit $rc, wanted 2"
grep -q -- "--only chooses studies of an experiment" "$tmp/err" || fail "--only with --study-name message: $(cat "$tmp/err")"
"$BIN" report --storage memory: --only "" --out "$tmp/r" 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] || fail "empty --only: exit $rc, wanted 2"
[ ! -e "$tmp/r" ] || fail "a report directory was created for a refused --only"
echo ok
