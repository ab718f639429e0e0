#!/bin/bash
# pg_cluster.sh — a throwaway PostgreSQL cluster for optlab's storage tests.
#
# Source it and call the functions:
#     . tests/storage/_pg_cluster.sh
#     pg_cluster_start          # sets PG_URL, PG_BAD_URL, PG_PORT, PG_DIR, PG_DATA; traps EXIT to stop
#     ... tests ...
#     pg_cluster_restart        # pg_ctl restart (for the server-restart fault test)
#     pg_cluster_stop
# or run it:  tests/storage/_pg_cluster.sh start   -> prints KEY=VALUE lines (PG_URL=...), leaves it running
#             tests/storage/_pg_cluster.sh stop DIR
#             tests/storage/_pg_cluster.sh         -> tests itself (scripts/run-tests.sh runs it so)
#
# The cluster lives in a temp dir, listens on 127.0.0.1 only at a free port, puts
# its unix socket in the temp dir, and trusts the user "optlab" (no password);
# the user "optlab_pw" needs the password "secret-pw" (scram), for the
# bad-credentials test. initdb refuses to run as root, so as root the server
# runs as the "postgres" user (created by Debian's postgresql package).
# Installs Debian's postgresql if it is missing (root only). PG_EXTRA_OPTS adds
# server options (bench/pg_storage.c loads pg_stat_statements with it).

pg_cluster__bin() {
    local d
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then echo "$d"; return 0; fi
    done
    return 1
}

# Run a command as the cluster's owner.
pg_cluster__as_owner() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_cluster__free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null ||
        echo $((20000 + RANDOM % 20000))
}

pg_cluster_start() {
    local bin
    if ! bin=$(pg_cluster__bin); then
        if [ "$(id -u)" = 0 ]; then
            echo "pg_cluster: installing Debian's postgresql" >&2
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null 2>&1 ||
                { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null; }
        fi
        bin=$(pg_cluster__bin) || { echo "pg_cluster: no initdb/pg_ctl under /usr/lib/postgresql/*/bin" >&2; return 1; }
    fi
    PG_BIN=$bin
    PG_DIR=$(mktemp -d /tmp/optlab-pg.XXXXXX) || return 1
    PG_DATA=$PG_DIR/data
    chmod 755 "$PG_DIR"
    if [ "$(id -u)" = 0 ]; then chown postgres: "$PG_DIR"; fi
    local pwfile=$PG_DIR/pw
    echo "superpw" >"$pwfile"
    [ "$(id -u)" = 0 ] && chown postgres: "$pwfile"
    if ! pg_cluster__as_owner "$bin/initdb" -D "$PG_DATA" -U pgadmin --pwfile="$pwfile" -A trust \
            --no-sync -E UTF8 --locale=C >"$PG_DIR/initdb.log" 2>&1; then
        echo "pg_cluster: initdb failed:" >&2; cat "$PG_DIR/initdb.log" >&2; return 1
    fi
    # trust for optlab, scram password for optlab_pw, everything else trusted only on the socket
    pg_cluster__as_owner sh -c "cat > '$PG_DATA/pg_hba.conf'" <<'EOF'
local all all trust
host  all optlab_pw 127.0.0.1/32 scram-sha-256
host  all all       127.0.0.1/32 trust
EOF
    local try
    for try in 1 2 3 4 5; do
        PG_PORT=$(pg_cluster__free_port)
        if pg_cluster__as_owner "$bin/pg_ctl" -D "$PG_DATA" -l "$PG_DIR/server.log" -w -t 30 \
                -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=100 ${PG_EXTRA_OPTS:-}" \
                start >/dev/null 2>&1; then
            break
        fi
        PG_PORT=""
    done
    if [ -z "$PG_PORT" ]; then
        echo "pg_cluster: the server did not start:" >&2; tail -20 "$PG_DIR/server.log" >&2; return 1
    fi
    local psql="$bin/psql -X -q -h $PG_DIR -p $PG_PORT -U pgadmin -d postgres -v ON_ERROR_STOP=1"
    pg_cluster__as_owner $psql -c "CREATE ROLE optlab LOGIN; CREATE ROLE optlab_pw LOGIN PASSWORD 'secret-pw' IN ROLE optlab;" \
        -c "CREATE DATABASE optlab OWNER optlab;" >/dev/null || { pg_cluster_stop; return 1; }
    PG_URL="postgresql://optlab@127.0.0.1:$PG_PORT/optlab"
    PG_BAD_URL="postgresql://optlab_pw:wrong-pw@127.0.0.1:$PG_PORT/optlab"
    PG_PSQL="$bin/psql -X -q -h 127.0.0.1 -p $PG_PORT -U optlab -d optlab"
    export PG_BIN PG_DIR PG_DATA PG_PORT PG_URL PG_BAD_URL PG_PSQL
    [ "${PG_CLUSTER_NO_TRAP:-0}" = 1 ] || trap pg_cluster_stop EXIT
    return 0
}

