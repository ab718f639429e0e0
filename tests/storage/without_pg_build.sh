#!/bin/bash
# The WITH_POSTGRES=0 build option (Makefile, docs/library.md): optlab built
# without libpq. Checks, in any build:
#   1. storage.c compiled with OL_WITH_POSTGRES=0 links with no libpq and no
#      PostgreSQL backend, and a postgresql:// URL then fails with a message
#      naming the build option (and not repeating the URL's password);
#   2. make's dry run of WITH_POSTGRES=0 compiles no postgres*.c, uses no libpq
#      header path and links no -lpq anywhere;
# and when the build under test was made with WITH_POSTGRES=0:
#   3. its liboptlab.so needs no libpq, and `optlab studies --storage
#      postgresql://...` fails with the same message.
set -eu
b=${OPTLAB_BUILD:-build}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "without_pg_build: $*" >&2; exit 1; }
san=""
if nm "$b/obj/storage/sqlite.o" 2>/dev/null | grep -q __asan; then san="-fsanitize=address,undefined"; fi

# 1. the error, from storage.c built without the backend
cc -std=c11 -D_GNU_SOURCE -Iinclude -DOL_WITH_POSTGRES=0 -g $san -c src/storage/storage.c -o "$tmp/storage.o"
objs=("$tmp/storage.o")
for o in "$b"/obj/storage/*.o; do
    case "$(basename "$o")" in storage.o|postgres.o|postgres_*.o) ;; *) objs+=("$o") ;; esac
done
cat > "$tmp/open.c" <<'EOF'
#include <stdio.h>
#include <optlab/storage.h>
int main(void) {
    ol_storage *st = NULL; ol_error err = {0};
    if (ol_storage_open(&st, "memory:", &err) != OL_OK) { printf("memory: %s\n", err.msg); return 2; }
    ol_storage_close(st);
    ol_status s = ol_storage_open(&st, "postgresql://optlab:secret-pw@localhost:5432/optlab", &err);
    printf("%d %s\n", (int)s, err.msg);
    return s == OL_EINVAL ? 0 : 1;
}
EOF
cc -std=c11 -Iinclude -g $san "$tmp/open.c" "${objs[@]}" "$b"/obj/core/*.o -lsqlite3 -lcjson -lz -lm -pthread \
    -o "$tmp/open" || fail "storage without the PostgreSQL backend does not link without libpq"
readelf -d "$tmp/open" | grep -q 'NEEDED.*libpq' && fail "the program still needs libpq"
out=$("$tmp/open") || fail "postgresql:// did not fail with OL_EINVAL: $out"
case "$out" in *WITH_POSTGRES=0*) ;; *) fail "the message does not name the build option: $out" ;; esac
case "$out" in *secret-pw*) fail "the message repeats the URL's password: $out" ;; esac

# 2. the dry run of a WITH_POSTGRES=0 build
make -n -B --no-print-directory WITH_POSTGRES=0 BUILD="$tmp/nopg" all test-build > "$tmp/dry" 2>&1 \
    || { cat "$tmp/dry"; fail "make -n WITH_POSTGRES=0 failed"; }
grep -q 'src/storage/sqlite.c' "$tmp/dry" || fail "dry run compiles no storage at all?"
if grep -n 'postgres[_a-z]*\.c\|test_postgres\|/usr/include/postgresql\|-lpq\b' "$tmp/dry" >&2; then
    fail "WITH_POSTGRES=0 still builds or links the PostgreSQL parts (above)"
fi

# 3. a build made with WITH_POSTGRES=0
if grep -qx 'WITH_POSTGRES=0' "$b/build-options" 2>/dev/null; then
    readelf -d "$b/liboptlab.so" | grep -q 'NEEDED.*libpq' && fail "$b/liboptlab.so needs libpq"
    set +e; msg=$("$b/optlab" studies --storage postgresql://optlab:secret-pw@localhost/optlab 2>&1); rc=$?; set -e
    [ $rc = 1 ] || fail "optlab studies on postgresql:// exited $rc: $msg"
    case "$msg" in *WITH_POSTGRES=0*) ;; *) fail "optlab does not name the build option: $msg" ;; esac
    echo "without_pg_build: checked the WITH_POSTGRES=0 build $b too"
fi
echo "without_pg_build: ok"
