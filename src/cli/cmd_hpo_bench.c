/*
 * cmd_hpo_bench.c — `optlab hpo-bench`: the samplers (random, TPE, mvtpe, gp, cmaes) on
 * standard test functions with known optima, many seeds each, through the
 * study API over memory: storage. Prints the median best-so-far regret at
 * trials 10, 30 and the last, per function and sampler, and how long a TPE
 * ask (plus its suggests) takes with 1,000 complete trials in the history.
 * bench/hpo_optuna.py prints the same table for Optuna 3.1's samplers;
 * bench/hpo.sh shows both side by side.
 *
 * --workers W simulates W parallel workers instead: W trials are asked (and
 * their parameters drawn) before the first is told, then the oldest is told
 * and a new one asked, so every ask sees W-1 RUNNING trials, as on a cluster
 * of equally fast workers. It compares TPE with 1 worker, with W workers
 * without the constant liar (each ask blind to the running trials) and with
 * it (running trials count as the worst observations).
 *
 * --per-seed FILE also writes every study's regrets after trials 10, 30 and
 * the last, one line per (function, sampler, seed), in the format
 * bench/hpo_optuna.py --per-seed writes; bench/hpo_compare.py tests the
 * difference between the two.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "options.h"
#include "progress.h"
#include "optlab/hpo.h"

typedef struct {
    const char *name;
    const char *about;
    int maximize;
    double optimum;
    int (*eval)(ol_trial *t, double *value, ol_error *err);
} bench_function;

/* Branin-Hoo on [-5, 10] x [0, 15]; minimum 0.397887 at three points. */
static int eval_branin(ol_trial *t, double *value, ol_error *err) {
    double x1, x2;
    if (ol_trial_suggest_float(t, "x1", -5, 10, 0, 0, &x1, err) || ol_trial_suggest_float(t, "x2", 0, 15, 0, 0, &x2, err))
        return -1;
    double b = 5.1 / (4 * M_PI * M_PI), c = 5 / M_PI, r = 6, s = 10, tt = 1 / (8 * M_PI);
    double a = x2 - b * x1 * x1 + c * x1 - r;
    *value = a * a + s * (1 - tt) * cos(x1) + s;
    return 0;
}

/* Hartmann 6-D on [0, 1]^6; minimum -3.32237. */
static int eval_hartmann6(ol_trial *t, double *value, ol_error *err) {
    static const double alpha[4] = {1.0, 1.2, 3.0, 3.2};
    static const double A[4][6] = {{10, 3, 17, 3.5, 1.7, 8},
                                   {0.05, 10, 17, 0.1, 8, 14},
                                   {3, 3.5, 1.7, 10, 17, 8},
                                   {17, 8, 0.05, 10, 0.1, 14}};
    static const double P[4][6] = {{0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886},
                                   {0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991},
                                   {0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650},
                                   {0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381}};
    double x[6];
    for (int i = 0; i < 6; i++) {
        char name[16];
        snprintf(name, sizeof name, "x%d", i + 1);
        if (ol_trial_suggest_float(t, name, 0, 1, 0, 0, &x[i], err)) return -1;
    }
    double y = 0;
    for (int i = 0; i < 4; i++) {
        double e = 0;
        for (int j = 0; j < 6; j++) e += A[i][j] * (x[j] - P[i][j]) * (x[j] - P[i][j]);
        y -= alpha[i] * exp(-e);
    }
    *value = y;
    return 0;
}

/*
 * An accuracy-like response to a log-scale learning rate and a momentum-like
 * beta (maximised): a smooth peak of 0.98 at lr = 10^-2.5, beta = 0.9, falling
 * quadratically in log10(lr), and a collapse to chance (0.1) past lr = 10^-1.3,
 * as a diverging optimizer does.
 */
