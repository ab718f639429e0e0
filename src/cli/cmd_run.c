/*
 * cmd_run.c — `optlab run [EXPERIMENT]`: the whole pipeline of DESIGN.md.
 *
 *   experiment file ─► one study per [optimizer] section, in one storage
 *                      ─► N worker processes: ask ─► train ─► tell, until full
 *                      ─► the seed's results table ─► the report (report/)
 *
 * Order matters for "nothing stored before it lost": the experiment file,
 * the options and the data are all checked before the storage is opened,
 * and existing studies are checked against the file before anything is
 * written.
 *
 * Workers are forked processes, each with its own storage connection and a
 * single BLAS thread; the storage enforces each study's budget atomically
 * (COMPLETE + PRUNED + RUNNING trials), so any number of workers — also of
 * other `optlab run` processes on other machines sharing a PostgreSQL
 * storage — never exceed it. The parent only watches: it polls the storage
 * for progress and marks dead workers' trials FAIL.
 *
 * Resume: a trial left RUNNING by a process that died is marked FAIL — at
 * once if its optlab:worker attribute names this host and a PID that no
 * longer runs optlab, otherwise once its heartbeat is older than
 * STALE_SECONDS — and its slot is then asked again, since FAIL does not
 * count against the budget. COMPLETE trials are never touched.
 *
 * A worker killed by a signal while the run goes on (OOM killer, kill -9) is
 * reaped by the parent, its trial failed at once and a new worker forked in
 * its place. The worker loop itself (run_worker_main, run.h) is shared with
 * `optlab worker` (cmd_worker.c), which runs it on other machines.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
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
#include "diagnostics.h"
#include "experiment.h"
#include "optlab/data.h"
#include "optlab/hpo.h"
#include "optlab/nn.h"
#include "optlab/optim.h"
#include "optlab/report.h"
#include "optlab/storage.h"
#include "optlab/train.h"
#include "run.h"

/* OpenBLAS's own call (cblas.h declares it too): one BLAS thread per worker. */
void openblas_set_num_threads(int num_threads);

/* A RUNNING trial whose heartbeat is older than this is taken as dead. An
 * epoch of the seed CNN takes about a second; heartbeats come every epoch. */
#define STALE_SECONDS 60.0
#define DEFAULT_EXPERIMENT "experiments/seed.ini"
#define DEFAULT_STORAGE "sqlite:///optlab.db"

/* ---- options (run_options: run.h) ---- */

static void run_usage(FILE *out) {
    fputs("usage: optlab run [EXPERIMENT_FILE] [--storage URL] [--jobs N] [--data DIR] [--trials N]\n"
          "                  [--only OPTIMIZER] [--repeat R] [--repetition K] [--no-report] [--report-dir DIR]\n\n"
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
          "  --quiet           no progress display\n\n"
          "Progress: on a terminal a bar per study (trials k/N, best so far, ETA); otherwise one line\n"
          "per finished trial. Ctrl-C stops the workers; their running trials are marked FAIL.\n",
          out);
}

static int parse_int_opt(const char *name, const char *v, int lo, int hi, int *out) {
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (!*v || *end || errno || x < lo || x > hi) {
        cli_error("%s %s: expected a whole number from %d to %d", name, v, lo, hi);
        return 0;
    }
    *out = (int)x;
    return 1;
}

/* run_study, run_ctx: run.h */

/* ---- JSON text helpers ---- */

static void json_string(char *buf, size_t n, const char *s) {
    cJSON *j = cJSON_CreateString(s);
    char *t = j ? cJSON_PrintUnformatted(j) : NULL;
    snprintf(buf, n, "%s", t ? t : "\"\"");
    free(t);
    cJSON_Delete(j);
}

static void json_number(char *buf, size_t n, double v) {
    if (!isfinite(v)) snprintf(buf, n, "null");
    else ol_format_pyfloat(buf, n, v);
}

/* ---- dead workers ---- */

/* Does PID still run an optlab process? (A PID reused by another program counts as dead.) */
static int optlab_pid_alive(long pid) {
    if (pid <= 0) return 0;
    if (kill((pid_t)pid, 0) == -1 && errno == ESRCH) return 0;
    char path[64], comm[64] = "";
    snprintf(path, sizeof path, "/proc/%ld/comm", pid);
    FILE *f = fopen(path, "r");
    if (!f) return 1; /* no /proc: trust kill() */
    if (!fgets(comm, sizeof comm, f)) comm[0] = '\0';
    fclose(f);
    if (strncmp(comm, "optlab", 6)) return 0; /* the PID now runs another program */
    /* a zombie (exited, not yet reaped) still shows its name */
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    f = fopen(path, "r");
    if (!f) return 0;
    char stat[256] = "";
    if (!fgets(stat, sizeof stat, f)) stat[0] = '\0';
    fclose(f);
    const char *close = strrchr(stat, ')');
    if (close && (close[2] == 'Z' || close[2] == 'X')) return 0;
    return 1;
}

/*
 * Mark FAIL the study's RUNNING trials whose worker was on this host and is
 * gone, and those whose heartbeat is stale. Returns the number failed, or -1
 * with err set.
 */
static int fail_dead_trials(ol_storage *st, const char *host, int64_t study_id, double grace_seconds,
                            ol_error *err) {
    ol_trial_rec *trials = NULL;
    size_t n = 0;
    if (ol_storage_get_trials(st, study_id, &trials, &n, err)) return -1;
    int failed = 0;
    size_t hl = strlen(host);
    for (size_t i = 0; i < n; i++) {
        if (trials[i].state != OL_TRIAL_RUNNING) continue;
        const char *w = ol_attr_find(trials[i].system_attrs, trials[i].n_system_attrs, "optlab:worker");
        if (!w) continue;
        /* w is a JSON string: "HOST:PID" */
        if (w[0] != '"' || strncmp(w + 1, host, hl) || w[1 + hl] != ':') continue;
        long pid = strtol(w + 2 + hl, NULL, 10);
        if (optlab_pid_alive(pid)) continue;
        ol_error e2;
        ol_status s = ol_storage_finish_trial(st, trials[i].trial_id, OL_TRIAL_FAIL, NULL, &e2);
        if (s == OL_OK) failed++;
        else if (s != OL_ESTATE) {
            *err = e2;
            ol_trials_free(trials, n);
            return -1;
        }
    }
    ol_trials_free(trials, n);
    int stale = 0;
    if (ol_storage_fail_stale(st, study_id, grace_seconds, &stale, err)) return -1;
    return failed + stale;
}

