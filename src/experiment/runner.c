/*
 * runner.c — an experiment's studies and the worker loop that fills them
 * (optlab/experiment.h): naming and seeding studies and repetitions, making
 * them ready in a storage (checked against the file, attributes written),
 * failing the trials of dead workers, and the loop fail stale ─► ask ─►
 * train ─► tell with its heartbeat thread.
 *
 * The storage enforces each study's budget atomically (COMPLETE + PRUNED +
 * RUNNING trials), so any number of worker loops — in forked processes of
 * `optlab run`, in `optlab worker` processes on other machines, in other
 * programs — never exceed it. A trial left RUNNING by a process that died is
 * marked FAIL — at once if its optlab:worker attribute names this host and a
 * PID that no longer runs optlab, otherwise once its heartbeat is older than
 * the grace period — and its slot is asked again, since FAIL does not count
 * against the budget. COMPLETE trials are never touched.
 *
 * Nothing here prints: the loop reports through the runner's on_event
 * callback, and stops when the runner's `stop` flag is set.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "experiment_internal.h"
#include "optlab/train.h"

/* OpenBLAS's own call (cblas.h declares it too): one BLAS thread per worker. */
void openblas_set_num_threads(int num_threads);

/* A RUNNING trial whose heartbeat is older than this is taken as dead (optlab run's
 * default). An epoch of the seed CNN takes about a second; heartbeats come every epoch. */
#define DEFAULT_GRACE_SECONDS 60.0

void ol_exp_runner_init(ol_exp_runner *r, const ol_experiment *exp, const char *storage_url, int trials) {
    memset(r, 0, sizeof *r);
    r->exp = exp;
    r->storage_url = storage_url;
    r->trials = trials > 0 ? trials : exp->trials;
    r->grace_seconds = DEFAULT_GRACE_SECONDS;
    if (gethostname(r->host, sizeof r->host - 1)) snprintf(r->host, sizeof r->host, "localhost");
}

void ol_exp_runner_free(ol_exp_runner *r) { ol_splits_free(&r->splits); }

/* ---- studies and repetitions ---- */

void ol_exp_study_identity(const ol_experiment *e, const ol_exp_optimizer *eo, int repeat, ol_exp_study *s) {
    s->opt = eo;
    s->repeat = repeat;
    s->seed = e->seed;
    if (repeat) {
        char r[32];
        snprintf(r, sizeof r, "repeat/%d", repeat);
        s->seed = ol_seed_derive(e->seed, r);
    }
    ol_study_name_make(s->name, sizeof s->name, e->name, repeat, eo->study);
}

int ol_exp_add_studies(ol_exp_runner *r, int first, int count, const char *only, ol_error *err) {
    const ol_experiment *e = r->exp;
    const ol_exp_optimizer *wanted = only ? ol_experiment_find_optimizer(e, only) : NULL;
    int added = 0;
    for (int rep = first; rep < first + count; rep++)
        for (int i = 0; i < e->n_optimizers; i++) {
            if (only && &e->optimizers[i] != wanted) continue;
            if (r->n_studies >= OL_EXP_MAX_STUDIES)
                return ol_fail(err, OL_EINVAL, "%d repetitions of %d studies exceed the %d studies one run handles",
                               count, only ? 1 : e->n_optimizers, OL_EXP_MAX_STUDIES), -1;
            ol_exp_study_identity(e, &e->optimizers[i], rep, &r->studies[r->n_studies++]);
            added++;
        }
    return added;
}

ol_status ol_exp_load_splits(ol_exp_runner *r, const char *data_dir, ol_error *err) {
    const ol_experiment *e = r->exp;
    ol_corpus corpus;
    memset(&corpus, 0, sizeof corpus);
    ol_status st = ol_corpus_load(&corpus, ol_data_dir(data_dir), ol_exp_dataset_name(e->dataset), err);
    if (st) return st;
    ol_split_sizes sizes = {e->train, e->valid_epoch, e->valid_trial,
                            e->test > 0 && e->test < corpus.test_n ? e->test : corpus.test_n};
    ol_splits_free(&r->splits);
    st = ol_splits_make(&r->splits, &corpus, &sizes, e->seed, err);
    ol_corpus_free(&corpus);
    return st;
}

/* ---- study attributes ---- */