static int eval_loglr(ol_trial *t, double *value, ol_error *err) {
    double lr, beta;
    if (ol_trial_suggest_float(t, "lr", 1e-5, 1e-1, 1, 0, &lr, err) ||
        ol_trial_suggest_float(t, "beta", 0.8, 0.999, 0, 0, &beta, err))
        return -1;
    double u = log10(lr) + 2.5, b = beta - 0.9;
    if (log10(lr) > -1.3) *value = 0.1;
    else *value = 0.98 - 0.03 * u * u - 0.4 * b * b - 0.02 * u * b;
    return 0;
}

static const bench_function functions[] = {
    {"branin", "Branin-Hoo, 2-D", 0, 0.397887357729739, eval_branin},
    {"hartmann6", "Hartmann, 6-D", 0, -3.32236801141551, eval_hartmann6},
    {"loglr", "accuracy vs log10(lr) and beta, 2-D, maximised", 1, 0.98, eval_loglr},
};
enum { N_FUNCTIONS = sizeof functions / sizeof functions[0] };

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* A study of `trials` trials of f in a fresh in-memory storage (close both).
 * Returns 0, or prints the error and returns 1. */
static int open_study(const bench_function *f, const ol_sampler *sm, uint64_t seed, int trials, ol_storage **st,
                      ol_study **s) {
    ol_error err = {0};
    if (ol_storage_open(st, "memory:", &err)) return cli_error("%s", err.msg);
    ol_study_options o = {.name = f->name, .maximize = f->maximize, .seed = seed, .n_trials = trials, .sampler = sm};
    if (ol_study_open(s, *st, &o, &err)) {
        ol_storage_close(*st);
        return cli_error("%s", err.msg);
    }
    return 0;
}

/* One study of `trials` trials; regret[i] = best-so-far regret after trial i. */
static int run_one(const bench_function *f, const ol_sampler *sm, uint64_t seed, int trials, double *regret) {
    ol_storage *st;
    ol_study *s;
    ol_error err = {0};
    if (open_study(f, sm, seed, trials, &st, &s)) return 1;
    double best = f->maximize ? -INFINITY : INFINITY;
    int rc = 0;
    for (int i = 0; i < trials; i++) {
        ol_trial *t;
        double v;
        if (ol_study_ask(s, &t, &err) || f->eval(t, &v, &err)) {
            rc = cli_error("%s: %s", f->name, err.msg);
            break;
        }
        if (ol_study_tell(s, t, OL_TRIAL_COMPLETE, v, &err)) {
            rc = cli_error("%s: %s", f->name, err.msg);
            break;
        }
        best = f->maximize ? fmax(best, v) : fmin(best, v);
        regret[i] = f->maximize ? f->optimum - best : best - f->optimum;
    }
    ol_study_close(s);
    ol_storage_close(st);
    return rc;
}

/*
 * One study with `workers` trials in flight: ask until `workers` are running,
 * tell the oldest, repeat. regret[i] = best-so-far regret after the i-th tell.
 */
static int run_parallel(const bench_function *f, const ol_sampler *sm, uint64_t seed, int trials, int workers,
                        double *regret) {
    ol_storage *st;
    ol_study *s;
    ol_error err = {0};
    if (open_study(f, sm, seed, trials, &st, &s)) return 1;
    ol_trial **fly = calloc((size_t)workers, sizeof *fly);
    double *val = calloc((size_t)workers, sizeof *val);
    int rc = fly && val ? 0 : cli_error("out of memory");
    int head = 0, n_fly = 0, asked = 0;
    double best = f->maximize ? -INFINITY : INFINITY;
    for (int told = 0; told < trials && !rc;) {
        while (n_fly < workers && asked < trials) {
            int slot = (head + n_fly) % workers;
            if (ol_study_ask(s, &fly[slot], &err) || f->eval(fly[slot], &val[slot], &err)) {
                rc = cli_error("%s: %s", f->name, err.msg);
                break;
            }
            n_fly++;
            asked++;
        }
        if (rc) break;
        ol_trial *t = fly[head];
        double v = val[head];
        fly[head] = NULL;
        head = (head + 1) % workers;
        n_fly--;
        if (ol_study_tell(s, t, OL_TRIAL_COMPLETE, v, &err)) {
            rc = cli_error("%s: %s", f->name, err.msg);
            break;
        }
        best = f->maximize ? fmax(best, v) : fmin(best, v);
        regret[told++] = f->maximize ? f->optimum - best : best - f->optimum;
    }
    for (int k = 0; fly && k < workers; k++)
        if (fly[k]) ol_trial_abandon(fly[k]);
    free(fly);
    free(val);
    ol_study_close(s);
    ol_storage_close(st);
    return rc;
}