/* ---- the worker: ask, train, tell ---- */

static volatile sig_atomic_t g_stop;
static volatile time_t g_stop_time;

/* Ctrl-C reaches a worker twice (the terminal's SIGINT to the process group,
 * then the parent's SIGTERM): the first asks to stop after the epoch; only a
 * signal 2 s later (Ctrl-C pressed again) leaves at once, the trial then
 * being marked FAIL by the next run's dead-PID check. */
static void on_worker_signal(int sig) {
    time_t now = time(NULL);
    if (g_stop && now - g_stop_time >= 2) _exit(128 + sig);
    if (!g_stop) {
        g_stop = sig;
        g_stop_time = now;
    }
}

void run_worker_signals(void) {
    struct sigaction ws;
    memset(&ws, 0, sizeof ws);
    ws.sa_handler = on_worker_signal;
    sigaction(SIGINT, &ws, NULL);
    sigaction(SIGTERM, &ws, NULL);
}

/*
 * The heartbeat thread (rc->heartbeat_seconds > 0): refreshes the running
 * trial's heartbeat every interval on its own storage connection, so a trial
 * is kept alive however long one epoch (or the final test evaluation) takes,
 * and a grace period of a few intervals can be short. If the trial is no
 * longer RUNNING (another worker judged it stale and failed it), `lost` tells
 * the training loop to give it up at the next epoch.
 */
typedef struct {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    ol_storage *st;
    double interval;
    int64_t trial_id; /* 0: none */
    int lost;
    int quit;
    int started;
} heartbeat_thread;

static void *heartbeat_loop(void *arg) {
    heartbeat_thread *h = arg;
    pthread_mutex_lock(&h->mu);
    while (!h->quit) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        double end = (double)until.tv_sec + until.tv_nsec * 1e-9 + h->interval;
        until.tv_sec = (time_t)end;
        until.tv_nsec = (long)((end - (double)until.tv_sec) * 1e9);
        while (!h->quit && pthread_cond_timedwait(&h->cv, &h->mu, &until) != ETIMEDOUT) {}
        if (h->quit) break;
        int64_t tid = h->trial_id;
        if (!tid) continue;
        pthread_mutex_unlock(&h->mu);
        ol_error e;
        ol_status s = ol_storage_heartbeat(h->st, tid, &e);
        pthread_mutex_lock(&h->mu);
        /* a trial finished meanwhile by its own worker is not lost */
        if (s == OL_ESTATE && h->trial_id == tid) h->lost = 1;
    }
    pthread_mutex_unlock(&h->mu);
    return NULL;
}

static ol_status heartbeat_start(heartbeat_thread *h, const char *url, double interval, ol_error *err) {
    memset(h, 0, sizeof *h);
    /* memory: is private to its connection: another one would not see the trials */
    if (interval <= 0 || !strncmp(url, "memory:", 7)) return OL_OK;
    ol_status s = ol_storage_open(&h->st, url, err);
    if (s) return ol_error_prefix(err, "heartbeat connection");
    h->interval = interval;
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->cv, NULL);
    if (pthread_create(&h->thread, NULL, heartbeat_loop, h)) {
        ol_storage_close(h->st);
        h->st = NULL;
        return ol_fail(err, OL_EIO, "cannot start the heartbeat thread");
    }
    h->started = 1;
    return OL_OK;
}

static void heartbeat_stop(heartbeat_thread *h) {
    if (!h->started) return;
    pthread_mutex_lock(&h->mu);
    h->quit = 1;
    pthread_cond_signal(&h->cv);
    pthread_mutex_unlock(&h->mu);
    pthread_join(h->thread, NULL);
    pthread_mutex_destroy(&h->mu);
    pthread_cond_destroy(&h->cv);
    ol_storage_close(h->st);
    h->started = 0;
}

/* The trial the thread keeps alive (0: none). */
static void heartbeat_set(heartbeat_thread *h, int64_t trial_id) {
    if (!h->started) return;
    pthread_mutex_lock(&h->mu);
    h->trial_id = trial_id;
    h->lost = 0;
    pthread_mutex_unlock(&h->mu);
}

static int heartbeat_lost(heartbeat_thread *h) {
    if (!h->started) return 0;
    pthread_mutex_lock(&h->mu);
    int lost = h->lost;
    pthread_mutex_unlock(&h->mu);
    return lost;
}

/* The worker's heartbeat thread (one per worker process). */
static heartbeat_thread g_heartbeat;

typedef struct {
    ol_storage *st;
    ol_trial *trial;
    int64_t trial_id;
    ol_error err;
    int storage_failed;
    int pruned;     /* the study's pruner stopped the trial */
    run_diag *diag; /* per-layer statistics after the first epochs (may be NULL) */
} epoch_ctx;

static int on_epoch(void *user, int epoch, double train_loss, double valid_epoch_acc) {
    (void)train_loss;
    epoch_ctx *c = user;
    if (heartbeat_lost(&g_heartbeat)) {
        ol_fail(&c->err, OL_ESTATE, "trial is no longer RUNNING (failed as stale by another worker)");
        c->storage_failed = 1;
        return 1;
    }
    if (ol_trial_report(c->trial, epoch - 1, valid_epoch_acc, &c->err) ||
        (!g_heartbeat.started && ol_storage_heartbeat(c->st, c->trial_id, &c->err))) {
        c->storage_failed = 1;
        return 1;
    }
    diag_after_epoch(c->diag, epoch - 1);
    /* the pruner (experiment key `pruner`) judges the valid-epoch accuracy just reported */
    int prune = 0;
    if (ol_trial_should_prune(c->trial, &prune, &c->err)) {
        c->storage_failed = 1;
        return 1;
    }
    if (prune) {
        c->pruned = 1;
        return 1;
    }
    return g_stop != 0;
}

