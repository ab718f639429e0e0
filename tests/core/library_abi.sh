#!/bin/bash
# What liboptlab.so and liboptlab-optim.so export, and how the build names and
# flags them (docs/library.md):
#   1. the exported symbols are exactly the functions the public headers
#      declare (-fvisibility=hidden + OL_BEGIN_API/OL_END_API): nothing
#      internal (nn_*, backends, helpers, ifunc resolvers) leaks, nothing
#      public is missing; liboptlab-optim exports only ol_*, needs libm and
#      libc only and refers to no cblas_ or cJSON_ symbol (its optim objects
#      are built without BLAS, and the schedules' JSON reader is left out);
#   2. the version is written once (include/optlab/version.h): the file
#      names, sonames and optlab.pc follow it;
#   3. `make CFLAGS=-O3` keeps the flags the build needs and adds the user's
#      after them (checked on make's dry run).
set -eu
b=${OPTLAB_BUILD:-build}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "library_abi: $*" >&2; exit 1; }

# 1. exports. The declared functions: preprocess every public header, keep
# top-level declarations (not static inline, not typedefs or function pointers).
for h in include/optlab/*.h; do echo "#include <optlab/$(basename "$h")>"; done > "$tmp/all.c"
cc -E -P -Iinclude "$tmp/all.c" | tr '\n' ' ' | sed 's/;/;\n/g; s/[{}]/&\n/g' \
    | grep -v 'static\|typedef\|(\*' | grep -oE '\bol_[a-z0-9_]+ *\(' | sed 's/ *(//' | sort -u > "$tmp/declared"
[ "$(wc -l < "$tmp/declared")" -gt 50 ] || fail "found only $(wc -l < "$tmp/declared") declarations in include/optlab"
nm -D --defined-only "$b/liboptlab.so" | awk '{print $3}' | sort -u > "$tmp/exported"
if ! diff "$tmp/declared" "$tmp/exported" > "$tmp/diff"; then
    sed -n 's/^< /  declared, not exported: /p; s/^> /  exported, not declared: /p' "$tmp/diff" >&2
    fail "liboptlab.so's exports differ from the public headers' declarations"
fi
nm -D --defined-only "$b/liboptlab-optim.so" | awk '{print $3}' | grep -v '^ol_' && fail "liboptlab-optim.so exports non-ol_ symbols (above)"
for s in ol_optimizer_create ol_version; do
    nm -D --defined-only "$b/liboptlab-optim.so" | grep -q " $s\$" || fail "liboptlab-optim.so does not export $s"
done
nm -D --defined-only "$b/liboptlab-optim.so" | grep -q ' ol_model_create$' && fail "liboptlab-optim.so holds nn"
# schedules: the struct constructor is there, the JSON reader (cJSON) is not
nm -D --defined-only "$b/liboptlab-optim.so" | grep -q ' ol_schedule_create_from$' \
    || fail "liboptlab-optim.so does not export ol_schedule_create_from"
nm -D --defined-only "$b/liboptlab-optim.so" | grep -q ' ol_schedule_create$' \
    && fail "liboptlab-optim.so holds the schedules' JSON reader (ol_schedule_create)"
needed=$(readelf -d "$b/liboptlab-optim.so" | sed -n 's/.*NEEDED.*\[\(.*\)\]/\1/p')
[ -n "$needed" ] || fail "readelf found no NEEDED entry in liboptlab-optim.so"
others=$(grep -vE '^(libm\.so\.6|libc\.so\.6|libasan.*|libubsan.*)$' <<<"$needed" || true)
[ -z "$others" ] || fail "liboptlab-optim.so needs more than libm and libc: $(echo $others)"
undef=$(nm -D --undefined-only "$b/liboptlab-optim.so" | awk '{print $2}' | grep -E '^(cblas_|cJSON_)' || true)
[ -z "$undef" ] || fail "liboptlab-optim.so refers to BLAS or cJSON: $(echo $undef)"

# 2. one version
ver_part() { sed -n "s/^#define OL_VERSION_$1 \([0-9]*\)\$/\1/p" include/optlab/version.h; }
major=$(ver_part MAJOR); ver="$major.$(ver_part MINOR).$(ver_part PATCH)"
[ -n "$major" ] || fail "no OL_VERSION_MAJOR in include/optlab/version.h"
for l in liboptlab liboptlab-optim; do
    [ -f "$b/$l.so.$ver" ] || fail "$b/$l.so.$ver missing (version.h says $ver)"
    readelf -d "$b/$l.so.$ver" | grep -q "SONAME.*\[$l\.so\.$major\]" || fail "$l: soname is not $l.so.$major"
done
grep -qx "Version: $ver" "$b/optlab.pc" || fail "optlab.pc does not say Version: $ver"
grep -qx "Version: $ver" "$b/optlab-optim.pc" || fail "optlab-optim.pc does not say Version: $ver"

# 3. CFLAGS from the command line add to the build's flags
line=$(make -n -B --no-print-directory BUILD="$tmp/b" CFLAGS=-O3 "$tmp/b/obj/core/rng.o" | grep ' -c src/core/rng.c')
for f in -std=c11 -fPIC -fvisibility=hidden -Werror -pthread -Iinclude -O3; do
    case " $line " in *" $f "*) ;; *) fail "make CFLAGS=-O3 compiles without $f: $line" ;; esac
done
# the user's -O3 comes after the default -O2, so it wins
[[ "$line" =~ -O2.*-O3 ]] || fail "make CFLAGS=-O3: -O3 does not come after -O2: $line"
line=$(make -n -B --no-print-directory BUILD="$tmp/b" CFLAGS=-O3 "$tmp/b/obj/optim/kernels.o" | grep ' -c src/optim/kernels.c')
case "$line" in *-fno-math-errno*) ;; *) fail "make CFLAGS=-O3 drops optim's -fno-math-errno: $line" ;; esac
# liboptlab-optim's own build of the optim layer: the same flags, and no BLAS
line=$(make -n -B --no-print-directory BUILD="$tmp/b" CFLAGS=-O3 "$tmp/b/obj-optimlib/optim/kernels.o" | grep ' -c src/optim/kernels.c')
for f in -fno-math-errno -fvisibility=hidden -DOL_OPTIM_BLAS=0 -fPIC -O3; do
    case " $line " in *" $f "*) ;; *) fail "liboptlab-optim's kernels.o compiles without $f: $line" ;; esac
done
echo "library_abi: $(wc -l < "$tmp/exported") symbols exported, all declared; version $ver"
