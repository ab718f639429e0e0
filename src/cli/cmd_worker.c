/*
 * cmd_worker.c — `optlab worker --storage URL --experiment FILE [--study NAME]`:
 * one worker process that joins an experiment's studies in a shared storage
 * (PostgreSQL, for workers on several machines) and runs trials until every
 * study it works on has its N complete trials.
 *
 * It is `optlab run`'s worker loop (ol_exp_worker_run, optlab/experiment.h)
 * without the forking parent: start as many as you like, anywhere, at any time. What
 * makes that safe lives in the storage (docs/scaling.md): trial numbers are
 * issued atomically under the study's budget; a heartbeat thread keeps this
 * worker's running trial alive every --heartbeat seconds; any worker that
 * sees a RUNNING trial whose heartbeat is older than --grace seconds (or
 * whose worker was on this host and is gone) marks it FAIL, which frees its
 * slot for another draw. A worker whose study is full but not finished waits
 * for the running trials of others, so a slot freed by a dead worker is run.
 *
 * Studies missing from the storage are created; two workers creating the
 * same study at the same moment is expected, and the loser finds the
 * winner's study.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "options.h"
#include "optlab/experiment.h"
#include "run.h"

#define DEFAULT_HEARTBEAT 5.0
#define DEFAULT_GRACE 30.0

static void worker_usage(FILE *out) {
    fputs("usage: optlab worker EXPERIMENT_FILE --storage URL [--study-name NAME] [--data DIR] [--trials N]\n"
          "                     [--repetition K] [--heartbeat SECONDS] [--grace SECONDS] [--host NAME] [--timeout SECONDS]\n"
          "                     [--quiet]\n\n"
          "Join an experiment's studies in a shared storage and run trials until each has its N complete\n"
          "trials. Start one per core on as many machines as you like, all with the same experiment file\n"
          "and storage (docs/scaling.md); each trial's number is issued once, by the storage.\n\n"
          "  --storage URL        postgresql://USER@HOST:PORT/DB (several machines), or sqlite:///FILE.db\n"
          "                       (one machine)\n"
          "  EXPERIMENT_FILE      the experiment file (docs/experiments.md); its studies are EXPERIMENT/OPTIMIZER\n"
          "                       (old spelling: --experiment FILE, still accepted)\n"
          "  --study-name NAME    work on this study only (e.g. seed/adamw; alias --study); default: every study\n"
          "                       of the file,\n"
          "                       in file order, all workers on the first until it is done\n"
          "  --data DIR           where datasets live (default $OPTLAB_DATA, else ./data)\n"
          "  --trials N           trials per study instead of the file's (use the same N on every worker)\n"
          "  --repetition K       repetition K: studies EXPERIMENT#rK/OPTIMIZER (as optlab run --repetition)\n"
          "  --heartbeat SECONDS  refresh the running trial's heartbeat this often (default 5)\n"
          "  --grace SECONDS      fail RUNNING trials whose heartbeat is older than this (default 30;\n"
          "                       at least 2 x --heartbeat; use the same value on every worker)\n"
          "  --host NAME          this machine's name in the trials' optlab:worker attribute (default: the\n"
          "                       hostname). A trial whose worker names this host and a PID that no longer\n"
          "                       runs optlab is failed at once; give containers that share a hostname but\n"
          "                       not a PID namespace distinct names\n"
          "  --timeout SECONDS    start no trial after this many seconds (Optuna's timeout): the running one\n"
          "                       finishes and is stored, then the worker exits with status 0\n"
          "  --quiet              no line per finished trial\n\n"
          "Stops with status 0 when its studies are done; SIGINT/SIGTERM stop it after the current epoch\n"
          "(the trial is marked FAIL, exit 128+signal).\n",
          out);
}

enum { W_STORAGE, W_FILE, W_STUDY, W_DATA, W_HOST, W_TRIALS, W_REPETITION, W_HEARTBEAT, W_GRACE, W_QUIET, W_TIMEOUT };

int cmd_worker(int argc, char **argv) {
    /* --experiment FILE is the old name of the operand: report --experiment names an experiment */
    static const cli_option opts[] = {{"storage", 1, W_STORAGE},       {"experiment-file", 1, W_FILE},
                                      {"experiment", 1, W_FILE},       {"study-name", 1, W_STUDY},
                                      {"study", 1, W_STUDY},           {"data", 1, W_DATA},
                                      {"host", 1, W_HOST},             {"trials", 1, W_TRIALS},
                                      {"repetition", 1, W_REPETITION}, {"heartbeat", 1, W_HEARTBEAT},
                                      {"grace", 1, W_GRACE},           {"quiet", 0, W_QUIET},
                                      {"timeout", 1, W_TIMEOUT},       {NULL, 0, 0}};
    struct {
        const char *file, *storage, *data_dir;
        int trials, repetition;
    } o = {0};
    const char *study_name = NULL, *host = NULL, *v;
    double heartbeat = DEFAULT_HEARTBEAT, grace = DEFAULT_GRACE, timeout = 0;
    int quiet = 0;
    cli_parser cp;
    cli_begin(&cp, "worker", argc, argv, opts);
    for (int c; (c = cli_next(&cp, &v)) != CLI_OPT_END;) {
        int bad = 0;
        switch (c) {
        case CLI_OPT_HELP: worker_usage(stdout); return 0;
        case CLI_OPT_ERROR: return CLI_EXIT_USAGE;
        case W_STORAGE: o.storage = v; break;
        case W_FILE: o.file = v; break;
        case W_STUDY: study_name = v; break;
        case W_DATA: o.data_dir = v; break;
        case W_HOST: host = v; break;
        case W_TRIALS: bad = cli_parse_int(&cp, "--trials", v, 1, 1000000, &o.trials); break;
        case W_REPETITION: bad = cli_parse_int(&cp, "--repetition", v, 0, 1000000, &o.repetition); break;
        case W_HEARTBEAT: bad = cli_parse_double(&cp, "--heartbeat", v, 0.1, 3600, &heartbeat); break;
        case W_GRACE: bad = cli_parse_double(&cp, "--grace", v, 0.2, 86400, &grace); break;
        case W_QUIET: quiet = 1; break;
        case W_TIMEOUT: bad = cli_parse_double(&cp, "--timeout", v, 0.001, 1e9, &timeout); break;
        }
        if (bad) return CLI_EXIT_USAGE;
    }
    if (cli_operand_count(&cp) > 1 || (cli_operand_count(&cp) == 1 && o.file))
        return cli_usage_error(&cp, "one experiment file at a time ('%s')", cli_operands(&cp)[0]);
    if (cli_operand_count(&cp) == 1) o.file = cli_operands(&cp)[0];
    if (!o.storage) return cli_usage_error(&cp, "--storage URL is required (e.g. postgresql://optlab@db-host:5432/optlab)");
    if (!o.file) return cli_usage_error(&cp, "an experiment file is required (e.g. optlab worker experiments/seed.ini --storage URL)");
    if (grace < 2 * heartbeat)
        return cli_usage_error(&cp, "--grace %g must be at least twice --heartbeat %g, or live trials would be failed", grace,
                               heartbeat);
    ol_error err;
    if (host && (!*host || strchr(host, ':') || strchr(host, '"') || strchr(host, '\\')))
        return cli_usage_error(&cp, "--host '%s': expected a non-empty name without ':', quotes or backslashes", host);

    /* 1. the experiment and its studies */
    static ol_experiment exp;
    struct stat sb;
    if (stat(o.file, &sb) != 0) return cli_error("experiment file %s: %s", o.file, strerror(errno));
    if (ol_experiment_load(&exp, o.file, &err)) return cli_error("%s", err.msg);
    static ol_exp_runner rc;
    ol_exp_runner_init(&rc, &exp, o.storage, o.trials);
    rc.grace_seconds = grace;
    rc.heartbeat_seconds = heartbeat;
    if (!quiet) {
        rc.on_event = run_print_event;
        rc.user = &rc;
    }
    if (host) snprintf(rc.host, sizeof rc.host, "%s", host);
    char names[2048] = "";
    size_t nl = 0;
    for (int i = 0; i < exp.n_optimizers; i++) {
        const ol_exp_optimizer *eo = &exp.optimizers[i];
        ol_exp_study *s = &rc.studies[rc.n_studies];
        ol_exp_study_identity(&exp, eo, o.repetition, s);
        if (nl < sizeof names - 300) nl += (size_t)snprintf(names + nl, sizeof names - nl, "%s%s", i ? ", " : "", s->name);
        if (study_name && strcmp(study_name, s->name)) continue;
        rc.n_studies++;
    }
    int rcode = 1;
    ol_storage *st = NULL;
    if (rc.n_studies == 0) {
        cli_error("--study %s: %s has no such study (its studies: %s)", study_name, o.file, names);
        rcode = 2;
        goto out;
    }

    /* 2. the data (same splits on every worker: they derive from the experiment's seed) */
    if (ol_exp_load_splits(&rc, o.data_dir, &err)) {
        cli_error("%s", err.msg);
        goto out;
    }

    /* 3. the studies: found, or created by whichever worker comes first */
    if (ol_storage_open(&st, o.storage, &err) || ol_exp_prepare(&rc, st, OL_EXP_CREATE_RACING, NULL, &err)) {
        cli_error("%s", err.msg);
        goto out;
    }
    if (!quiet) {
        printf("optlab worker %s:%ld: %s, %d stud%s x %d trials, storage %s, heartbeat %g s, grace %g s\n", rc.host,
               (long)getpid(), exp.path, rc.n_studies, rc.n_studies == 1 ? "y" : "ies", rc.trials, ol_storage_url(st),
               heartbeat, grace);
        fflush(stdout);
    }
    ol_storage_close(st);
    st = NULL;

    /* 4. work (--timeout counts from here: the data and the storage are ready) */
    if (timeout > 0) rc.deadline = ol_now() + timeout;
    run_worker_signals(&rc);
    ol_status ws = ol_exp_worker_run(&rc, &err);
    if (ws && ws != OL_ESTOPPED) cli_error("worker %ld: %s", (long)getpid(), err.msg);
    rcode = ws == OL_OK ? 0 : ws == OL_ESTOPPED ? 128 + (int)rc.stop : 1;
    if (rcode == 0 && !quiet)
        printf("optlab worker %s:%ld: %s\n", rc.host, (long)getpid(),
               rc.deadline > 0 && ol_now() >= rc.deadline ? "--timeout reached, no trial started after it; stopping"
                                                          : "done");
out:
    ol_exp_runner_free(&rc);
    ol_storage_close(st);
    ol_experiment_free(&exp);
    return rcode;
}