/* Best COMPLETE value of a study (-inf if none). */
static ol_status study_best(ol_storage *st, int64_t study_id, double *best, ol_error *err) {
    ol_trial_rec *trials = NULL;
    size_t n = 0;
    ol_status s = ol_storage_get_trials(st, study_id, &trials, &n, err);
    if (s) return s;
    *best = -INFINITY;
    for (size_t i = 0; i < n; i++)
        if (trials[i].state == OL_TRIAL_COMPLETE && trials[i].has_value && trials[i].value > *best)
            *best = trials[i].value;
    ol_trials_free(trials, n);
    return OL_OK;
}

/* Set the trial's parameters on the optimizer: fixed ones as they are, the others suggested. */
static ol_status apply_params(ol_trial *t, const exp_optimizer *o, ol_optimizer *opt, ol_error *err) {
    for (int i = 0; i < o->n_hparams; i++) {
        const exp_hparam *h = &o->hparams[i];
        double v = h->fixed;
        ol_status s = OL_OK;
        if (h->kind == EXP_FLOAT) {
            s = ol_trial_suggest_float(t, h->name, h->low, h->high, h->log, 0, &v, err);
        } else if (h->kind == EXP_INT) {
            int64_t iv = 0;
            s = ol_trial_suggest_int(t, h->name, (int64_t)h->low, (int64_t)h->high, h->log, 1, &iv, err);
            v = (double)iv;
        } else if (h->kind == EXP_CHOICE) {
            char text[EXP_MAX_CHOICES][32];
            char *json[EXP_MAX_CHOICES];
            for (int k = 0; k < h->n_choices; k++) {
                json_number(text[k], sizeof text[k], h->choices[k]);
                json[k] = text[k];
            }
            ol_distribution d = {.kind = OL_DIST_CATEGORICAL, .n_choices = (size_t)h->n_choices, .choices_json = json};
            double idx = 0;
            s = ol_trial_suggest(t, h->name, &d, &idx, err);
            if (s == OL_OK) v = h->choices[(int)idx];
        }
        if (s) return s;
        if ((s = ol_optimizer_set(opt, h->name, v, err))) return s;
    }
    return OL_OK;
}

static void set_attr(ol_storage *st, int64_t tid, const char *key, const char *json, int *failed, ol_error *err) {
    if (*failed) return;
    if (ol_storage_set_trial_attr(st, tid, key, json, err)) *failed = 1;
}

/*
 * One trial of study s: returns OL_OK when told (or the trial was taken
 * away), OL_ESTOPPED when the study is full, another status on error.
 */
static ol_status run_one_trial(run_ctx *rc, ol_storage *st, ol_study *study, const run_study *s, ol_model *model,
                               ol_error *err) {
    const experiment *e = rc->exp;
    ol_trial *t = NULL;
    ol_status as = ol_study_ask(study, &t, err);
    if (as) return as;
    int number = ol_trial_number(t);
    int64_t tid = ol_trial_id(t);
    heartbeat_set(&g_heartbeat, tid);
    char buf[512];
    char who[300];
    snprintf(who, sizeof who, "%s:%ld", rc->host, (long)getpid());
    json_string(buf, sizeof buf, who);
    ol_optimizer *opt = NULL;
    ol_train_result res;
    memset(&res, 0, sizeof res);
    ol_status st_ = ol_storage_set_trial_system_attr(st, tid, "optlab:worker", buf, err);
    if (!st_) st_ = ol_optimizer_create(&opt, s->opt->name, err);
    if (!st_) st_ = apply_params(t, s->opt, opt, err);
    if (st_) {
        ol_error e2;
        ol_study_tell(study, t, OL_TRIAL_FAIL, NAN, &e2);
        ol_optimizer_free(opt);
        return ol_error_prefix(err, "%s trial %d", s->name, number);
    }

    ol_train_config cfg;
    ol_train_config_default(&cfg);
    cfg.batch_size = e->batch_size;
    cfg.patience = e->patience;
    cfg.max_epochs = e->max_epochs;
    cfg.loss = strcmp(s->opt->loss, "logits") ? OL_LOSS_SEED : OL_LOSS_LOGITS;
    /* Trial k of every optimizer starts from the same weights and batch
     * order: the comparison between optimizers is then paired. */
    snprintf(buf, sizeof buf, "trial/%d", number);
    cfg.seed = ol_seed_derive(s->seed, buf);
    epoch_ctx ec = {.st = st, .trial = t, .trial_id = tid,
                    .diag = diag_new(model, &rc->splits.train, cfg.loss, cfg.batch_size)};
    cfg.on_epoch = on_epoch;
    cfg.user = &ec;
    ol_status tr = ol_train_run(model, opt, &rc->splits.train, &rc->splits.valid_epoch, &rc->splits.valid_trial, &cfg,
                                &res, err);
    ol_optimizer_free(opt);
    char *diagnostics = diag_json(ec.diag);
    diag_free(ec.diag);
    if (tr) {
        ol_error e2;
        ol_study_tell(study, t, OL_TRIAL_FAIL, NAN, &e2);
        ol_train_result_free(&res);
        free(diagnostics);
        return ol_error_prefix(err, "%s trial %d", s->name, number);
    }
    if (ec.storage_failed) {
        free(diagnostics);
        *err = ec.err;
        ol_error e2;
        ol_study_tell(study, t, OL_TRIAL_FAIL, NAN, &e2);
        ol_train_result_free(&res);
        /* someone else marked it FAIL (stale): not an error of ours */
        if (err->status == OL_ESTATE) return OL_OK;
        return ol_error_prefix(err, "%s trial %d", s->name, number);
    }

    /* What the trial is: see docs/storage-conventions.md and docs/run.md. */
    const char *status = "ok";
    ol_trial_state state = OL_TRIAL_COMPLETE;
    double value = res.valid_trial_acc;
    if (res.status == OL_RUN_STOPPED && ec.pruned) {
        state = OL_TRIAL_PRUNED; /* counts against the budget; its intermediate values stay */
        status = "pruned";
    } else if (res.status == OL_RUN_STOPPED) {
        state = OL_TRIAL_FAIL;
        status = "interrupted";
    } else if (res.status == OL_RUN_DIVERGED) {
        status = "diverged";
        if (res.epochs_run == 0 || !isfinite(value)) state = OL_TRIAL_FAIL;
    } else if (res.never_learned) {
        status = "never_learned";
    }
    if (state == OL_TRIAL_COMPLETE && !isfinite(value)) state = OL_TRIAL_FAIL;

    int failed = 0;
    if (state == OL_TRIAL_COMPLETE) {
        /* Test accuracy only for a trial that is the study's best so far:
         * the test set scores the final best, nothing else. >= so that the
         * final best always has it, whatever order workers finish in. */
        double best;
        if (study_best(st, s->id, &best, err)) failed = 1;
        else if (value >= best) {
            double test_acc;
            if (ol_evaluate_accuracy(model, &rc->splits.test, &test_acc, err)) failed = 1;
            json_number(buf, sizeof buf, test_acc);
            set_attr(st, tid, "test_accuracy", buf, &failed, err);
        }
    }
    snprintf(buf, sizeof buf, "%d", res.best_epoch > 0 ? res.best_epoch - 1 : -1);
    set_attr(st, tid, "best_epoch", buf, &failed, err);
    snprintf(buf, sizeof buf, "%d", res.epochs_run);
    set_attr(st, tid, "epochs", buf, &failed, err);
    snprintf(buf, sizeof buf, "%.3f", res.seconds);
    set_attr(st, tid, "seconds", buf, &failed, err);
    json_string(buf, sizeof buf, status);
    set_attr(st, tid, "status", buf, &failed, err);
    size_t cap = 16 + (size_t)res.epochs_run * 28;
    char *losses = malloc(cap);
    if (losses) {
        size_t len = 0;
        losses[len++] = '[';
        for (int i = 0; i < res.epochs_run; i++) {
            char num[32];
            json_number(num, sizeof num, res.train_loss[i]);
            len += (size_t)snprintf(losses + len, cap - len, "%s%s", i ? ", " : "", num);
        }
        snprintf(losses + len, cap - len, "]");
        set_attr(st, tid, "train_loss", losses, &failed, err);
        free(losses);
    }
    if (diagnostics) set_attr(st, tid, "diagnostics", diagnostics, &failed, err);
    free(diagnostics);
    int epochs = res.epochs_run;
    double seconds = res.seconds;
    ol_train_result_free(&res);
    if (failed) {
        ol_error e2;
        ol_study_tell(study, t, OL_TRIAL_FAIL, NAN, &e2);
        if (err->status == OL_ESTATE) return OL_OK;
        return ol_error_prefix(err, "%s trial %d", s->name, number);
    }
    ol_status ts = ol_study_tell(study, t, state, value, err);
    if (ts == OL_ESTATE) { /* marked FAIL meanwhile (stale): its slot is run again */
        if (rc->log_trials) printf("%s: trial %d was failed as stale by another worker\n", s->name, number);
        return OL_OK;
    }
    if (ts) return ol_error_prefix(err, "%s trial %d", s->name, number);
    if (rc->log_trials) {
        char v[32] = "-";
        if (state == OL_TRIAL_COMPLETE) snprintf(v, sizeof v, "%.4f", value);
        printf("%s: trial %d %s %s (%d epochs, %.1f s, %s)\n", s->name, number, ol_trial_state_name(state), v, epochs,
               seconds, status);
        fflush(stdout);
    }
    return g_stop ? OL_ESTOPPED : OL_OK;
}

