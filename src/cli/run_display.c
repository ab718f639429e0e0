/*
 * run_display.c — the terminal side of `optlab run` and `optlab worker`:
 * signals that stop a worker loop, the worker's one line per trial, the
 * parent's progress (a bar per study on a terminal, a line per finished
 * trial otherwise) and the seed note's results table. Everything it shows
 * it reads from the storage or from the experiment layer's events.
 */
#include <math.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "optlab/core.h"
#include "optlab/report.h"
#include "progress.h"
#include "run.h"

/* ---- signals ---- */

static ol_exp_runner *g_runner;
static volatile time_t g_stop_time;

/* Ctrl-C reaches a worker twice (the terminal's SIGINT to the process group,
 * then the parent's SIGTERM): the first asks to stop after the epoch; only a
 * signal 2 s later (Ctrl-C pressed again) leaves at once, the trial then
 * being marked FAIL by the next run's dead-PID check. */
static void on_worker_signal(int sig) {
    time_t now = time(NULL);
    if (g_runner->stop && now - g_stop_time >= 2) _exit(128 + sig);
    if (!g_runner->stop) {
        g_runner->stop = sig;
        g_stop_time = now;
    }
}

void run_worker_signals(ol_exp_runner *r) {
    g_runner = r;
    struct sigaction ws;
    memset(&ws, 0, sizeof ws);
    ws.sa_handler = on_worker_signal;
    sigaction(SIGINT, &ws, NULL);
    sigaction(SIGTERM, &ws, NULL);
}

/* ---- the worker's lines ---- */

void run_print_event(void *user, const ol_exp_event *ev) {
    const ol_exp_runner *r = user;
    const char *name = ev->study->name;
    switch (ev->kind) {
    case OL_EXP_EVENT_TRIAL_DONE: {
        char v[32] = "-";
        if (ev->state == OL_TRIAL_COMPLETE) snprintf(v, sizeof v, "%.4f", ev->value);
        printf("%s: trial %d %s %s (%d epochs, %.1f s, %s)\n", name, ev->trial_number, ol_trial_state_name(ev->state),
               v, ev->epochs, ev->seconds, ev->status);
        break;
    }
    case OL_EXP_EVENT_TRIAL_LOST:
        printf("%s: trial %d was failed as stale by another worker\n", name, ev->trial_number);
        break;
    case OL_EXP_EVENT_STALE_FAILED:
        printf("%s: %d trial%s of dead workers (or heartbeat older than %g s) marked FAIL; slot%s run again\n", name,
               ev->count, ev->count == 1 ? "" : "s", r->grace_seconds, ev->count == 1 ? "" : "s");
        break;
    case OL_EXP_EVENT_WAITING:
        printf("%s: waiting for %d running trial%s of other workers\n", name, ev->count, ev->count == 1 ? "" : "s");
        break;
    case OL_EXP_EVENT_SAMPLER_NOTE: printf("%s: %s\n", name, ev->message); break;
    }
    fflush(stdout);
}

/* ---- the parent's progress ---- */

static void fmt_duration(char *buf, size_t n, double s) {
    if (!isfinite(s) || s < 0) snprintf(buf, n, "?");
    else if (s < 60) snprintf(buf, n, "%.0fs", s);
    else if (s < 3600) snprintf(buf, n, "%dm%02ds", (int)s / 60, (int)s % 60);
    else snprintf(buf, n, "%dh%02dm", (int)s / 3600, ((int)s % 3600) / 60);
}