/* A stored JSON string attribute equal to `want`? */
static int json_string_is(const char *stored, const char *want) {
    exp_text t = {0};
    exp_text_json_string(&t, want);
    int same = exp_text_str(&t) && !strcmp(stored, exp_text_str(&t));
    exp_text_free(&t);
    return same;
}

ol_status ol_exp_check_existing(ol_storage *st, const ol_exp_study *s, const ol_experiment *e, ol_error *err) {
    ol_attr_rec *attrs = NULL;
    size_t n = 0;
    ol_status rc = ol_storage_get_study_attrs(st, s->id, &attrs, &n, err);
    if (rc) return rc;
    const char *o = ol_attr_find(attrs, n, OL_ATTR_OPTIMIZER);
    const char *sd = ol_attr_find(attrs, n, OL_ATTR_SEED);
    const char *ds = ol_attr_find(attrs, n, OL_ATTR_DATASET);
    const char *ls = ol_attr_find(attrs, n, OL_ATTR_LOSS);
    const char *in = ol_attr_find(attrs, n, OL_ATTR_INIT);
    const char *ss = ol_attr_find(attrs, n, OL_ATTR_SAMPLER_STREAM);
    const char *rs = ol_attr_find(attrs, n, OL_ATTR_REEVAL_SEEDS);
    const char *sc = ol_attr_find(attrs, n, OL_ATTR_SCHEDULE);
    char sched[1024];
    ol_exp_schedule_text(s->opt, sched, sizeof sched);
    const char *dataset = ol_exp_dataset_name(e->dataset);
    int seeds = e->reevaluate_top + e->reevaluate_median > 0 ? e->reevaluate_seeds : 0;
    if (o && !json_string_is(o, s->opt->name))
        rc = ol_fail(err, OL_EINVAL, "study '%s' in the storage is for optimizer %s, not \"%s\"", s->name, o,
                     s->opt->name);
    else if (sd && strtoull(sd, NULL, 10) != s->seed)
        rc = ol_fail(err, OL_EINVAL,
                     "study '%s' in the storage was run with seed %s, this run's is %llu: use another experiment name "
                     "or storage to start afresh",
                     s->name, sd, (unsigned long long)s->seed);
    else if (ds && !json_string_is(ds, dataset))
        rc = ol_fail(err, OL_EINVAL, "study '%s' in the storage is on dataset %s, this file says %s", s->name, ds,
                     dataset);
    /* the reference loss was stored as "seed" before it had its name: both mean it */
    else if (ls && ol_loss_name_is_reference(ls) != (s->opt->loss == OL_LOSS_SEED))
        rc = ol_fail(err, OL_EINVAL, "study '%s' in the storage was trained with loss %s, this file says %s", s->name,
                     ls, ol_exp_loss_name(s->opt->loss));
    /* studies stored before these settings existed were paired, with a shared sampler stream */
    else if (!json_string_is(in ? in : "\"paired\"", ol_exp_init_name(e->init)))
        rc = ol_fail(err, OL_EINVAL, "study '%s' in the storage was run with init = %s, this file says init = %s",
                     s->name, in ? in : "paired", ol_exp_init_name(e->init));
    else if (!json_string_is(ss ? ss : "\"shared\"", ol_exp_stream_name(e->sampler_stream)))
        rc = ol_fail(err, OL_EINVAL,
                     "study '%s' in the storage was run with sampler_stream = %s, this file says sampler_stream = %s",
                     s->name, ss ? ss : "shared", ol_exp_stream_name(e->sampler_stream));
    /* more seeds may be added to a re-evaluation (or one started); other seeds would mix two stages */
    else if (rs && atoi(rs) > 0 && seeds > 0 && atoi(rs) != seeds)
        rc = ol_fail(err, OL_EINVAL,
                     "study '%s' in the storage was re-evaluated with reevaluate_seeds = %s, this file says %d",
                     s->name, rs, seeds);
    /* a study trained at a constant rate, or under another schedule, does not take trials of this one */
    else if (sc ? !json_string_is(sc, sched) : sched[0] != '\0')
        rc = ol_fail(err, OL_EINVAL, "study '%s' in the storage was trained with schedule %s, this file says %s%s%s",
                     s->name, sc ? sc : "none (constant learning rate)", sched[0] ? "\"" : "",
                     sched[0] ? sched : "none", sched[0] ? "\"" : "");
    ol_attrs_free(attrs, n);
    return rc;
}