/* The --workers table: TPE at 1 worker, at W without and with the constant liar, random at W. */
static int bench_workers(const char *only, int trials, int first, int seeds, int workers) {
    ol_tpe_options nl = ol_tpe_defaults();
    nl.constant_liar = 0;
    ol_sampler *tpe = NULL, *tpe_nl = NULL, *rnd = NULL;
    ol_error err = {0};
    if (ol_sampler_tpe_new(&tpe, NULL, &err) || ol_sampler_tpe_new(&tpe_nl, &nl, &err) ||
        ol_sampler_random_new(&rnd, &err)) {
        ol_sampler_free(tpe);
        ol_sampler_free(tpe_nl);
        return cli_error("%s", err.msg);
    }
    struct {
        const char *label;
        const ol_sampler *sm;
        int w;
    } setups[4] = {{"tpe, 1 worker", tpe, 1}, {"tpe, W, no liar", tpe_nl, workers}, {"tpe, W, liar", tpe, workers},
                   {"random, W", rnd, workers}};
    int marks[3] = {10, 30, trials};
    double *regret = malloc((size_t)trials * sizeof *regret);
    double *at = malloc((size_t)seeds * 3 * sizeof *at);
    int rc = regret && at ? 0 : cli_error("out of memory");
    printf("# optlab hpo-bench --workers %d: %d trials x %d seeds; median best-so-far regret after the k-th "
           "finished trial\n# (W = %d trials in flight: each ask sees W-1 RUNNING trials)\n",
           workers, trials, seeds, workers);
    printf("%-10s %-16s %12s %12s %12s\n", "function", "setup", "@10", "@30", "@final");
    for (int k = 0; k < N_FUNCTIONS && !rc; k++) {
        const bench_function *f = &functions[k];
        if (only && strcmp(only, f->name)) continue;
        for (int u = 0; u < 4 && !rc; u++) {
            for (int s = 0; s < seeds && !rc; s++) {
                rc = run_parallel(f, setups[u].sm, (uint64_t)(first + s), trials, setups[u].w, regret);
                for (int m = 0; m < 3 && !rc; m++) at[m * seeds + s] = regret[(marks[m] < trials ? marks[m] : trials) - 1];
            }
            if (rc) break;
            double med[3];
            for (int m = 0; m < 3; m++) med[m] = median(&at[m * seeds], seeds);
            printf("%-10s %-16s %12.4g %12.4g %12.4g\n", f->name, setups[u].label, med[0], med[1], med[2]);
            fflush(stdout);
        }
    }
    free(regret);
    free(at);
    ol_sampler_free(tpe);
    ol_sampler_free(tpe_nl);
    ol_sampler_free(rnd);
    return rc;
}

/* Mean ms of a TPE ask + suggests on Hartmann-6 with `history` complete trials (asked by `rnd`) before it;
 * *first_ms: the first of the timed asks alone (a sampler object that has not seen the study yet). */
