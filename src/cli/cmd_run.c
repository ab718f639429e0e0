/*
 * cmd_run.c — `optlab run [EXPERIMENT]`: the whole pipeline of DESIGN.md on
 * one machine.
 *
 *   experiment file ─► one study per [optimizer] section, in one storage
 *                      ─► N worker processes: ask ─► train ─► tell, until full
 *                      ─► the seed's results table ─► the report (report/)
 *
 * The experiment itself — parsing, studies, the trial objective, the worker
 * loop with its heartbeats — is the experiment layer's (optlab/experiment.h);
 * this file adds what a command adds: argv, forking and respawning worker
 * processes, signals, and the terminal (run_display.c).
 *
 * Order matters for "nothing stored before it lost": the experiment file,
 * the options and the data are all checked before the storage is opened,
 * and existing studies are checked against the file before anything is
 * written (ol_exp_prepare, OL_EXP_CREATE).
 *
 * Workers are forked processes, each with its own storage connection and a
 * single BLAS thread; the storage enforces each study's budget atomically,
 * so any number of workers — also of other `optlab run` or `optlab worker`
 * processes sharing a PostgreSQL storage — never exceed it. The parent only
 * watches: it polls the storage for progress and marks dead workers' trials
 * FAIL. A worker killed by a signal while the run goes on (OOM killer,
 * kill -9) is reaped, its trial failed at once and a new worker forked in
 * its place.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "options.h"
#include "optlab/experiment.h"
#include "optlab/optim.h"
#include "optlab/report.h"
#include "run.h"

#define DEFAULT_EXPERIMENT "experiments/seed.ini"
#define DEFAULT_STORAGE "sqlite:///optlab.db"

/* Command-line options of `optlab run`. */
typedef struct {
    const char *file;
    const char *storage;
    const char *data_dir;
    const char *only;
    const char *report_dir;
    int jobs;
    int trials;     /* 0: the file's */
    int repetition; /* first repetition to run (0: the plain study names) */
    int repeats;    /* how many repetitions, from `repetition` on (at least 1) */
    int no_report;
    int quiet;
} run_options;

/* ---- options (run_options: run.h) ---- */

static void run_usage(FILE *out) {
    fputs("usage: optlab run [EXPERIMENT_FILE] [--storage URL] [--jobs N] [--data DIR] [--trials N]\n"
          "                  [--only OPTIMIZER] [--repeat R] [--repetition K] [--no-report] [--report-dir DIR] [--quiet]\n"
          "                  [--heartbeat SEC] [--grace SEC] [--timeout SEC]\n\n"
          "Run an experiment: one study per [optimizer] section of the file (docs/experiments.md),\n"
          "each trial = a fresh model trained with the optimizer's sampled hyperparameters; then\n"
          "print the results table and write the report. Without a file: " DEFAULT_EXPERIMENT ",\n"
          "the seed study (Adam, AdamW, AdaDelta x 70 trials).\n\n"
          "Running it again against the same storage resumes: complete trials are kept, a trial\n"
          "left RUNNING by a killed run is marked FAIL and its slot run again.\n\n"
          "  --storage URL     sqlite:///FILE.db (default " DEFAULT_STORAGE "), postgresql://..., memory:\n"
          "  --jobs N          worker processes sharing the storage (default: the number of cores)\n"
          "  --data DIR        where datasets live (default $OPTLAB_DATA, else ./data)\n"
          "  --trials N        trials per optimizer instead of the file's\n"
          "  --only NAME       run only that study: an optimizer, or STUDY of [optimizer NAME as STUDY]\n"
          "  --repeat R        run the whole experiment R times (repetitions 0 .. R-1, default 1):\n"
          "                    repetition r > 0 has studies EXPERIMENT#rR/OPTIMIZER with their own\n"
          "                    sampler and initialisation seeds; the report compares them\n"
          "  --repetition K    start at repetition K (with --repeat R: K .. K+R-1)\n"
          "  --no-report       do not write the report at the end\n"
          "  --report-dir DIR  where the report goes (default report)\n"
          "  --quiet           no progress display\n"
          "  --heartbeat SEC   a thread refreshes each running trial's heartbeat every SEC seconds\n"
          "                    (default 10), however long an epoch takes\n"
          "  --grace SEC       a RUNNING trial whose heartbeat is older than SEC seconds is taken as dead and\n"
          "                    failed (default 60; at least 2 x --heartbeat). A trial of this host whose\n"
          "                    worker PID no longer runs optlab is failed at once\n"
          "  --timeout SEC     start no trial after SEC seconds (Optuna's timeout): the running ones finish\n"
          "                    and are stored, nothing is failed; run the same command again to go on\n\n"
          "Progress: on a terminal a bar per study (trials k/N, best so far, ETA); otherwise one line\n"
          "per finished trial. Ctrl-C stops the workers; their running trials are marked FAIL\n"
          "(--timeout is the stop that loses no work).\n",
          out);
}