ol_status ol_exp_write_study_attrs(ol_storage *st, const ol_exp_study *s, const ol_exp_runner *r, ol_error *err) {
    const ol_experiment *e = r->exp;
    exp_text v = {0};
    ol_status rc = OL_OK;
#define ATTR(key, fill)                                                                            \
    do {                                                                                           \
        v.len = 0;                                                                                 \
        fill;                                                                                      \
        if (!exp_text_str(&v)) rc = ol_fail(err, OL_ENOMEM, "out of memory writing %s", key);     \
        else rc = ol_storage_set_study_attr(st, s->id, key, exp_text_str(&v), err);                \
        if (rc) goto out;                                                                          \
    } while (0)
    ATTR(OL_ATTR_EXPERIMENT, exp_text_json_string(&v, e->name));
    ATTR(OL_ATTR_OPTIMIZER, exp_text_json_string(&v, s->opt->name));
    ATTR(OL_ATTR_LABEL, exp_text_json_string(&v, s->opt->label));
    ATTR(OL_ATTR_DATASET, exp_text_json_string(&v, ol_exp_dataset_name(e->dataset)));
    ATTR(OL_ATTR_LOSS, exp_text_json_string(&v, ol_exp_loss_name(s->opt->loss)));
    ATTR(OL_ATTR_N_TRIALS, exp_text_printf(&v, "%d", r->trials));
    ATTR(OL_ATTR_SEED, exp_text_printf(&v, "%llu", (unsigned long long)s->seed));
    ATTR(OL_ATTR_SAMPLER, exp_text_json_string(&v, ol_exp_sampler_name(e->sampler)));
    if (e->sampler_kwargs) ATTR(OL_ATTR_SAMPLER_KWARGS, exp_text_json_string(&v, e->sampler_kwargs));
    ATTR(OL_ATTR_REPEAT, exp_text_printf(&v, "%d", s->repeat));
    ATTR(OL_ATTR_N_VALID_TRIAL, exp_text_printf(&v, "%d", r->splits.valid_trial.n));
    ATTR(OL_ATTR_N_TEST, exp_text_printf(&v, "%d", r->splits.test.n));
    ATTR(OL_ATTR_FIXED, {
        exp_text_printf(&v, "{");
        int first = 1;
        for (int k = 0; k < s->opt->n_params; k++) {
            const ol_exp_param *h = &s->opt->params[k];
            if (!h->spec.fixed) continue;
            exp_text_printf(&v, "%s", first ? "" : ", ");
            exp_text_json_string(&v, h->name);
            exp_text_printf(&v, ": ");
            exp_text_json_number(&v, h->spec.value);
            first = 0;
        }
        exp_text_printf(&v, "}");
    });
    ATTR(OL_ATTR_MODEL, exp_text_json_string(&v, e->model));
    ATTR(OL_ATTR_INIT, exp_text_json_string(&v, ol_exp_init_name(e->init)));
    ATTR(OL_ATTR_SAMPLER_STREAM, exp_text_json_string(&v, ol_exp_stream_name(e->sampler_stream)));
    ATTR(OL_ATTR_REEVAL_SEEDS,
         exp_text_printf(&v, "%d", e->reevaluate_top + e->reevaluate_median > 0 ? e->reevaluate_seeds : 0));
    ATTR(OL_ATTR_REEVAL_CONFIGS, exp_text_printf(&v, "%d", e->reevaluate_top + e->reevaluate_median));
    if (s->opt->schedule[0]) {
        char sched[1024];
        ol_exp_schedule_text(s->opt, sched, sizeof sched);
        ATTR(OL_ATTR_SCHEDULE, exp_text_json_string(&v, sched));
    }
#undef ATTR
out:
    exp_text_free(&v);
    return rc;
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
    /* the PID now runs another program; a library user's program counts as ours when it is this one */
    char self[64] = "";
    FILE *g = fopen("/proc/self/comm", "r");
    if (g) {
        if (!fgets(self, sizeof self, g)) self[0] = '\0';
        fclose(g);
    }
    if (strncmp(comm, "optlab", 6) && strcmp(comm, self)) return 0;
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

int ol_exp_fail_dead_trials(const ol_exp_runner *r, ol_storage *st, int64_t study_id, ol_error *err) {
    ol_trial_rec *trials = NULL;
    size_t n = 0;
    if (ol_storage_get_trials(st, study_id, &trials, &n, err)) return -1;
    int failed = 0;
    size_t hl = strlen(r->host);
    for (size_t i = 0; i < n; i++) {
        if (trials[i].state != OL_TRIAL_RUNNING) continue;
        const char *w = ol_attr_find(trials[i].system_attrs, trials[i].n_system_attrs, OL_ATTR_WORKER);
        if (!w) continue;
        /* w is a JSON string: "HOST:PID" */
        if (w[0] != '"' || strncmp(w + 1, r->host, hl) || w[1 + hl] != ':') continue;
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
    if (ol_storage_fail_stale(st, study_id, r->grace_seconds, &stale, err)) return -1;
    return failed + stale;
}

/* ---- making studies ready ---- */

/* Every study's searched space against the sampler's warm start (cmaes source_study), before any trial:
 * a source that does not fit is named with the optimizer section. */
static ol_status exp_check_sampler_spaces(const ol_exp_runner *r, const ol_sampler *sampler, ol_error *err) {
    for (int i = 0; i < r->n_studies; i++) {
        const ol_exp_optimizer *o = r->studies[i].opt;
        const char *names[OL_EXP_MAX_PARAMS];
        ol_distribution dists[OL_EXP_MAX_PARAMS];
        size_t n = 0;
        for (int k = 0; k < o->n_params && n < OL_EXP_MAX_PARAMS; k++) {
            if (o->params[k].spec.fixed) continue;
            names[n] = o->params[k].name;
            dists[n++] = o->params[k].spec.dist; /* a shallow copy, only read */
        }
        ol_status rc = ol_sampler_cmaes_check_space(sampler, names, dists, n, err);
        if (rc) return ol_error_prefix(err, "[optimizer %s] (line %d)", o->study, o->line);
    }
    return OL_OK;
}

ol_status ol_exp_prepare(ol_exp_runner *r, ol_storage *st, ol_exp_create_mode mode, int *n_failed, ol_error *err) {
    int created[OL_EXP_MAX_STUDIES] = {0};
    ol_status rc;
    /* the sampler's source studies (cmaes source_study) exist and fit every section, before anything is made */
    ol_sampler *sampler = NULL;
    rc = ol_sampler_new_in_storage(&sampler, ol_exp_sampler_name(r->exp->sampler), r->exp->sampler_kwargs, st, err);
    if (!rc) rc = exp_check_sampler_spaces(r, sampler, err);
    ol_sampler_free(sampler);
    if (rc) return rc;
    /* OL_EXP_CREATE: every existing study is checked before any is created, so a wrong file stores nothing */
    for (int i = 0; i < r->n_studies; i++) {
        ol_exp_study *s = &r->studies[i];
        int maximize = 1;
        rc = ol_storage_find_study(st, s->name, &s->id, &maximize, err);
        if (rc == OL_ENOTFOUND && mode == OL_EXP_CREATE_RACING) {
            rc = ol_storage_create_study(st, s->name, 1, &s->id, err);
            if (rc == OL_OK) created[i] = 1;
            else if (rc == OL_EINVAL) rc = ol_storage_find_study(st, s->name, &s->id, &maximize, err); /* lost the race */
            if (rc) return rc;
        } else if (rc == OL_ENOTFOUND) {
            created[i] = 2; /* to create below */
            continue;
        } else if (rc) {
            return rc;
        }
        if (!maximize)
            return ol_fail(err, OL_EINVAL, "study '%s' in %s minimizes; optlab experiments maximize accuracy", s->name,
                           ol_storage_url(st));
        if (created[i] != 1 && (rc = ol_exp_check_existing(st, s, r->exp, err))) return rc;
    }
    for (int i = 0; i < r->n_studies; i++) {
        ol_exp_study *s = &r->studies[i];
        if (created[i] == 2) {
            rc = ol_storage_create_study(st, s->name, 1, &s->id, err);
            if (rc == OL_EINVAL) rc = ol_storage_find_study(st, s->name, &s->id, &(int){0}, err); /* a concurrent run made it */
            if (rc) return rc;
        }
        if ((rc = ol_exp_write_study_attrs(st, s, r, err))) return rc;
        int failed = ol_exp_fail_dead_trials(r, st, s->id, err);
        if (failed < 0) return err->status;
        if (n_failed) n_failed[i] += failed;
    }
    return OL_OK;
}

void ol_exp_progress_count(const ol_trial_rec *trials, size_t n, ol_exp_progress *p) {
    memset(p, 0, sizeof *p);
    p->best = -INFINITY;
    p->best_number = -1;
    for (size_t k = 0; k < n; k++) {
        const ol_trial_rec *t = &trials[k];
        if (exp_is_reeval(t)) { /* the re-evaluation stage's, not the search's */
            p->reeval += t->state == OL_TRIAL_COMPLETE;
            continue;
        }
        if (t->state == OL_TRIAL_RUNNING) p->running++;
        else if (t->state == OL_TRIAL_FAIL) p->failed++;
        if (t->state == OL_TRIAL_COMPLETE || t->state == OL_TRIAL_PRUNED) p->done++;
        if (t->state == OL_TRIAL_COMPLETE) {
            p->complete++;
            if (t->has_value && t->value > p->best) {
                p->best = t->value;
                p->best_number = t->number;
            }
        }
    }
}

/* ---- the heartbeat thread ---- */

/*
 * With r->heartbeat_seconds > 0 a thread refreshes the running trial's
 * heartbeat every interval on its own storage connection, so a trial is kept
 * alive however long one epoch (or the final test evaluation) takes, and a
 * grace period of a few intervals can be short. If the trial is no longer
 * RUNNING (another worker judged it stale and failed it), `lost` tells the
 * training loop to give it up at the next epoch.
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

static ol_status heartbeat_start(ol_exp_runner *r, ol_error *err) {
    r->heartbeat_ = NULL;
    /* memory: is private to its connection: another one would not see the trials */
    if (r->heartbeat_seconds <= 0 || !strncmp(r->storage_url, "memory:", 7)) return OL_OK;
    heartbeat_thread *h = calloc(1, sizeof *h);
    if (!h) return ol_fail(err, OL_ENOMEM, "out of memory");
    if (ol_storage_open(&h->st, r->storage_url, err)) {
        free(h);
        return ol_error_prefix(err, "heartbeat connection");
    }
    h->interval = r->heartbeat_seconds;
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->cv, NULL);
    if (pthread_create(&h->thread, NULL, heartbeat_loop, h)) {
        ol_storage_close(h->st);
        pthread_mutex_destroy(&h->mu);
        pthread_cond_destroy(&h->cv);
        free(h);
        return ol_fail(err, OL_EIO, "cannot start the heartbeat thread");
    }
    r->heartbeat_ = h;
    return OL_OK;
}