pg_cluster_restart() {
    pg_cluster__as_owner "$PG_BIN/pg_ctl" -D "$PG_DATA" -w -t 30 -m fast restart \
        -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=100" \
        >/dev/null 2>&1
}

pg_cluster_stop() {
    [ -n "${PG_DIR:-}" ] && [ -d "$PG_DIR" ] || return 0
    local bin=${PG_BIN:-$(pg_cluster__bin)}
    if [ -f "$PG_DATA/postmaster.pid" ]; then
        pg_cluster__as_owner "$bin/pg_ctl" -D "$PG_DATA" -w -t 20 -m immediate stop >/dev/null 2>&1
    fi
    rm -rf "$PG_DIR"
    PG_DIR=""
}

# Executed (not sourced): start / stop / restart for programs that cannot source.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    case "${1:-}" in
    start)
        PG_CLUSTER_NO_TRAP=1 pg_cluster_start || exit 1
        printf 'PG_URL=%s\nPG_BAD_URL=%s\nPG_PORT=%s\nPG_DIR=%s\nPG_DATA=%s\nPG_BIN=%s\n' \
            "$PG_URL" "$PG_BAD_URL" "$PG_PORT" "$PG_DIR" "$PG_DATA" "$PG_BIN"
        ;;
    stop)
        PG_DIR=${2:?usage: pg_cluster.sh stop DIR}; PG_DATA=$PG_DIR/data; pg_cluster_stop ;;
    restart)
        PG_DIR=${2:?usage: pg_cluster.sh restart DIR PORT}; PG_PORT=${3:?port}; PG_DATA=$PG_DIR/data
        PG_BIN=$(pg_cluster__bin); pg_cluster_restart ;;
    "")
        # No argument (as scripts/run-tests.sh runs it): test the cluster itself.
        set -e
        pg_cluster_start
        dir=$PG_DIR
        $PG_PSQL -tAc 'SELECT 1' | grep -qx 1
        if PGPASSWORD=wrong-pw $PG_BIN/psql -X -h 127.0.0.1 -p "$PG_PORT" -U optlab_pw -d optlab -c 'SELECT 1' \
            >/dev/null 2>&1; then echo "pg_cluster: a wrong password was accepted" >&2; exit 1; fi
        PGPASSWORD=secret-pw $PG_BIN/psql -X -h 127.0.0.1 -p "$PG_PORT" -U optlab_pw -d optlab -tAc 'SELECT 1' | grep -qx 1
        ss -ltn 2>/dev/null | grep ":$PG_PORT " | grep -qv '127.0.0.1:' && { echo "pg_cluster: listens beyond loopback" >&2; exit 1; }
        pg_cluster_stop
        trap - EXIT
        [ ! -e "$dir" ] || { echo "pg_cluster: $dir left behind" >&2; exit 1; }
        echo "pg_cluster: ok"
        ;;
    *) echo "usage: $0 [start | stop DIR | restart DIR PORT]  (no argument: test the cluster)" >&2; exit 2 ;;
    esac
fi