int run_poll_progress(const ol_exp_runner *r, run_view *views, ol_storage *st, int tty, int quiet, double started,
                      int *finished_in_run, ol_error *err) {
    for (int i = 0; i < r->n_studies; i++) {
        const ol_exp_study *s = &r->studies[i];
        run_view *vw = &views[i];
        if (vw->finished) continue;
        ol_trial_rec *trials = NULL;
        size_t n = 0;
        if (ol_storage_get_trials(st, s->id, &trials, &n, err)) return -1;
        ol_exp_progress_count(trials, n, &vw->p);
        /* Finished trials are reported in number order: a line waits until every
         * lower-numbered trial has finished, so the counter and the best-so-far a
         * line shows are those of the trials printed before it, never ahead. */
        for (;;) {
            const ol_trial_rec *t = NULL;
            for (size_t k = 0; k < n && !t; k++)
                if (trials[k].number == vw->next_number) t = &trials[k];
            if (!t || t->state == OL_TRIAL_RUNNING || t->state == OL_TRIAL_WAITING) break;
            vw->next_number++;
            int in_run = t->datetime_complete >= started;
            if (in_run) (*finished_in_run)++;
            const char *reeval = ol_attr_find(t->system_attrs, t->n_system_attrs, OL_ATTR_REEVAL);
            if (reeval) { /* the re-evaluation stage: neither the search's count nor its best */
                const char *seed = ol_attr_find(t->system_attrs, t->n_system_attrs, OL_ATTR_REEVAL_SEED);
                const char *test = ol_attr_find(t->user_attrs, t->n_user_attrs, OL_ATTR_TEST_ACCURACY);
                if (!tty && !quiet && in_run)
                    printf("%s: re-evaluation trial %d (trial %s, seed %s) %s %.4f, test %s\n", s->name, t->number,
                           reeval, seed ? seed : "?", ol_trial_state_name(t->state), t->has_value ? t->value : NAN,
                           test ? test : "-");
                continue;
            }
            if (t->state == OL_TRIAL_COMPLETE || t->state == OL_TRIAL_PRUNED) vw->printed_done++;
            if (t->state == OL_TRIAL_COMPLETE && t->has_value && (isnan(vw->printed_best) || t->value > vw->printed_best))
                vw->printed_best = t->value;
            if (tty || quiet || !in_run) continue;
            const char *epochs = ol_attr_find(t->user_attrs, t->n_user_attrs, OL_ATTR_EPOCHS);
            const char *secs = ol_attr_find(t->user_attrs, t->n_user_attrs, OL_ATTR_SECONDS);
            const char *status = ol_attr_find(t->user_attrs, t->n_user_attrs, OL_ATTR_STATUS);
            char val[32] = "-", stat[32] = "-", best[32] = "-";
            if (status) snprintf(stat, sizeof stat, "%.*s", (int)strcspn(status + (*status == '"'), "\""),
                                 status + (*status == '"'));
            if (t->has_value) snprintf(val, sizeof val, "%.4f", t->value);
            if (!isnan(vw->printed_best)) snprintf(best, sizeof best, "%.4f", vw->printed_best);
            printf("%s: %d/%d trial %d %s %s (%s epochs, %s s, %s), best %s\n", s->name, vw->printed_done,
                   r->trials, t->number, ol_trial_state_name(t->state), val, epochs ? epochs : "-",
                   secs ? secs : "-", stat, best);
        }
        fflush(stdout);
        /* with a re-evaluation stage the study is finished once its slots are COMPLETE too */
        const ol_experiment *e = r->exp;
        int configs = e->reevaluate_top + e->reevaluate_median;
        if (configs > vw->p.complete) configs = vw->p.complete;
        int reeval_running = 0;
        for (size_t k = 0; k < n; k++)
            reeval_running += trials[k].state == OL_TRIAL_RUNNING &&
                              ol_attr_find(trials[k].system_attrs, trials[k].n_system_attrs, OL_ATTR_REEVAL);
        ol_trials_free(trials, n);
        if (vw->p.done >= r->trials && vw->p.running == 0 && reeval_running == 0 &&
            vw->p.reeval >= configs * e->reevaluate_seeds)
            vw->finished = 1;
    }
    return 0;
}