static void heartbeat_stop(ol_exp_runner *r) {
    heartbeat_thread *h = r->heartbeat_;
    if (!h) return;
    pthread_mutex_lock(&h->mu);
    h->quit = 1;
    pthread_cond_signal(&h->cv);
    pthread_mutex_unlock(&h->mu);
    pthread_join(h->thread, NULL);
    pthread_mutex_destroy(&h->mu);
    pthread_cond_destroy(&h->cv);
    ol_storage_close(h->st);
    free(h);
    r->heartbeat_ = NULL;
}

void exp_heartbeat_set(ol_exp_runner *r, int64_t trial_id) {
    heartbeat_thread *h = r->heartbeat_;
    if (!h) return;
    pthread_mutex_lock(&h->mu);
    h->trial_id = trial_id;
    h->lost = 0;
    pthread_mutex_unlock(&h->mu);
}

int exp_heartbeat_lost(ol_exp_runner *r) {
    heartbeat_thread *h = r->heartbeat_;
    if (!h) return 0;
    pthread_mutex_lock(&h->mu);
    int lost = h->lost;
    pthread_mutex_unlock(&h->mu);
    return lost;
}

/* ---- the worker loop ---- */

void exp_emit(ol_exp_runner *r, ol_exp_event ev) {
    if (r->on_event) r->on_event(r->user, &ev);
}