/*
 * Is the study finished (COMPLETE + PRUNED >= budget)? Returns 1 if so, 0 if
 * some of its slots are held by RUNNING trials (of other workers), -1 on error.
 */
static int study_done(ol_storage *st, int64_t study_id, int budget, int *running, ol_error *err) {
    ol_trial_rec *trials = NULL;
    size_t n = 0;
    if (ol_storage_get_trials(st, study_id, &trials, &n, err)) return -1;
    int done = 0;
    *running = 0;
    for (size_t i = 0; i < n; i++) {
        if (trials[i].state == OL_TRIAL_COMPLETE || trials[i].state == OL_TRIAL_PRUNED) done++;
        else if (trials[i].state == OL_TRIAL_RUNNING) (*running)++;
    }
    ol_trials_free(trials, n);
    return done >= budget;
}

/* Sleep about `seconds`, waking early when asked to stop. */
static void nap(double seconds) {
    for (double slept = 0; slept < seconds && !g_stop; slept += 0.1) usleep(100000);
}

/* A worker process: every study in turn until each is full. Returns the exit status. */
int run_worker_main(run_ctx *rc) {
    openblas_set_num_threads(1);
    const experiment *e = rc->exp;
    ol_error err;
    ol_storage *st = NULL;
    ol_model *model = NULL;
    ol_sampler *sampler = NULL;
    ol_pruner *pruner = NULL;
    int code = 1;
    if (!strcmp(e->pruner, "median")) {
        ol_median_pruner_options po = {.n_startup_trials = e->pruner_startup, .n_warmup_steps = e->pruner_warmup,
                                       .interval_steps = e->pruner_interval, .n_min_trials = 1};
        if (ol_pruner_median_new(&pruner, &po, &err)) {
            cli_error("worker %ld: %s", (long)getpid(), err.msg);
            return 1;
        }
    }
    if (ol_storage_open(&st, rc->opt->storage, &err) ||
        ol_model_create(&model, e->model, rc->splits.train.channels, rc->splits.train.height, rc->splits.train.width,
                        e->batch_size, &err) ||
        ol_sampler_new_by_name(&sampler, e->sampler, &err) ||
        heartbeat_start(&g_heartbeat, rc->opt->storage, rc->heartbeat_seconds, &err)) {
        cli_error("worker %ld: %s", (long)getpid(), err.msg);
        goto out;
    }
    /* how often a worker with nothing to do looks again whether a slot was freed */
    double poll = rc->heartbeat_seconds > 0 ? rc->heartbeat_seconds : 2.0;
    if (poll > rc->grace_seconds / 2) poll = rc->grace_seconds / 2;
    if (poll < 0.2) poll = 0.2;
    for (int i = 0; i < rc->n_studies && !g_stop; i++) {
        run_study *s = &rc->studies[i];
        ol_study *study = NULL;
        ol_study_options so = {.name = s->name, .maximize = 1, .seed = ol_seed_derive(s->seed, "sampler"),
                               .n_trials = rc->trials, .sampler = sampler, .pruner = pruner};
        if (ol_study_open(&study, st, &so, &err)) {
            cli_error("worker %ld: %s", (long)getpid(), err.msg);
            goto out;
        }
        int waiting = 0;
        for (;;) {
            if (g_stop) break;
            int n_failed = fail_dead_trials(st, rc->host, s->id, rc->grace_seconds, &err);
            if (n_failed < 0) {
                cli_error("worker %ld: %s", (long)getpid(), err.msg);
                ol_study_close(study);
                goto out;
            }
            if (n_failed > 0 && rc->log_trials)
                printf("%s: %d trial%s of dead workers (or heartbeat older than %g s) marked FAIL; slot%s run again\n",
                       s->name, n_failed, n_failed == 1 ? "" : "s", rc->grace_seconds, n_failed == 1 ? "" : "s");
            ol_status r = run_one_trial(rc, st, study, s, model, &err);
            heartbeat_set(&g_heartbeat, 0);
            if (r == OL_ESTOPPED) {
                if (g_stop) break;
                /* Full: finished, or slots held by RUNNING trials of others. Those
                 * may die; wait, so that their slots are run again. */
                int running = 0;
                int d = study_done(st, s->id, rc->trials, &running, &err);
                if (d < 0) {
                    cli_error("worker %ld: %s", (long)getpid(), err.msg);
                    ol_study_close(study);
                    goto out;
                }
                if (d) break;
                if (running > 0) {
                    if (!waiting && rc->log_trials) {
                        printf("%s: waiting for %d running trial%s of other workers\n", s->name, running,
                               running == 1 ? "" : "s");
                        fflush(stdout);
                    }
                    waiting = 1;
                    nap(poll);
                } else {
                    nap(0.2); /* a slot was freed just now: ask again */
                }
                continue;
            }
            waiting = 0;
            if (r) {
                cli_error("worker %ld: %s", (long)getpid(), err.msg);
                ol_study_close(study);
                goto out;
            }
        }
        ol_study_close(study);
    }
    code = g_stop ? 128 + (int)g_stop : 0;
out:
    heartbeat_stop(&g_heartbeat);
    ol_sampler_free(sampler);
    ol_pruner_free(pruner);
    ol_model_free(model);
    ol_storage_close(st);
    return code;
}

