#!/bin/sh
# Install the Debian packages optlab needs, once. Idempotent and quiet when
# everything is already there; prints what it installs otherwise.
set -eu
PKGS="build-essential pkg-config libopenblas-dev zlib1g-dev libsqlite3-dev sqlite3 libpq-dev
libcjson-dev libinih-dev libcriterion-dev gnuplot-nox nodejs npm
python3-torch python3-optuna python3-psycopg2 postgresql fonts-noto-cjk
dataset-fashion-mnist"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
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