/*
 * Is the study finished (COMPLETE + PRUNED >= budget)? Returns 1 if so, 0 if
 * some of its slots are held by RUNNING trials (of other workers), -1 on error.
 */
static int study_done(ol_storage *st, int64_t study_id, int budget, int *running, ol_error *err) {
    ol_trial_rec *trials = NULL;
    size_t n = 0;
    if (ol_storage_get_trials(st, study_id, &trials, &n, err)) return -1;
    ol_exp_progress p;
    ol_exp_progress_count(trials, n, &p);
    int n_reeval = 0;
    for (size_t i = 0; i < n; i++) n_reeval += exp_is_reeval(&trials[i]) && trials[i].state != OL_TRIAL_FAIL;
    ol_trials_free(trials, n);
    *running = p.running;
    /* the storage's budget counts every trial, re-evaluations too: a search cannot grow after its re-evaluation */
    if (p.done < budget && p.running == 0 && n_reeval > 0)
        return ol_fail(err, OL_EINVAL,
                       "has %d re-evaluation trials but only %d of its %d search trials: a study's trial budget "
                       "cannot grow after its re-evaluation (use another experiment name or storage)",
                       n_reeval, p.done, budget), -1;
    return p.done >= budget;
}

int exp_timed_out(const ol_exp_runner *r) { return r->deadline > 0 && ol_now() >= r->deadline; }