/* ---- the parent: progress ---- */

static volatile sig_atomic_t g_parent_signal;
static void on_parent_signal(int sig) { g_parent_signal = sig; }

static void fmt_duration(char *buf, size_t n, double s) {
    if (!isfinite(s) || s < 0) snprintf(buf, n, "?");
    else if (s < 60) snprintf(buf, n, "%.0fs", s);
    else if (s < 3600) snprintf(buf, n, "%dm%02ds", (int)s / 60, (int)s % 60);
    else snprintf(buf, n, "%dh%02dm", (int)s / 3600, ((int)s % 3600) / 60);
}

/* Read every unfinished study's trials; print plain lines for new ones if !tty. */
static int poll_progress(run_ctx *rc, ol_storage *st, int tty, int quiet, double started, int *finished_in_run,
                         ol_error *err) {
    for (int i = 0; i < rc->n_studies; i++) {
        run_study *s = &rc->studies[i];
        if (s->finished) continue;
        ol_trial_rec *trials = NULL;
        size_t n = 0;
        if (ol_storage_get_trials(st, s->id, &trials, &n, err)) return -1;
        s->done = s->complete = s->failed = s->running = 0;
        s->best = -INFINITY;
        s->best_number = -1;
        if ((int)n > s->seen_cap) {
            char *p = realloc(s->seen, n);
            if (!p) {
                ol_trials_free(trials, n);
                ol_fail(err, OL_ENOMEM, "out of memory");
                return -1;
            }
            memset(p + s->seen_cap, 0, n - (size_t)s->seen_cap);
            s->seen = p;
            s->seen_cap = (int)n;
        }
        for (size_t k = 0; k < n; k++) {
            const ol_trial_rec *t = &trials[k];
            if (t->state == OL_TRIAL_RUNNING) s->running++;
            else if (t->state == OL_TRIAL_FAIL) s->failed++;
            if (t->state == OL_TRIAL_COMPLETE || t->state == OL_TRIAL_PRUNED) s->done++;
            if (t->state == OL_TRIAL_COMPLETE) {
                s->complete++;
                if (t->has_value && t->value > s->best) {
                    s->best = t->value;
                    s->best_number = t->number;
                }
            }
        }
        for (size_t k = 0; k < n; k++) {
            const ol_trial_rec *t = &trials[k];
            if (t->state == OL_TRIAL_RUNNING || t->state == OL_TRIAL_WAITING || t->number < 0 ||
                t->number >= s->seen_cap || s->seen[t->number])
                continue;
            s->seen[t->number] = 1;
            if (t->datetime_complete >= started) (*finished_in_run)++;
            if (!tty && !quiet && t->datetime_complete >= started) {
                const char *epochs = ol_attr_find(t->user_attrs, t->n_user_attrs, "epochs");
                const char *secs = ol_attr_find(t->user_attrs, t->n_user_attrs, "seconds");
                const char *status = ol_attr_find(t->user_attrs, t->n_user_attrs, "status");
                char val[32] = "-", stat[32] = "-";
                if (status) snprintf(stat, sizeof stat, "%.*s", (int)strcspn(status + (*status == '"'), "\""),
                                     status + (*status == '"'));
                if (t->has_value) snprintf(val, sizeof val, "%.4f", t->value);
                printf("%s: %d/%d trial %d %s %s (%s epochs, %s s, %s), best %.4f\n", s->name, s->done, rc->trials,
                       t->number, ol_trial_state_name(t->state), val, epochs ? epochs : "-", secs ? secs : "-",
                       stat, isfinite(s->best) ? s->best : 0.0);
            }
        }
        fflush(stdout);
        ol_trials_free(trials, n);
        if (s->done >= rc->trials && s->running == 0) s->finished = 1;
    }
    return 0;
}