static volatile sig_atomic_t g_parent_signal;
static void on_parent_signal(int sig) { g_parent_signal = sig; }

/* Fork one worker of `optlab run`; returns its pid, or -1 (errno set). */
static pid_t spawn_worker(ol_exp_runner *r, ol_storage *st) {
    pid_t parent = getpid();
    fflush(NULL);
    pid_t pid = fork();
    if (pid != 0) return pid;
    /* a worker dies with its parent (SIGKILL included): its trial stays
     * RUNNING and the next run marks it FAIL by its dead PID */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(1);
    run_worker_signals(r);
    ol_storage_close(st); /* the parent's connection is not the child's to use */
    ol_error err;
    ol_status rc = ol_exp_worker_run(r, &err);
    if (rc && rc != OL_ESTOPPED) cli_error("worker %ld: %s", (long)getpid(), err.msg);
    fflush(NULL);
    _exit(rc == OL_OK ? 0 : rc == OL_ESTOPPED ? 128 + (int)r->stop : 1);
}

/* Fail the trials of this run's dead workers in every study (errors: tried again later). */
static void fail_dead(const ol_exp_runner *r, ol_storage *st) {
    ol_error err;
    for (int i = 0; i < r->n_studies; i++) ol_exp_fail_dead_trials(r, st, r->studies[i].id, &err);
}

enum { R_STORAGE, R_DATA, R_ONLY, R_REPORT_DIR, R_JOBS, R_TRIALS, R_REPEAT, R_REPETITION, R_NO_REPORT, R_QUIET,
       R_HEARTBEAT, R_GRACE, R_TIMEOUT };

/* A thread refreshes the running trial's heartbeat this often (s): with only the per-epoch refresh,
   an epoch longer than the grace period (a big model, a loaded machine) let a sibling worker fail a
   live trial as stale. */
#define RUN_HEARTBEAT_SECONDS 10.0
#define RUN_GRACE_SECONDS 60.0