static int time_ask(const ol_sampler *tpe, const ol_sampler *rnd, int history, int asks, double *ms, double *cpu_ms,
                    double *first_ms) {
    ol_storage *st;
    ol_error err = {0};
    if (ol_storage_open(&st, "memory:", &err)) return cli_error("%s", err.msg);
    const bench_function *f = &functions[1];
    ol_study *fill, *s;
    ol_study_options o = {.name = "timing", .seed = 1, .sampler = rnd};
    int rc = 0;
    if (ol_study_open(&fill, st, &o, &err)) {
        ol_storage_close(st);
        return cli_error("%s", err.msg);
    }
    for (int i = 0; i < history && !rc; i++) {
        ol_trial *t;
        double v;
        if (ol_study_ask(fill, &t, &err) || f->eval(t, &v, &err) || ol_study_tell(fill, t, OL_TRIAL_COMPLETE, v, &err))
            rc = cli_error("%s", err.msg);
    }
    ol_study_close(fill);
    o.sampler = tpe;
    if (!rc && ol_study_open(&s, st, &o, &err)) rc = cli_error("%s", err.msg);
    double total = 0, cpu = 0;
    for (int i = 0; i < asks && !rc; i++) {
        ol_trial *t;
        double v;
        double t0 = ol_now();
        clock_t c0 = clock();
        if (ol_study_ask(s, &t, &err) || f->eval(t, &v, &err)) {
            rc = cli_error("%s", err.msg);
            break;
        }
        total += ol_now() - t0;
        if (i == 0) *first_ms = 1e3 * (ol_now() - t0);
        cpu += (double)(clock() - c0) / CLOCKS_PER_SEC;
        if (ol_study_tell(s, t, OL_TRIAL_COMPLETE, v, &err)) rc = cli_error("%s", err.msg);
    }
    if (!rc) ol_study_close(s);
    ol_storage_close(st);
    *ms = 1e3 * total / asks;
    *cpu_ms = 1e3 * cpu / asks;
    return rc;
}

static void usage(FILE *out) {
    fputs("usage: optlab hpo-bench [--trials N] [--seeds S] [--first-seed F] [--function NAME] [--ask-history N]\n"
          "                         [--per-seed FILE] [--workers W] [--quiet]\n\n"
          "Random and TPE sampling on test functions with known optima, S seeds of N trials each;\n"
          "prints the median best-so-far regret after trials 10, 30 and N, then the time of one TPE\n"
          "ask (with its suggests) when the study holds --ask-history complete trials.\n\n"
          "  --trials N        trials per study (default 70)\n"
          "  --seeds S         studies per function and sampler, seeds F..F+S-1 (default 20)\n"
          "  --first-seed F    the first seed (default 0)\n"
          "  --function NAME   only this function: branin, hartmann6, loglr (default: all)\n"
          "  --ask-history N   complete trials before the timed asks (default 1000; 0 skips timing)\n"
          "  --per-seed FILE   also write each study's regrets after trials 10, 30 and N to FILE, one line\n"
          "                    per function, sampler and seed (bench/hpo_compare.py compares two such files)\n"
          "  --workers W       instead: simulate W parallel workers (W trials in flight) and compare TPE at\n"
          "                    1 worker, at W without and with the constant liar, and random\n"
          "  --marks A,B       also report the regret after trials A and B (default 10,30)\n"
          "  --samplers LIST   comma-separated samplers to compare: random, tpe, mvtpe, gp, cmaes (default random,tpe);\n"
          "                    the last one is the one whose ask is timed\n"
          "  --history-sampler random|same\n"
          "                    who asks the --ask-history trials: random (default) or another instance of the\n"
          "                    timed sampler (CMA-ES: its generations are then replayed by the timed asks)\n"
          "  --quiet           no progress bar on stderr (the table still goes to stdout)\n\n"
          "bench/hpo.sh prints this beside Optuna 3.1's TPESampler and RandomSampler.\n",
          out);
}

void openblas_set_num_threads(int num_threads); /* OpenBLAS's */

enum { B_TRIALS, B_SEEDS, B_FIRST, B_HISTORY, B_WORKERS, B_PER_SEED, B_FUNCTION, B_QUIET, B_SAMPLERS, B_MARKS, B_HIST_SAMPLER };

#define MAX_SAMPLERS 8