void exp_nap(const ol_exp_runner *r, double seconds) {
    for (double slept = 0; slept < seconds && !r->stop; slept += 0.1) usleep(100000);
}

/* One study until it is full (or the runner is stopped). */
static ol_status work_on_study(ol_exp_runner *r, ol_storage *st, ol_study *study, const ol_exp_study *s,
                               ol_model *model, double poll, ol_error *err) {
    int waiting = 0, fails_in_a_row = 0;
    while (!r->stop && !exp_timed_out(r)) {
        int n_failed = ol_exp_fail_dead_trials(r, st, s->id, err);
        if (n_failed < 0) return err->status;
        if (n_failed > 0) exp_emit(r, (ol_exp_event){.kind = OL_EXP_EVENT_STALE_FAILED, .study = s, .count = n_failed});
        ol_exp_trial_result res;
        ol_status rc = ol_exp_run_trial(r, st, study, s, model, &res, err);
        exp_heartbeat_set(r, 0);
        if ((rc == OL_OK || rc == OL_ESTOPPED) && res.number >= 0)
            exp_emit(r, res.lost ? (ol_exp_event){.kind = OL_EXP_EVENT_TRIAL_LOST, .study = s, .trial_number = res.number}
                             : (ol_exp_event){.kind = OL_EXP_EVENT_TRIAL_DONE, .study = s, .trial_number = res.number,
                                              .state = res.state, .value = res.value, .epochs = res.epochs,
                                              .seconds = res.seconds, .status = res.status});
        if (rc == OL_ESTOPPED) {
            if (r->stop) break;
            /* Full: finished, or slots held by RUNNING trials of others. Those
             * may die; wait, so that their slots are run again. */
            int running = 0;
            int d = study_done(st, s->id, r->trials, &running, err);
            if (d < 0) return ol_error_prefix(err, "study '%s'", s->name);
            if (d) break;
            if (running > 0) {
                if (!waiting) exp_emit(r, (ol_exp_event){.kind = OL_EXP_EVENT_WAITING, .study = s, .count = running});
                waiting = 1;
                exp_nap(r, poll);
            } else {
                exp_nap(r, 0.2); /* a slot was freed just now: ask again */
            }
            continue;
        }
        waiting = 0;
        if (rc) return rc;
        /* A FAIL does not count against the budget (as in Optuna), so a study whose every
           trial fails (learning_rate = 1e30: each one diverges) would never end. */
        fails_in_a_row = res.number >= 0 && !res.lost && res.state == OL_TRIAL_FAIL ? fails_in_a_row + 1 : 0;
        if (fails_in_a_row >= OL_EXP_MAX_FAILS_IN_A_ROW)
            return ol_fail(err, OL_EINVAL,
                           "study '%s': stopped after %d trials in a row failed (the last: %s); a failed trial "
                           "does not count against the budget, so this study would never end — check its "
                           "search space (docs/experiments.md, \"Failed trials\")",
                           s->name, fails_in_a_row, res.status ? res.status : "no status");
    }
    return OL_OK;
}