static void draw_bars(run_ctx *rc, int redraw, double started, int finished_in_run, int jobs) {
    if (redraw) printf("\033[%dA", rc->n_studies);
    double elapsed = ol_now() - started;
    double per_trial = finished_in_run > 0 ? elapsed / finished_in_run : NAN; /* wall seconds per trial, all workers */
    int remaining_before = 0;
    (void)jobs;
    for (int i = 0; i < rc->n_studies; i++) {
        run_study *s = &rc->studies[i];
        int width = 24, filled = rc->trials ? s->done * width / rc->trials : 0;
        char bar[64];
        for (int k = 0; k < width; k++) bar[k] = k < filled ? '#' : '-';
        bar[width] = '\0';
        char best[32] = "-", eta[32] = "";
        if (isfinite(s->best)) snprintf(best, sizeof best, "%.4f", s->best);
        int remaining = rc->trials - s->done;
        if (remaining < 0) remaining = 0;
        remaining_before += remaining;
        if (s->finished) snprintf(eta, sizeof eta, "done");
        else if (isfinite(per_trial)) {
            char d[16];
            fmt_duration(d, sizeof d, per_trial * remaining_before);
            snprintf(eta, sizeof eta, "ETA %s", d);
        }
        printf("\r\033[K%-24s [%s] %3d/%-3d best %s  %s%s\n", s->name, bar, s->done, rc->trials, best, eta,
               s->running ? "" : "");
    }
    fflush(stdout);
}

/* ---- the results table ---- */

static void print_table(run_ctx *rc, ol_storage *st, double wall) {
    printf("\n| optimizer | test accuracy | best valid-trial accuracy | best hyperparameters |\n"
           "|---|---|---|---|\n");
    for (int i = 0; i < rc->n_studies; i++) {
        run_study *s = &rc->studies[i];
        ol_trial_rec *trials = NULL;
        size_t n = 0;
        ol_error err;
        if (ol_storage_get_trials(st, s->id, &trials, &n, &err)) {
            printf("| %s | ? | ? | %s |\n", s->opt->label, err.msg);
            continue;
        }
        const ol_trial_rec *best = NULL;
        int n_complete = 0;
        for (size_t k = 0; k < n; k++) {
            if (trials[k].state != OL_TRIAL_COMPLETE || !trials[k].has_value) continue;
            n_complete++;
            if (!best || trials[k].value > best->value) best = &trials[k];
        }
        if (!best) {
            printf("| %s | - | - | no complete trial |\n", s->opt->label);
            ol_trials_free(trials, n);
            continue;
        }
        char test[32] = "-";
        const char *ta = ol_attr_find(best->user_attrs, best->n_user_attrs, "test_accuracy");
        if (ta) snprintf(test, sizeof test, "%.2f %%", 100 * strtod(ta, NULL));
        char hp[1024] = "";
        size_t len = 0;
        for (size_t k = 0; k < best->n_params && len < sizeof hp - 64; k++) {
            const ol_param_rec *p = &best->params[k];
            ol_distribution d;
            memset(&d, 0, sizeof d);
            char v[48];
            if (ol_distribution_from_json(&d, p->distribution_json, &err) == OL_OK) {
                if (d.kind == OL_DIST_CATEGORICAL && (size_t)p->value < d.n_choices)
                    snprintf(v, sizeof v, "%s", d.choices_json[(size_t)p->value]);
                else
                    ol_report_format_hparam(v, sizeof v, p->value, d.log, d.kind == OL_DIST_INT, d.low, d.high);
                ol_distribution_free(&d);
            } else {
                snprintf(v, sizeof v, "%g", p->value);
            }
            len += (size_t)snprintf(hp + len, sizeof hp - len, "%s%s = %s", k ? ", " : "", p->name, v);
        }
        for (int k = 0; k < s->opt->n_hparams && len < sizeof hp - 64; k++) {
            const exp_hparam *h = &s->opt->hparams[k];
            if (h->kind != EXP_FIXED) continue;
            len += (size_t)snprintf(hp + len, sizeof hp - len, "%s%s = %g (fixed)", len ? ", " : "", h->name, h->fixed);
        }
        printf("| %s | %s | %.2f %% | %s |\n", s->opt->label, test, 100 * best->value, hp[0] ? hp : "defaults");
        ol_trials_free(trials, n);
    }
    char d[32];
    fmt_duration(d, sizeof d, wall);
    printf("\nwall time %s (%.0f s)\n", d, wall);
}

/* ---- setting up studies ---- */

/* Check that an existing study was made by this experiment's section. */
int run_check_existing(ol_storage *st, run_study *s, const experiment *e, ol_error *err) {
    ol_attr_rec *attrs = NULL;
    size_t n = 0;
    if (ol_storage_get_study_attrs(st, s->id, &attrs, &n, err)) return 0;
    char want[128];
    json_string(want, sizeof want, s->opt->name);
    const char *o = ol_attr_find(attrs, n, "optlab:optimizer");
    const char *sd = ol_attr_find(attrs, n, "optlab:seed");
    const char *ds = ol_attr_find(attrs, n, "optlab:dataset");
    char dsw[128];
    json_string(dsw, sizeof dsw, e->dataset);
    int ok = 1;
    if (o && strcmp(o, want)) {
        ol_fail(err, OL_EINVAL, "study '%s' in the storage is for optimizer %s, not \"%s\"", s->name, o, s->opt->name);
        ok = 0;
    } else if (sd && strtoull(sd, NULL, 10) != s->seed) {
        ol_fail(err, OL_EINVAL,
                "study '%s' in the storage was run with seed %s, this run's is %llu: use another experiment name or "
                "storage to start afresh",
                s->name, sd, (unsigned long long)s->seed);
        ok = 0;
    } else if (ds && strcmp(ds, dsw)) {
        ol_fail(err, OL_EINVAL, "study '%s' in the storage is on dataset %s, this file says %s", s->name, ds, e->dataset);
        ok = 0;
    } else {
        const char *ls = ol_attr_find(attrs, n, "optlab:loss");
        char lsw[64];
        json_string(lsw, sizeof lsw, s->opt->loss);
        if (ls && strcmp(ls, lsw)) {
            ol_fail(err, OL_EINVAL, "study '%s' in the storage was trained with loss %s, this file says %s", s->name, ls,
                    s->opt->loss);
            ok = 0;
        }
    }
    ol_attrs_free(attrs, n);
    return ok;
}

