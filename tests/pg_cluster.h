/*
 * pg_cluster.h — start and stop the throwaway PostgreSQL cluster of
 * tests/storage/_pg_cluster.sh (initdb + pg_ctl in a temp dir, a free port on
 * 127.0.0.1) from a C program: tests/storage/test_postgres.c and
 * bench/pg_storage.c. Header-only (static inline functions), run from the
 * repository root. Extra server options go in $PG_EXTRA_OPTS before starting.
 */
#ifndef OPTLAB_TESTS_PG_CLUSTER_H
#define OPTLAB_TESTS_PG_CLUSTER_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char pg_cluster_dir[512];        /* the running cluster's directory; empty if none */
static const char *pg_cluster_program = "pg_cluster"; /* prefixes messages */

/* Stop the cluster pg_cluster_start started, if any (usable with atexit). */
static inline void pg_cluster_stop(void) {
    if (!pg_cluster_dir[0]) return;
    char cmd[700];
    snprintf(cmd, sizeof cmd, "bash tests/storage/_pg_cluster.sh stop '%s' >/dev/null 2>&1", pg_cluster_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "%s: could not stop the cluster in %s\n", pg_cluster_program, pg_cluster_dir);
    pg_cluster_dir[0] = 0;
}

/* Start a cluster and export _pg_cluster.sh's KEY=VALUE lines as OPTLAB_<KEY>
 * (OPTLAB_PG_URL, OPTLAB_PG_PORT, OPTLAB_PG_DIR, ...). `program` names the
 * caller in messages. Returns 0, or -1 if the cluster did not start (call
 * pg_cluster_stop to clean up what did). */
static inline int pg_cluster_start(const char *program) {
    pg_cluster_program = program;
    FILE *p = popen("bash tests/storage/_pg_cluster.sh start", "r");
    if (!p) return -1;
    char line[1024];
    while (fgets(line, sizeof line, p)) {
        line[strcspn(line, "\n")] = 0;
        char *eq = strchr(line, '=');
        if (!eq) continue;
        *eq = 0;
        char key[128];
        snprintf(key, sizeof key, "OPTLAB_%.100s", line);
        setenv(key, eq + 1, 1);
        if (!strcmp(line, "PG_DIR")) snprintf(pg_cluster_dir, sizeof pg_cluster_dir, "%s", eq + 1);
    }
    int rc = pclose(p);
    return rc == 0 && getenv("OPTLAB_PG_URL") ? 0 : -1;
}

#endif