int cmd_hpo_bench(int argc, char **argv) {
    static const cli_option opts[] = {{"trials", 1, B_TRIALS},   {"seeds", 1, B_SEEDS},
                                      {"first-seed", 1, B_FIRST}, {"ask-history", 1, B_HISTORY},
                                      {"workers", 1, B_WORKERS},  {"per-seed", 1, B_PER_SEED},
                                      {"function", 1, B_FUNCTION}, {"quiet", 0, B_QUIET},
                                      {"samplers", 1, B_SAMPLERS}, {"marks", 1, B_MARKS},
                                      {"history-sampler", 1, B_HIST_SAMPLER}, {NULL, 0, 0}};
    int trials = 70, seeds = 20, first = 0, history = 1000, workers = 0, quiet = 0, mark1 = 10, mark2 = 30;
    int history_same = 0;
    const char *only = NULL, *per_seed = NULL, *sampler_list = "random,tpe", *v;
    cli_parser p;
    cli_begin(&p, "hpo-bench", argc, argv, opts);
    for (int c; (c = cli_next(&p, &v)) != CLI_OPT_END;) {
        int bad = 0;
        switch (c) {
        case CLI_OPT_HELP: usage(stdout); return 0;
        case CLI_OPT_ERROR: return CLI_EXIT_USAGE;
        case B_TRIALS: bad = cli_parse_int(&p, "--trials", v, 1, 1000000, &trials); break;
        case B_SEEDS: bad = cli_parse_int(&p, "--seeds", v, 1, 1000000, &seeds); break;
        case B_FIRST: bad = cli_parse_int(&p, "--first-seed", v, 0, 1000000000, &first); break;
        case B_HISTORY: bad = cli_parse_int(&p, "--ask-history", v, 0, 1000000, &history); break;
        case B_WORKERS: bad = cli_parse_int(&p, "--workers", v, 1, 1000, &workers); break;
        case B_PER_SEED: per_seed = v; break;
        case B_FUNCTION: only = v; break;
        case B_QUIET: quiet = 1; break;
        case B_SAMPLERS: sampler_list = v; break;
        case B_HIST_SAMPLER:
            if (!strcmp(v, "same")) history_same = 1;
            else if (!strcmp(v, "random")) history_same = 0;
            else return cli_usage_error(&p, "--history-sampler: expected random or same, got '%s'", v);
            break;
        case B_MARKS:
            if (sscanf(v, "%d,%d", &mark1, &mark2) != 2 || mark1 < 1 || mark2 <= mark1)
                return cli_usage_error(&p, "--marks: expected two trial counts A,B with 1 <= A < B, got '%s'", v);
            break;
        }
        if (bad) return CLI_EXIT_USAGE;
    }
    if (cli_operand_count(&p)) return cli_usage_error(&p, "unexpected argument '%s'", cli_operands(&p)[0]);
    openblas_set_num_threads(1); /* as optlab run's workers and optlab ask: the GP's small matrices */
    if (only) {
        int found = 0;
        for (int k = 0; k < N_FUNCTIONS; k++) found |= !strcmp(functions[k].name, only);
        if (!found) return cli_usage_error(&p, "--function: unknown function '%s' (branin, hartmann6, loglr)", only);
    }
    if (workers > 0 && per_seed) return cli_usage_error(&p, "--per-seed is not available with --workers");
    if (workers > 0) return bench_workers(only, trials, first, seeds, workers) ? 1 : 0;
    FILE *raw = NULL;
    if (per_seed) {
        raw = fopen(per_seed, "w");
        if (!raw) return cli_error("--per-seed %s: cannot write: %s", per_seed, strerror(errno)), 1;
        fprintf(raw, "# optlab: best-so-far regret per seed after trial %d, %d and %d\n", mark1, mark2, trials);
    }
    ol_sampler *samplers[MAX_SAMPLERS] = {0};
    char names[MAX_SAMPLERS][32];
    int n_samplers = 0;
    ol_error err = {0};
    for (const char *q = sampler_list; *q;) {
        size_t len = strcspn(q, ",");
        if (len == 0 || len >= sizeof names[0] || n_samplers == MAX_SAMPLERS) {
            if (raw) fclose(raw);
            for (int k = 0; k < n_samplers; k++) ol_sampler_free(samplers[k]);
            return cli_usage_error(&p, "--samplers: expected up to %d comma-separated names, got '%s'", MAX_SAMPLERS,
                                   sampler_list);
        }
        memcpy(names[n_samplers], q, len);
        names[n_samplers][len] = 0;
        if (ol_sampler_new_by_name(&samplers[n_samplers], names[n_samplers], &err)) {
            if (raw) fclose(raw);
            for (int k = 0; k < n_samplers; k++) ol_sampler_free(samplers[k]);
            return cli_usage_error(&p, "--samplers: %s", err.msg);
        }
        n_samplers++;
        q += len + (q[len] == ',');
    }
    ol_sampler *timed = NULL, *filler = NULL; /* the ask timing: the last sampler named; history at random or by it */
    timed = samplers[n_samplers - 1];
    if (history_same ? ol_sampler_new_by_name(&filler, names[n_samplers - 1], &err) : ol_sampler_random_new(&filler, &err)) {
        if (raw) fclose(raw);
        for (int k = 0; k < n_samplers; k++) ol_sampler_free(samplers[k]);
        return cli_error("%s", err.msg);
    }

    int marks[3] = {mark1, mark2, trials};
    double *regret = malloc((size_t)trials * sizeof *regret);
    double *at = malloc((size_t)seeds * 3 * sizeof *at);
    int rc = 0;
    if (!regret || !at) rc = cli_error("out of memory");
    cli_progress prog;
    int n_fn = only ? 1 : N_FUNCTIONS;
    long total = (long)n_fn * n_samplers * seeds;
    cli_progress_start(&prog, stderr, "hpo-bench", quiet);
    long done = 0;
    printf("# optlab hpo-bench: %d trials x %d seeds from %d; median best-so-far regret after trial\n", trials, seeds,
           first);
    char h1[16], h2[16];
    snprintf(h1, sizeof h1, "@%d", mark1);
    snprintf(h2, sizeof h2, "@%d", mark2);
    printf("%-10s %-7s %12s %12s %12s\n", "function", "sampler", h1, h2, "@final");
    for (int k = 0; k < N_FUNCTIONS && !rc; k++) {
        const bench_function *f = &functions[k];
        if (only && strcmp(only, f->name)) continue;
        for (int sm = 0; sm < n_samplers && !rc; sm++) {
            for (int s = 0; s < seeds && !rc; s++) {
                rc = run_one(f, samplers[sm], (uint64_t)(first + s), trials, regret);
                for (int m = 0; m < 3; m++) {
                    int i = (marks[m] < trials ? marks[m] : trials) - 1;
                    at[m * seeds + s] = regret[i];
                }
                if (raw && !rc)
                    fprintf(raw, "%s %s %d %.17g %.17g %.17g\n", f->name, names[sm], first + s, at[s], at[seeds + s],
                            at[2 * seeds + s]);
                char what[320];
                snprintf(what, sizeof what, "%s, %s", f->name, names[sm]);
                cli_progress_bar(&prog, ++done, total, what, 0);
            }
            if (rc) break;
            double med[3];
            for (int m = 0; m < 3; m++) med[m] = median(&at[m * seeds], seeds);
            printf("%-10s %-7s %12.4g %12.4g %12.4g\n", f->name, names[sm], med[0], med[1], med[2]);
            fflush(stdout);
        }
    }
    cli_progress_end(&prog);
    if (raw && (ferror(raw) | fclose(raw)) && !rc) rc = cli_error("--per-seed %s: write failed", per_seed);
    if (!rc && history > 0) {
        double ms = 0, cpu_ms = 0, first_ms = 0;
        rc = time_ask(timed, filler, history, 20, &ms, &cpu_ms, &first_ms);
        if (!rc)
            printf("%s ask+suggest (hartmann6, 6 params) with %d complete trials%s: %.3f ms (process CPU %.3f ms; "
                   "the first ask %.3f ms)\n",
                   timed->name, history, history_same ? " asked by it" : "", ms, cpu_ms, first_ms);
    }
    free(regret);
    free(at);
    for (int k = 0; k < n_samplers; k++) ol_sampler_free(samplers[k]);
    ol_sampler_free(filler);
    return rc ? 1 : 0;
}
