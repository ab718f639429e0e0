#!/bin/bash
# Installs the build under test (OPTLAB_BUILD) into a temporary prefix with
# `make install`, then builds examples/minimize_adamw.c with nothing but
# `pkg-config --cflags --libs optlab` from that prefix, and runs it: AdamW must
# bring Rosenbrock to its minimum. Proves the installed library and header stand alone.
set -eu
build=$(basename "${OPTLAB_BUILD:-build}")
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
# Install with the flags that build was made with, so make finds everything up
# to date instead of rebuilding it under the other build's flags.
flags=()
case "$build" in *asan*) flags=(SAN=1 OPT=-O1) ;; esac
make --no-print-directory -s install BUILD="$build" "${flags[@]}" PREFIX="$tmp" > "$tmp/install.log" 2>&1 \
    || { cat "$tmp/install.log"; exit 1; }
test -f "$tmp/include/optlab/optim.h" && test -f "$tmp/lib/pkgconfig/optlab.pc"
export PKG_CONFIG_PATH="$tmp/lib/pkgconfig"
pc=$(pkg-config --cflags --libs optlab)
case "$pc" in *"$tmp"*) ;; *) echo "pkg-config does not point into the prefix: $pc"; exit 1 ;; esac
extra=()
case "$build" in *asan*) extra=(-fsanitize=address,undefined) ;; esac
# shellcheck disable=SC2086
cc -std=c11 -Wall -Wextra -Werror "${extra[@]}" examples/minimize_adamw.c $pc -lm -o "$tmp/minimize_adamw"
LD_LIBRARY_PATH="$tmp/lib" "$tmp/minimize_adamw"