ol_status run_write_study_attrs(ol_storage *st, const run_study *s, const run_ctx *rc, ol_error *err) {
    const experiment *e = rc->exp;
    char buf[2048];
    ol_status r;
#define ATTR(k, v)                                                         \
    do {                                                                   \
        if ((r = ol_storage_set_study_attr(st, s->id, k, v, err))) return r; \
    } while (0)
    json_string(buf, sizeof buf, e->name);
    ATTR("optlab:experiment", buf);
    json_string(buf, sizeof buf, s->opt->name);
    ATTR("optlab:optimizer", buf);
    json_string(buf, sizeof buf, s->opt->label);
    ATTR("optlab:label", buf);
    json_string(buf, sizeof buf, e->dataset);
    ATTR("optlab:dataset", buf);
    json_string(buf, sizeof buf, s->opt->loss);
    ATTR("optlab:loss", buf);
    snprintf(buf, sizeof buf, "%d", rc->trials);
    ATTR("optlab:n_trials", buf);
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)s->seed);
    ATTR("optlab:seed", buf);
    snprintf(buf, sizeof buf, "%d", s->repeat);
    ATTR("optlab:repeat", buf);
    snprintf(buf, sizeof buf, "%d", rc->splits.valid_trial.n);
    ATTR("optlab:n_valid_trial", buf);
    snprintf(buf, sizeof buf, "%d", rc->splits.test.n);
    ATTR("optlab:n_test", buf);
    size_t len = (size_t)snprintf(buf, sizeof buf, "{");
    int first = 1;
    for (int k = 0; k < s->opt->n_hparams; k++) {
        const exp_hparam *h = &s->opt->hparams[k];
        if (h->kind != EXP_FIXED) continue;
        char v[40];
        json_number(v, sizeof v, h->fixed);
        len += (size_t)snprintf(buf + len, sizeof buf - len, "%s\"%s\": %s", first ? "" : ", ", h->name, v);
        first = 0;
    }
    snprintf(buf + len, sizeof buf - len, "}");
    ATTR("optlab:fixed", buf);
    json_string(buf, sizeof buf, e->model);
    ATTR("optlab:model", buf);
#undef ATTR
    return OL_OK;
}

/* ---- the command ---- */

ol_status run_load_splits(run_ctx *rc, const char *data_dir, ol_error *err) {
    const experiment *e = rc->exp;
    ol_corpus corpus;
    memset(&corpus, 0, sizeof corpus);
    ol_status st = ol_corpus_load(&corpus, ol_data_dir(data_dir), e->dataset, err);
    if (st) return st;
    ol_split_sizes sizes = {e->train, e->valid_epoch, e->valid_trial,
                            e->test > 0 && e->test < corpus.test_n ? e->test : corpus.test_n};
    st = ol_splits_make(&rc->splits, &corpus, &sizes, e->seed, err);
    ol_corpus_free(&corpus);
    return st;
}

void run_study_identity(const experiment *e, const exp_optimizer *eo, int repeat, run_study *s) {
    s->opt = eo;
    s->repeat = repeat;
    s->seed = e->seed;
    if (repeat) {
        char r[32];
        snprintf(r, sizeof r, "repeat/%d", repeat);
        s->seed = ol_seed_derive(e->seed, r);
        snprintf(s->name, sizeof s->name, "%s#r%d/%s", e->name, repeat, eo->study);
    } else {
        snprintf(s->name, sizeof s->name, "%s/%s", e->name, eo->study);
    }
}

int run_add_studies(run_ctx *rc, int first, int count, const char *only, ol_error *err) {
    const experiment *e = rc->exp;
    const exp_optimizer *wanted = only ? experiment_find_optimizer(e, only) : NULL;
    int added = 0;
    for (int r = first; r < first + count; r++)
        for (int i = 0; i < e->n_optimizers; i++) {
            if (only && &e->optimizers[i] != wanted) continue;
            if (rc->n_studies >= RUN_MAX_STUDIES)
                return ol_fail(err, OL_EINVAL, "%d repetitions of %d studies exceed the %d studies one run handles",
                               count, only ? 1 : e->n_optimizers, RUN_MAX_STUDIES), -1;
            run_study_identity(e, &e->optimizers[i], r, &rc->studies[rc->n_studies++]);
            added++;
        }
    return added;
}

/* Fork one worker of `optlab run`; returns its pid, or -1 (errno set). */
static pid_t spawn_worker(run_ctx *rc, ol_storage *st) {
    pid_t parent = getpid();
    fflush(NULL);
    pid_t pid = fork();
    if (pid != 0) return pid;
    /* a worker dies with its parent (SIGKILL included): its trial stays
     * RUNNING and the next run marks it FAIL by its dead PID */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(1);
    run_worker_signals();
    ol_storage_close(st); /* the parent's connection is not the child's to use */
    int code = run_worker_main(rc);
    fflush(NULL);
    _exit(code);
}

int cmd_run(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        run_usage(stdout);
        return 0;
    }
    run_options o = {.storage = DEFAULT_STORAGE, .report_dir = "report", .repeats = 1};
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    o.jobs = cores > 0 ? (int)cores : 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has_next = i + 1 < argc;
#define NEED_VALUE()                                                               \
    do {                                                                           \
        if (!has_next) return cli_error("%s needs a value (see `optlab run --help`)", a); \
    } while (0)
        if (!strcmp(a, "--storage")) { NEED_VALUE(); o.storage = argv[++i]; }
        else if (!strcmp(a, "--data")) { NEED_VALUE(); o.data_dir = argv[++i]; }
        else if (!strcmp(a, "--only")) { NEED_VALUE(); o.only = argv[++i]; }
        else if (!strcmp(a, "--report-dir")) { NEED_VALUE(); o.report_dir = argv[++i]; }
        else if (!strcmp(a, "--jobs")) { NEED_VALUE(); if (!parse_int_opt(a, argv[++i], 1, 1024, &o.jobs)) return 2; }
        else if (!strcmp(a, "--trials")) { NEED_VALUE(); if (!parse_int_opt(a, argv[++i], 1, 1000000, &o.trials)) return 2; }
        else if (!strcmp(a, "--repeat")) { NEED_VALUE(); if (!parse_int_opt(a, argv[++i], 1, RUN_MAX_STUDIES, &o.repeats)) return 2; }
        else if (!strcmp(a, "--repetition")) { NEED_VALUE(); if (!parse_int_opt(a, argv[++i], 0, 1000000, &o.repetition)) return 2; }
        else if (!strcmp(a, "--no-report")) o.no_report = 1;
        else if (!strcmp(a, "--quiet")) o.quiet = 1;
        else if (a[0] == '-' && a[1]) { cli_error("unknown option '%s'", a); run_usage(stderr); return 2; }
        else if (!o.file) o.file = a;
        else return cli_error("one experiment file at a time ('%s' and '%s')", o.file, a);
