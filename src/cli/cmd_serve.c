/*
 * cmd_serve.c — `optlab serve`: a live, read-only web view of a storage's
 * studies (src/serve/, docs/serve.md). This file only parses argv, finds the
 * page assets, prints the URL and waits for SIGINT/SIGTERM.
 */
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "options.h"
#include "optlab/serve.h"

static void serve_usage(FILE *out) {
    fputs("usage: optlab serve [--storage URL] [--bind ADDR] [--port N] [--assets DIR] [--threads N]\n"
          "                    [--stale SECONDS]\n\n"
          "A read-only web view of the studies in a storage, updated live while `optlab run`\n"
          "or `optlab worker`s write: every study's progress, and per study the optimisation\n"
          "history, learning curves, slice and parallel-coordinate plots, parameter\n"
          "importances and a sortable, filterable trial table; per experiment, the comparison\n"
          "and verdict of `optlab report`. Nothing is ever written.\n\n"
          "  --storage URL   sqlite:///FILE or postgresql://USER@HOST:PORT/DB\n"
          "                  (default sqlite:///optlab.db); must already exist\n"
          "  --bind ADDR     IPv4 address to listen on (default 127.0.0.1: this machine only).\n"
          "                  Another address lets anyone who can reach it read every study,\n"
          "                  without a password and unencrypted: see docs/serve.md\n"
          "  --port N        TCP port (default 8080; 0: any free port, printed)\n"
          "  --assets DIR    page assets (default: web/ beside the optlab binary, else share/optlab/web)\n"
          "  --threads N     request threads, each with its own storage connection (default 4)\n"
          "  --stale SECONDS flag a running trial whose last heartbeat is older than this\n"
          "                  (default 30, `optlab worker`'s default --grace; `optlab run` uses 60)\n\n"
          "Stop it with Ctrl-C.\n",
          out);
}

static int is_dir_with_index(const char *dir) {
    char path[PATH_MAX + 32];
    struct stat sb;
    if (snprintf(path, sizeof path, "%s/index.html", dir) >= (int)sizeof path) return 0;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* web/ beside the binary (a build tree), else the installed share/optlab/web */
static const char *default_assets(void) {
    static char buf[PATH_MAX + 64];
    char exe[PATH_MAX];
    if (cli_exe_dir(exe, sizeof exe) == 0 && snprintf(buf, sizeof buf, "%s/web", exe) < (int)sizeof buf - 16 &&
        is_dir_with_index(buf))
        return buf;
    const char *index = cli_data_path("web/index.html");
    snprintf(buf, sizeof buf, "%s", index);
    char *slash = strrchr(buf, '/');
    if (slash) *slash = 0;
    return buf;
}

int cmd_serve(int argc, char **argv) {
    enum { O_STORAGE, O_BIND, O_PORT, O_ASSETS, O_THREADS, O_STALE };
    static const cli_option opts[] = {{"storage", 1, O_STORAGE}, {"bind", 1, O_BIND},       {"port", 1, O_PORT},
                                      {"assets", 1, O_ASSETS},   {"threads", 1, O_THREADS}, {"stale", 1, O_STALE},
                                      {NULL, 0, 0}};
    ol_serve_options o = {.storage_url = "sqlite:///optlab.db", .bind = "127.0.0.1", .port = 8080};
    const char *v;
    cli_parser p;
    cli_begin(&p, "serve", argc, argv, opts);
    for (int c; (c = cli_next(&p, &v)) != CLI_OPT_END;) {
        if (c == CLI_OPT_HELP) {
            serve_usage(stdout);
            return 0;
        }
        if (c == CLI_OPT_ERROR) return CLI_EXIT_USAGE;
        if (c == O_STORAGE) o.storage_url = v;
        else if (c == O_BIND) o.bind = v;
        else if (c == O_ASSETS) o.assets_dir = v;
        else if (c == O_THREADS && cli_parse_int(&p, "--threads", v, 1, 64, &o.threads)) return CLI_EXIT_USAGE;
        else if (c == O_STALE && cli_parse_double(&p, "--stale", v, 0.1, 86400, &o.stale_seconds))
            return CLI_EXIT_USAGE;
        else if (c == O_PORT) {
            if (cli_parse_int(&p, "--port", v, 0, 65535, &o.port)) return CLI_EXIT_USAGE;
            if (o.port == 0) o.port = -1;
        }
    }
    if (cli_operand_count(&p)) return cli_usage_error(&p, "unexpected argument '%s'", cli_operands(&p)[0]);
    if (!o.assets_dir) o.assets_dir = default_assets();
    /* A viewer should report a PostgreSQL outage in seconds, not wait out a worker's 15 s of reconnect
     * attempts on every poll; the page polls again anyway. OPTLAB_PG_RETRY_SECONDS still decides if set. */
    setenv("OPTLAB_PG_RETRY_SECONDS", "2", 0);

    /* SIGINT/SIGTERM are waited for below; blocked before the server's threads start so they inherit the mask */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    ol_server *srv = NULL;
    ol_error err = {0};
    ol_status rc = ol_serve_start(&srv, &o, &err);
    if (rc == OL_ENOTFOUND && strstr(err.msg, "index.html") == NULL)
        return cli_error("%s; run a study first or pass --storage URL", err.msg);
    if (rc != OL_OK) return cli_error("%s", err.msg);
    printf("optlab serve: http://%s:%d/  (read-only; Ctrl-C stops)\n", o.bind, ol_serve_port(srv));
    if (strcmp(o.bind, "127.0.0.1") && strcmp(o.bind, "localhost"))
        fprintf(stderr, "optlab serve: listening on %s: anyone who can reach it reads every study "
                        "(no password, no TLS)\n", o.bind);
    fflush(stdout);
    int sig = 0;
    sigwait(&stop, &sig);
    ol_serve_stop(srv);
    return 0;
}