/* The sampler's notes (a GP ask that fell back to random, CMA-ES in one dimension) become SAMPLER_NOTE events of
 * the current study. */
typedef struct {
    ol_exp_runner *r;
    const ol_exp_study *study;
} sampler_note_ctx;

static void sampler_note(void *user, const char *msg) {
    sampler_note_ctx *c = user;
    if (!c->r->on_event || !c->study) return;
    ol_exp_event ev = {.kind = OL_EXP_EVENT_SAMPLER_NOTE, .study = c->study, .trial_number = -1, .message = msg};
    c->r->on_event(c->r->user, &ev);
}

ol_status ol_exp_worker_run(ol_exp_runner *r, ol_error *err) {
    openblas_set_num_threads(1);
    const ol_experiment *e = r->exp;
    ol_storage *st = NULL;
    ol_model *model = NULL;
    ol_sampler *sampler = NULL;
    ol_pruner *pruner = NULL;
    ol_status rc = OL_OK;
    if (e->pruner == OL_EXP_PRUNER_MEDIAN) {
        ol_median_pruner_options po = {.n_startup_trials = e->pruner_startup, .n_warmup_steps = e->pruner_warmup,
                                       .interval_steps = e->pruner_interval, .n_min_trials = 1};
        if ((rc = ol_pruner_median_new(&pruner, &po, err))) return rc;
    }
    if ((rc = ol_storage_open(&st, r->storage_url, err)) ||
        (rc = ol_model_create(&model, e->model, r->splits.train.channels, r->splits.train.height,
                              r->splits.train.width, e->batch_size, err)) ||
        (rc = ol_sampler_new_in_storage(&sampler, ol_exp_sampler_name(e->sampler), e->sampler_kwargs, st, err)) ||
        (rc = exp_check_sampler_spaces(r, sampler, err)) || (rc = heartbeat_start(r, err)))
        goto out;
    sampler_note_ctx note = {.r = r};
    ol_sampler_set_log(sampler, sampler_note, &note);
    /* how often a worker with nothing to do looks again whether a slot was freed */
    double poll = r->heartbeat_seconds > 0 && r->heartbeat_seconds < 2.0 ? r->heartbeat_seconds : 2.0;
    if (poll > r->grace_seconds / 2) poll = r->grace_seconds / 2;
    if (poll < 0.2) poll = 0.2;
    for (int i = 0; i < r->n_studies && !r->stop && !exp_timed_out(r) && rc == OL_OK; i++) {
        const ol_exp_study *s = &r->studies[i];
        note.study = s;
        ol_study *study = NULL;
        /* sampler_stream = shared (default): every study of a repetition draws from one stream */
        char stream[OL_EXP_NAME_MAX + 16];
        snprintf(stream, sizeof stream, "sampler%s%s", e->sampler_stream == OL_EXP_STREAM_OWN ? "/" : "",
                 e->sampler_stream == OL_EXP_STREAM_OWN ? s->opt->study : "");
        ol_study_options so = {.name = s->name, .maximize = 1, .seed = ol_seed_derive(s->seed, stream),
                               .n_trials = r->trials, .sampler = sampler, .pruner = pruner,
                               .ignore_attr = OL_ATTR_REEVAL};
        if ((rc = ol_study_open(&study, st, &so, err))) break;
        rc = work_on_study(r, st, study, s, model, poll, err);
        ol_study_close(study);
        if (rc || r->stop || exp_timed_out(r) || e->reevaluate_top + e->reevaluate_median <= 0) continue;
        /* the re-evaluation stage: no budget (its slots are counted by reeval.c), no pruning */
        so.n_trials = 0;
        so.pruner = NULL;
        if ((rc = ol_study_open(&study, st, &so, err))) break;
        rc = exp_reeval_study(r, st, study, s, model, poll, err);
        ol_study_close(study);
    }
    if (rc == OL_OK && r->stop) rc = ol_fail(err, OL_ESTOPPED, "stopped (signal %d)", (int)r->stop);
out:
    heartbeat_stop(r);
    ol_sampler_free(sampler);
    ol_pruner_free(pruner);
    ol_model_free(model);
    ol_storage_close(st);
    return rc;
}