#undef NEED_VALUE
    }
    int default_file = !o.file;
    if (!o.file) o.file = cli_data_path(DEFAULT_EXPERIMENT);

    /* 1. the experiment file */
    static experiment exp;
    ol_error err;
    struct stat sb;
    if (stat(o.file, &sb) != 0) {
        if (default_file)
            return cli_error("no experiment file given and %s is not here (%s); run from the optlab source "
                             "directory or name a file: optlab run FILE.ini",
                             o.file, strerror(errno));
        return cli_error("experiment file %s: %s", o.file, strerror(errno));
    }
    if (experiment_load(&exp, o.file, &err)) return cli_error("%s", err.msg);

    static run_ctx rc;
    memset(&rc, 0, sizeof rc);
    rc.exp = &exp;
    rc.opt = &o;
    rc.trials = o.trials ? o.trials : exp.trials;
    rc.grace_seconds = STALE_SECONDS;
    rc.heartbeat_seconds = 0; /* once per epoch */
    if (gethostname(rc.host, sizeof rc.host - 1)) snprintf(rc.host, sizeof rc.host, "localhost");
    if (run_add_studies(&rc, o.repetition, o.repeats, o.only, &err) < 0) {
        experiment_free(&exp);
        return cli_error("%s", err.msg);
    }
    int rcode = 1;
    ol_storage *st = NULL;
    pid_t *pids = NULL;
    if (rc.n_studies == 0) {
        const ol_optim_info *info = ol_optim_find(o.only);
        cli_error("--only %s: %s", o.only,
                  info ? "the experiment has no section for it" : "unknown optimizer (`optlab optimizers` lists them)");
        goto out;
    }

    /* 2. the data, before anything is stored */
    if (run_load_splits(&rc, o.data_dir, &err)) {
        cli_error("%s", err.msg);
        goto out;
    }

    /* 3. the storage: check every existing study before creating any */
    if (ol_storage_open(&st, o.storage, &err)) {
        cli_error("%s", err.msg);
        goto out;
    }
    int created[RUN_MAX_STUDIES] = {0};
    for (int i = 0; i < rc.n_studies; i++) {
        run_study *s = &rc.studies[i];
        int maximize;
        ol_status fs = ol_storage_find_study(st, s->name, &s->id, &maximize, &err);
        if (fs == OL_ENOTFOUND) {
            created[i] = 1;
            continue;
        }
        if (fs) {
            cli_error("%s", err.msg);
            goto out;
        }
        if (!maximize) {
            cli_error("study '%s' in %s minimizes; optlab run maximizes accuracy", s->name, o.storage);
            goto out;
        }
        if (!run_check_existing(st, s, &exp, &err)) {
            cli_error("%s", err.msg);
            goto out;
        }
    }
    for (int i = 0; i < rc.n_studies; i++) {
        run_study *s = &rc.studies[i];
        if (created[i]) {
            ol_status cs = ol_storage_create_study(st, s->name, 1, &s->id, &err);
            if (cs == OL_EINVAL) cs = ol_storage_find_study(st, s->name, &s->id, &(int){0}, &err); /* a concurrent run made it */
            if (cs) {
                cli_error("%s", err.msg);
                goto out;
            }
        }
        if (run_write_study_attrs(st, s, &rc, &err)) {
            cli_error("%s", err.msg);
            goto out;
        }
        int n_failed = fail_dead_trials(st, rc.host, s->id, rc.grace_seconds, &err);
        if (n_failed < 0) {
            cli_error("%s", err.msg);
            goto out;
        }
        if (n_failed > 0 && !o.quiet)
            fprintf(stderr, "optlab: %s: %d trial%s left RUNNING by a stopped run marked FAIL; their slots run again\n",
                    s->name, n_failed, n_failed == 1 ? "" : "s");
    }

    /* 4. workers */
    openblas_set_num_threads(1);
    int tty = isatty(STDOUT_FILENO);
    if (!o.quiet) {
        printf("optlab run %s: %d stud%s x %d trials, %d worker%s, storage %s\n", exp.path, rc.n_studies,
               rc.n_studies == 1 ? "y" : "ies", rc.trials, o.jobs, o.jobs == 1 ? "" : "s", o.storage);
        fflush(stdout);
    }
    double started = ol_now();
    double started_wall = (double)time(NULL);
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
                        for (int i = 0; i < rc.n_studies; i++)
                            fail_dead_trials(st, rc.host, rc.studies[i].id, rc.grace_seconds, &err);
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
            if (poll_progress(&rc, st, tty, o.quiet, started_wall, &finished_in_run, &err) == 0) {
                if (tty) {
                    draw_bars(&rc, drawn, started, finished_in_run, o.jobs);
                    drawn = 1;
                }
            }
        }
        if (ol_now() - last_dead_check > 10) {
            /* workers of this run that died (OOM killer...) leave RUNNING trials behind */
            for (int i = 0; i < rc.n_studies; i++) fail_dead_trials(st, rc.host, rc.studies[i].id, rc.grace_seconds, &err);
            last_dead_check = ol_now();
        }
        if (running > 0) usleep(500000);
    }
    if (!o.quiet && poll_progress(&rc, st, tty, o.quiet, started_wall, &finished_in_run, &err) == 0 && tty)
        draw_bars(&rc, drawn, started, finished_in_run, o.jobs);
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

    /* 6. results */
    print_table(&rc, st, wall);
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
    for (int i = 0; i < rc.n_studies; i++) free(rc.studies[i].seen);
    ol_splits_free(&rc.splits);
    ol_storage_close(st);
    experiment_free(&exp);
    return rcode;
}