void run_draw_bars(const ol_exp_runner *r, const run_view *views, int redraw, double started, int finished_in_run) {
    if (redraw) printf("\033[%dA", r->n_studies);
    cli_progress term = {.out = stdout};
    double elapsed = ol_now() - started;
    double per_trial = finished_in_run > 0 ? elapsed / finished_in_run : NAN; /* wall seconds per trial, all workers */
    int remaining_before = 0;
    for (int i = 0; i < r->n_studies; i++) {
        const run_view *vw = &views[i];
        /* the bar gives way first on a narrow terminal; the counts, best and ETA stay */
        int width = cli_progress_width(&term) - 61;
        width = width < 4 ? 4 : width > 24 ? 24 : width;
        int filled = r->trials ? vw->p.done * width / r->trials : 0;
        char bar[64];
        for (int k = 0; k < width; k++) bar[k] = k < filled ? '#' : '-';
        bar[width] = '\0';
        char best[32] = "-", eta[32] = "";
        if (isfinite(vw->p.best)) snprintf(best, sizeof best, "%.4f", vw->p.best);
        int remaining = r->trials - vw->p.done;
        if (remaining < 0) remaining = 0;
        remaining_before += remaining;
        if (vw->finished) snprintf(eta, sizeof eta, "done");
        else if (isfinite(per_trial)) {
            char d[16];
            fmt_duration(d, sizeof d, per_trial * remaining_before);
            snprintf(eta, sizeof eta, "ETA %s", d);
        }
        char line[512], fitted[512];
        snprintf(line, sizeof line, "%-24s [%s] %3d/%-3d best %s  %s", r->studies[i].name, bar, vw->p.done, r->trials,
                 best, eta);
        /* cut to the terminal (one column spare), so a narrow one gets no wrapped trail */
        printf("\r\033[K%s\n", cli_progress_fit(fitted, sizeof fitted, line, cli_progress_width(&term) - 1));
    }
    fflush(stdout);
}

/* ---- the results table ---- */

/* Append to hp (size n, used *len) without ever running past its end. */
static void hp_append(char *hp, size_t n, size_t *len, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void hp_append(char *hp, size_t n, size_t *len, const char *fmt, ...) {
    if (*len >= n - 1) return;
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(hp + *len, n - *len, fmt, ap);
    va_end(ap);
    *len = w < 0 || (size_t)w >= n - *len ? n - 1 : *len + (size_t)w;
}

void run_print_table(const ol_exp_runner *r, ol_storage *st, double wall) {
    printf("\n| optimizer | test accuracy | best valid-trial accuracy | best hyperparameters |\n"
           "|---|---|---|---|\n");
    for (int i = 0; i < r->n_studies; i++) {
        const ol_exp_study *s = &r->studies[i];
        ol_trial_rec *trials = NULL;
        size_t n = 0;
        ol_error err;
        if (ol_storage_get_trials(st, s->id, &trials, &n, &err)) {
            printf("| %s | ? | ? | %s |\n", s->opt->label, err.msg);
            continue;
        }
        const ol_trial_rec *best = NULL;
        for (size_t k = 0; k < n; k++) {
            if (trials[k].state != OL_TRIAL_COMPLETE || !trials[k].has_value) continue;
            if (!best || trials[k].value > best->value) best = &trials[k];
        }
        if (!best) {
            printf("| %s | - | - | no complete trial |\n", s->opt->label);
            ol_trials_free(trials, n);
            continue;
        }
        char test[32] = "-";
        const char *ta = ol_attr_find(best->user_attrs, best->n_user_attrs, OL_ATTR_TEST_ACCURACY);
        if (ta) snprintf(test, sizeof test, "%.2f %%", 100 * strtod(ta, NULL));
        char hp[1024] = "";
        size_t len = 0;
        for (size_t k = 0; k < best->n_params; k++) {
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
            hp_append(hp, sizeof hp, &len, "%s%s = %s", k ? ", " : "", p->name, v);
        }
        for (int k = 0; k < s->opt->n_params; k++) {
            const ol_exp_param *h = &s->opt->params[k];
            if (h->spec.fixed) hp_append(hp, sizeof hp, &len, "%s%s = %g (fixed)", len ? ", " : "", h->name, h->spec.value);
        }
        printf("| %s | %s | %.2f %% | %s |\n", s->opt->label, test, 100 * best->value, hp[0] ? hp : "defaults");
        ol_trials_free(trials, n);
    }
    char d[32];
    fmt_duration(d, sizeof d, wall);
    printf("\nwall time %s (%.0f s)\n", d, wall);
}