int cmd_run(int argc, char **argv) {
    static const cli_option opts[] = {{"storage", 1, R_STORAGE},       {"data", 1, R_DATA},
                                      {"only", 1, R_ONLY},             {"report-dir", 1, R_REPORT_DIR},
                                      {"jobs", 1, R_JOBS},             {"trials", 1, R_TRIALS},
                                      {"repeat", 1, R_REPEAT},         {"repetition", 1, R_REPETITION},
                                      {"no-report", 0, R_NO_REPORT},   {"quiet", 0, R_QUIET},
                                      {"heartbeat", 1, R_HEARTBEAT},   {"grace", 1, R_GRACE},
                                      {"timeout", 1, R_TIMEOUT},       {NULL, 0, 0}};
    double heartbeat = RUN_HEARTBEAT_SECONDS, grace = RUN_GRACE_SECONDS, timeout = 0;
    run_options o = {.storage = DEFAULT_STORAGE, .report_dir = "report", .repeats = 1};
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    o.jobs = cores > 0 ? (int)cores : 1;
    cli_parser cp;
    const char *v;
    cli_begin(&cp, "run", argc, argv, opts);
    for (int c; (c = cli_next(&cp, &v)) != CLI_OPT_END;) {
        int bad = 0;
        switch (c) {
        case CLI_OPT_HELP: run_usage(stdout); return 0;
        case CLI_OPT_ERROR: return CLI_EXIT_USAGE;
        case R_STORAGE: o.storage = v; break;
        case R_DATA: o.data_dir = v; break;
        case R_ONLY: o.only = v; break;
        case R_REPORT_DIR: o.report_dir = v; break;
        case R_JOBS: bad = cli_parse_int(&cp, "--jobs", v, 1, 1024, &o.jobs); break;
        case R_TRIALS: bad = cli_parse_int(&cp, "--trials", v, 1, 1000000, &o.trials); break;
        case R_REPEAT: bad = cli_parse_int(&cp, "--repeat", v, 1, OL_EXP_MAX_STUDIES, &o.repeats); break;
        case R_REPETITION: bad = cli_parse_int(&cp, "--repetition", v, 0, 1000000, &o.repetition); break;
        case R_NO_REPORT: o.no_report = 1; break;
        case R_QUIET: o.quiet = 1; break;
        case R_HEARTBEAT: bad = cli_parse_double(&cp, "--heartbeat", v, 0.1, 3600, &heartbeat); break;
        case R_GRACE: bad = cli_parse_double(&cp, "--grace", v, 0.2, 86400, &grace); break;
        case R_TIMEOUT: bad = cli_parse_double(&cp, "--timeout", v, 0.001, 1e9, &timeout); break;
        }
        if (bad) return CLI_EXIT_USAGE;
    }
    if (cli_operand_count(&cp) > 1)
        return cli_usage_error(&cp, "one experiment file at a time ('%s' and '%s')", cli_operands(&cp)[0],
                               cli_operands(&cp)[1]);
    if (cli_operand_count(&cp) == 1) o.file = cli_operands(&cp)[0];
    if (grace < 2 * heartbeat)
        return cli_usage_error(&cp, "--grace %g must be at least twice --heartbeat %g, or live trials would be failed", grace,
                               heartbeat);
    int default_file = !o.file;
    if (!o.file) o.file = cli_data_path(DEFAULT_EXPERIMENT);

    /* 1. the experiment file */
    static ol_experiment exp;
    ol_error err;
    struct stat sb;
    if (stat(o.file, &sb) != 0) {
        if (default_file)
            return cli_error("no experiment file given and %s is not here (%s); run from the optlab source "
                             "directory or name a file: optlab run FILE.ini",
                             o.file, strerror(errno));
        return cli_error("experiment file %s: %s", o.file, strerror(errno));
    }
    if (ol_experiment_load(&exp, o.file, &err)) return cli_error("%s", err.msg);

    static ol_exp_runner rc;
    ol_exp_runner_init(&rc, &exp, o.storage, o.trials);
    rc.heartbeat_seconds = heartbeat; /* and once per epoch, as always */
    rc.grace_seconds = grace;
    if (ol_exp_add_studies(&rc, o.repetition, o.repeats, o.only, &err) < 0) {
        ol_experiment_free(&exp);
        return cli_error("%s", err.msg);
    }
    int rcode = 1;
    ol_storage *st = NULL;
    pid_t *pids = NULL;
    static run_view views[OL_EXP_MAX_STUDIES];
    for (int i = 0; i < OL_EXP_MAX_STUDIES; i++) views[i].printed_best = NAN;
    if (rc.n_studies == 0) {
        const ol_optim_info *info = ol_optim_find(o.only);
        cli_error("--only %s: %s", o.only,
                  info ? "the experiment has no section for it" : "unknown optimizer (`optlab optimizers` lists them)");
        goto out;
    }

    /* 2. the data, before anything is stored */
    if (ol_exp_load_splits(&rc, o.data_dir, &err)) {
        cli_error("%s", err.msg);
        goto out;
    }

    /* 3. the storage: check every existing study before creating any */
    if (ol_storage_open(&st, o.storage, &err)) {
        cli_error("%s", err.msg);
        goto out;
    }
    int n_failed[OL_EXP_MAX_STUDIES] = {0};
    if (ol_exp_prepare(&rc, st, OL_EXP_CREATE, n_failed, &err)) {
        cli_error("%s", err.msg);
        goto out;
    }
    for (int i = 0; i < rc.n_studies; i++)
        if (n_failed[i] > 0 && !o.quiet)
            fprintf(stderr, "optlab: %s: %d trial%s left RUNNING by a stopped run marked FAIL; their slots run again\n",
                    rc.studies[i].name, n_failed[i], n_failed[i] == 1 ? "" : "s");

    /* 4. workers */
    int tty = isatty(STDOUT_FILENO);
    if (!o.quiet) {
        printf("optlab run %s: %d stud%s x %d trials, %d worker%s, storage %s\n", exp.path, rc.n_studies,
               rc.n_studies == 1 ? "y" : "ies", rc.trials, o.jobs, o.jobs == 1 ? "" : "s", o.storage);
        fflush(stdout);
    }
    double started = ol_now();
    double started_wall = (double)time(NULL);
    if (timeout > 0) rc.deadline = started + timeout; /* the workers, forked below, inherit it */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_parent_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    fflush(NULL);
    pids = calloc((size_t)o.jobs, sizeof *pids);
    if (!pids) {
        cli_error("out of memory");
        goto out;
    }
    for (int j = 0; j < o.jobs; j++) {
        pid_t pid = spawn_worker(&rc, st);
        if (pid < 0) {
            cli_error("cannot start worker %d: %s", j + 1, strerror(errno));
            break;
        }
        pids[j] = pid;
    }

    /* 5. watch */
    int running = 0;
    for (int j = 0; j < o.jobs; j++) running += pids[j] > 0;
    int worker_errors = 0, drawn = 0, finished_in_run = 0, forwarded = 0;
    /* workers killed by a signal (OOM killer, kill -9) are replaced, a few times */
    int respawns_left = 2 * o.jobs + 2;
    double last_dead_check = ol_now();
    while (running > 0) {
        for (int j = 0; j < o.jobs; j++) {
            if (pids[j] <= 0) continue;
            int status;
            pid_t w = waitpid(pids[j], &status, WNOHANG);
            if (w == pids[j]) {
                pids[j] = 0;
                running--;
                if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0) && !g_parent_signal) {
                    if (WIFSIGNALED(status)) {
                        cli_error("worker %ld was killed by signal %d", (long)w, WTERMSIG(status));
                        /* its trial: FAIL now (its PID is gone), so the slot is run again */
                        fail_dead(&rc, st);
                        if (respawns_left > 0) {
                            pid_t np = spawn_worker(&rc, st);
                            if (np > 0) {
                                respawns_left--;
                                pids[j] = np;
                                running++;
                                if (!o.quiet)
                                    fprintf(stderr, "optlab: its running trial is marked FAIL; worker %ld takes its place\n",
                                            (long)np);
                                continue;
                            }
                        }
                    }
                    worker_errors++;
                }
            }
        }
        if (g_parent_signal && !forwarded) {
            forwarded = 1;
            for (int j = 0; j < o.jobs; j++)
                if (pids[j] > 0) kill(pids[j], SIGTERM);
        }
        if (!o.quiet) {
            if (run_poll_progress(&rc, views, st, tty, o.quiet, started_wall, &finished_in_run, &err) == 0) {
                if (tty) {
                    run_draw_bars(&rc, views, drawn, started, finished_in_run);
                    drawn = 1;
                }
            }
        }
        if (ol_now() - last_dead_check > 10) {
            /* workers of this run that died (OOM killer...) leave RUNNING trials behind */
            fail_dead(&rc, st);
            last_dead_check = ol_now();
        }
        if (running > 0) usleep(500000);
    }
    if (!o.quiet && run_poll_progress(&rc, views, st, tty, o.quiet, started_wall, &finished_in_run, &err) == 0 && tty)
        run_draw_bars(&rc, views, drawn, started, finished_in_run);
    double wall = ol_now() - started;

    if (g_parent_signal) {
        cli_error("interrupted (signal %d): complete trials are stored; run the same command again to resume",
                  (int)g_parent_signal);
        rcode = 128 + (int)g_parent_signal;
        goto out;
    }
    if (worker_errors) {
        cli_error("%d worker%s failed (see above); run the same command again to resume", worker_errors,
                  worker_errors == 1 ? "" : "s");
        goto out;
    }

    if (rc.deadline > 0 && ol_now() >= rc.deadline) {
        int full = 0;
        /* with --quiet the views were never polled: once now, printing nothing */
        if (o.quiet) run_poll_progress(&rc, views, st, 0, 1, started_wall, &finished_in_run, &err);
        for (int i = 0; i < rc.n_studies; i++) full += views[i].finished;
        if (full < rc.n_studies)
            printf("optlab run: --timeout %g s reached after %.0f s: no trial was started after it and the running "
                   "ones finished; %d of %d studies are complete. Run the same command again to resume.\n",
                   timeout, wall, full, rc.n_studies);
    }

    /* 6. results */
    run_print_table(&rc, st, wall);
    rcode = 0;
    if (!o.no_report) {
        ol_report_options ro;
        memset(&ro, 0, sizeof ro);
        ro.out_dir = o.report_dir;
        ro.experiment = exp.name;
        ro.baseline = exp.baseline[0] ? exp.baseline : NULL;
        ol_report_summary sum;
        memset(&sum, 0, sizeof sum);
        ol_status wr = ol_report_write(st, &ro, &sum, &err);
        if (wr == OL_ENOTFOUND && ro.baseline) { /* its baseline not run into this storage (yet): report alone */
            printf("note: the baseline experiment '%s' is not in %s yet (%s); the report has no comparison\n",
                   ro.baseline, o.storage, err.msg);
            ro.baseline = NULL;
            wr = ol_report_write(st, &ro, &sum, &err);
        }
        if (wr) {
            cli_error("the studies are complete in %s, but the report failed: %s (retry: optlab report)", o.storage,
                      err.msg);
            rcode = 1;
        } else {
            printf("report: %s (%d figures)\n", sum.readme_path, sum.n_figures);
        }
    }
out:
    free(pids);
    ol_exp_runner_free(&rc);
    ol_storage_close(st);
    ol_experiment_free(&exp);
    return rcode;
}
