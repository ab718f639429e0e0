/*
 * report_internal.h — the report layer's own model of an experiment, read
 * once from storage (model.c), then turned into Markdown (markdown.c) and
 * figures (figures.c). Nothing here touches storage after loading.
 */
#ifndef OPTLAB_REPORT_INTERNAL_H
#define OPTLAB_REPORT_INTERNAL_H

#include <stddef.h>

#include "optlab/report.h"

/* How a trial ended, as the report counts it. */
typedef enum {
    RP_OK = 0,        /* COMPLETE with status ok (or no status) */
    RP_NEVER_LEARNED, /* COMPLETE but stuck at one class */
    RP_DIVERGED,      /* NaN/Inf during training (COMPLETE or FAIL) */
    RP_FAILED,        /* FAIL for another reason (crash, killed worker) */
    RP_PRUNED,        /* stopped by a pruner */
    RP_UNFINISHED,    /* RUNNING or WAITING when the report was made */
    RP_N_OUTCOMES
} rp_outcome;

/* One searched hyperparameter of a study, from Optuna's distribution JSON. */
typedef struct {
    char *name;
    int log_scale;
    int is_int;
    int categorical;
    double low, high;
    char **choices; /* categorical: choice texts (JSON values as text) */
    size_t n_choices;
} rp_param;

typedef struct {
    int number;
    rp_outcome outcome;
    int has_value;
    double value; /* valid-trial accuracy in [0,1] */
    int has_test;
    double test_accuracy;
    int best_epoch; /* -1 if unknown */
    int epochs;     /* -1 if unknown */
    double seconds; /* < 0 if unknown */
    double *params; /* [n_params] of the study; NAN where the trial lacks one */
    double *valid_epoch; /* per epoch, from intermediate values (dense, by step) */
    size_t n_valid_epoch;
    double *train_loss;
    size_t n_train_loss;
    char *diagnostics; /* the "diagnostics" attribute as JSON text (never-learn section), NULL if none */
} rp_trial;

/* One re-evaluation trial (optlab:reeval): configuration `source` retrained with fresh seed `seed_index`. */
typedef struct {
    int source;     /* the re-evaluated trial's number */
    int seed_index; /* 0 .. R-1; seed k is shared by every configuration and study of a paired experiment */
    int has_value;
    double value;   /* valid-trial accuracy */
    int has_test;
    double test_accuracy;
    double seconds; /* < 0 if unknown */
    int never_learned; /* its status is never_learned (it stayed near chance) */
} rp_reeval;

typedef struct {
    char *study_name;
    char *label;    /* display label: optlab:label, else the part after '/' */
    char *slug;     /* file-name-safe label, unique within the report */
    char *loss;     /* optlab:loss of this study ("reference" | "logits"; "seed" in storages written before issue 12), NULL if absent */
    char *schedule; /* optlab:schedule ("NAME:JSON", "$KEY" = searched), NULL = constant learning rate */
    int repeat;
    int maximize;   /* the study's direction, from storage */
    int n_budget;   /* optlab:n_trials, 0 if absent */
    size_t n_params;
    rp_param *params;
    size_t n_trials;
    rp_trial *trials; /* the search's trials (re-evaluation trials are in `reevals`) */
    size_t n_reevals;
    rp_reeval *reevals;
    int best;       /* index into trials of the best completed trial, -1 if none */
    int counts[RP_N_OUTCOMES];
    /* robust zoom (Tukey's lower fence over completed trials' values) */
    double fence;   /* values below this are outliers */
    int n_outliers; /* completed trials below the fence */
} rp_study;

/* Limits of the repetition statistics (stats.c). */
#define RP_MAX_REPS 256  /* repetitions analysed */
#define RP_MAX_EXACT 20  /* the exact sign-flip test enumerates 2^R sign patterns up to this R */
#define RP_MAX_PAIRS 128 /* optimizer pairs corrected together (Holm) */

/* One study of one repetition, summarised: what the Repetitions section compares. */
typedef struct {
    int present;       /* the repetition has this optimizer's study */
    /* Is the study finished? A study still running (or stopped before its budget) gives no result:
       has_best, has_test and has_reeval stay 0, so the repetition is left out of every comparison. */
    int budget;          /* optlab:n_trials (COMPLETE + PRUNED search trials), 0 if the study does not say */
    int search_done;     /* its COMPLETE + PRUNED search trials */
    int reeval_expected; /* re-evaluation trials it will have (configurations × seeds), 0 without the stage;
                            -1 when the study does not say how many configurations (storages before it did) */
    int reeval_done;     /* its COMPLETE re-evaluation trials */
    int search_finished, reeval_finished;
    int has_best;      /* it has a completed trial */
    double best_valid; /* best valid-trial accuracy (the best trial's value) */
    int has_test;
    double test;       /* test accuracy of that best trial */
    int n_trials, n_pruned;
    long epochs;       /* epochs trained, all trials (attr "epochs") */
    double seconds;    /* training seconds, the search's trials (attr "seconds") */
    int n_reevals;     /* re-evaluation trials, not counted above */
    double reeval_seconds; /* their training seconds */
    /* the repetition's re-evaluated result (rp_luck_result_of), when it has re-evaluation trials */
    int has_reeval;    /* a re-evaluated configuration with a mean test accuracy */
    int reeval_number; /* the search trial whose configuration won the re-evaluation */
    double reeval_valid, reeval_test; /* its mean valid-trial and test accuracy over the seeds */
    double reeval_curse; /* the search's best trial's value − its re-evaluated mean (NAN if not re-evaluated) */
    /* how fast the search got there (pruning.c's convergence table and figure): the search's trials only,
       by number (re-evaluation trials never count) */
    int to_best;         /* trials up to and including the first within RP_NEAR_BEST of best_valid; 0 without one */
    double *best_so_far; /* [n_trials]: best valid-trial accuracy after each search trial, NAN before the first */
} rp_rep_cell;

/* "Within 0.1 points of the final best": valid-trial accuracy at least best − RP_NEAR_BEST (fractions).
   RP_NEAR_EPS absorbs the rounding of best − 0.001 in binary (0.9 − 0.001 != 0.899), so a trial exactly
   0.1 points below the best counts as within. */
#define RP_NEAR_BEST 0.001
#define RP_NEAR_EPS 1e-9

typedef struct rp_experiment {
    char *experiment;  /* the experiment's name; for a generic report, the study's name */
    int generic;       /* 1: one study that is not an optlab experiment (ask/tell, Optuna): values in
                          their own units and direction, no accuracy, no test set (generic.c) */
    int repetition;    /* the repetition loaded */
    int n_repetitions; /* distinct repetitions stored */
    int n_experiments;
    char others[512];
    char *dataset, *loss; /* from study attrs, may be NULL */
    char *sampler;        /* optlab:sampler of the first study, NULL if absent (storages before issue 18) */
    long long seed;       /* optlab:seed of the first study, -1 if absent */
    int n_test, n_valid_trial;
    size_t n_studies;
    rp_study *studies;
    /* every stored repetition, summarised per study of `studies` (matched by the name after '/') */
    int n_reps;
    int rep_index[RP_MAX_REPS]; /* repetition numbers, ascending */
    rp_rep_cell *rep_cells;     /* [n_reps][n_studies] */
    /* opt->baseline: the experiment this one is compared with (pruning.c), loaded the same way; else NULL */
    struct rp_experiment *baseline;
} rp_experiment;

/* A repetition's study that is not stored, or stored without a trial yet (`optlab run --repeat R` creates
   every repetition's studies first): "not started". */
static inline int rp_rep_cell_untouched(const rp_rep_cell *c) {
    return !c->present || (c->n_trials == 0 && c->n_reevals == 0);
}

/* Cell of repetition k (0..n_reps-1) for study i. */
static inline const rp_rep_cell *rp_cell(const rp_experiment *ex, int k, size_t i) {
    return &ex->rep_cells[(size_t)k * ex->n_studies + i];
}
/* Does no study of repetition k hold a trial yet ("repetition K (not started)" in the report and serve)? */
static inline int rp_rep_untouched(const rp_experiment *ex, int k) {
    for (size_t i = 0; i < ex->n_studies; i++)
        if (!rp_rep_cell_untouched(rp_cell(ex, k, i))) return 0;
    return 1;
}

/* stats.c */
/* Student's t quantile t(0.975, df): a table for df <= 30, the Cornish–Fisher expansion above. */
double rp_t975(int df);
/* Two-sided tail probability P(|T| >= |t|) of Student's t with df degrees of freedom. */
double rp_t_two_sided_p(double t, int df);
/* Mean of x[0..n) and the half-width of its 95 % t interval (NAN when n < 2). */
void rp_mean_ci(const double *x, int n, double *mean, double *half);
/* The same over the finite values among x[0..n) (NAN mean when there are none); returns how many. */
int rp_finite_mean_ci(const double *x, int n, double *mean, double *half);
/* Paired t-test of a − b over n pairs: mean difference, its 95 % CI half-width, t and two-sided p. */
void rp_paired_t(const double *a, const double *b, int n, double *mean_diff, double *half, double *t, double *p);
/* Exact two-sided sign-flip (paired permutation) test of a − b: P(|Σ±d| >= |Σd|) over all 2^n signs.
   NAN when n > RP_MAX_EXACT. */
double rp_sign_flip_p(const double *a, const double *b, int n);
/* Holm's step-down adjustment of m p-values (NAN stays NAN). */
void rp_holm(const double *p, int m, double *adjusted);

/* model.c */
ol_status rp_load(ol_storage *st, const ol_report_options *opt, rp_experiment *ex, ol_error *err);
void rp_free(rp_experiment *ex);
/* Does the trial count as a usable result (completed with a value)? */
int rp_trial_usable(const rp_trial *t);

/* A growing text buffer. On allocation failure `failed` is set and appends are ignored. */
typedef struct {
    char *s;
    size_t len, cap;
    int failed;
} rp_buf;
void rp_printf(rp_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void rp_buf_free(rp_buf *b);
/* Write b's text to path (created or truncated); an out-of-memory buffer, a file that cannot be created or a
   short write (a full disk) is an error naming path. The report is built in a temporary directory that replaces
   the old one only when complete (report.c), so a failure here loses nothing already written. */
ol_status rp_buf_save(const rp_buf *b, const char *path, ol_error *err);

/* text.c: localized words and number formats */
typedef enum {
    RP_T_TITLE,
    RP_T_CONCLUSION,
    RP_T_TABLE,
    RP_T_TREND,
    RP_T_PARAMS,
    RP_T_CURVES,
    RP_T_FAILURES,
    RP_T_COL_OPT,
    RP_T_COL_TEST,
    RP_T_COL_VALID,
    RP_T_COL_HPARAMS,
    RP_T_COL_HPARAM,
    RP_T_COL_DIST,
    RP_T_AX_TRIAL,
    RP_T_AX_VALID_TRIAL_ACC,
    RP_T_AX_EPOCH,
    RP_T_AX_TRAIN_LOSS,
    RP_T_AX_VALID_EPOCH_ACC,
    RP_T_KEY_TRIAL,
    RP_T_KEY_BEST_SO_FAR,
    RP_T_KEY_BEST,
    RP_T_KEY_FAILED,
    RP_T_KEY_NEVER,
    RP_T_KEY_BEST_EPOCH,
    RP_T_ALL_TRIALS,
    RP_T_ZOOMED,
    RP_T_REPEATS,
    RP_T_KEY_PRUNED,
    RP_T_COL_REEVAL,
    RP_T_N
} rp_text;
const char *rp_t(ol_report_lang lang, rp_text key);
/* Display name of a hyperparameter ("learning rate", "β₁"), plain text for figures. */
const char *rp_param_label(const char *name);
/* Markdown form of a hyperparameter's name (with LaTeX where the seed note uses it). */
const char *rp_param_label_md(const char *name);
/* The storage URL without its password ("postgresql://u:secret@h/db" -> "postgresql://u@h/db"), for messages
   and the report. */
void rp_redact_url(char *out, size_t n, const char *url);
/* Percent with 2 decimals: 0.97124 -> "97.12" (no % sign). */
char *rp_pct(char *buf, size_t n, double frac);
/* A search-range bound as written in a search space: 1e-4, 0.9999, 0.02. */
char *rp_format_bound(char *buf, size_t n, double value);
/* 10000 -> "10,000" */
char *rp_thousands(char *buf, size_t n, long v);
/* Format one param value of a trial as a person writes it. */
char *rp_format_param(char *buf, size_t n, const rp_param *p, double value);

/* repeats.c: the Repetitions section and the conclusion drawn from repetitions */
#define RP_MAX_OPT 64
/* What a repetition contributes: its best trial's test or valid-trial accuracy, or (issue 17.5) its
   re-evaluated result's mean test or valid-trial accuracy over the re-evaluation seeds. */
typedef enum { RP_METRIC_TEST = 0, RP_METRIC_VALID = 1, RP_METRIC_REEVAL_TEST = 2, RP_METRIC_REEVAL_VALID = 3 } rp_metric;
typedef struct {
    rp_metric metric;
    int n;                  /* repetitions where every optimizer has the metric */
    int reps[RP_MAX_REPS];  /* their indices k into ex->rep_index */
    size_t n_opt;           /* = ex->n_studies (at most RP_MAX_OPT) */
    double mean[RP_MAX_OPT], half[RP_MAX_OPT]; /* mean and 95 % CI half-width, fractions */
    int first[RP_MAX_OPT];  /* repetitions in which the optimizer ranked first */
    int n_pairs;
    int pa[RP_MAX_PAIRS], pb[RP_MAX_PAIRS];    /* pair: studies pa vs pb (pa < pb) */
    double diff[RP_MAX_PAIRS], diff_half[RP_MAX_PAIRS], t[RP_MAX_PAIRS], p_t[RP_MAX_PAIRS],
        p_t_holm[RP_MAX_PAIRS], p_flip[RP_MAX_PAIRS], p_flip_holm[RP_MAX_PAIRS];
} rp_rep_stats;
/* Values of the metric for study i over the repetitions rs->reps (fractions). */
void rp_rep_values(const rp_experiment *ex, const rp_rep_stats *rs, size_t i, double *out);
/* Compute everything for one metric; returns rs->n. */
int rp_rep_analyse(const rp_experiment *ex, rp_metric metric, rp_rep_stats *rs);
/* The significance level of the paired tests (after Holm's adjustment). */
#define RP_ALPHA 0.05
/* order[0..rs->n_opt) = the optimizers by rs->mean, best first (stable). */
void rp_rep_order(const rp_rep_stats *rs, int *order);
/* The metric the repeated-experiment verdict uses (test accuracy when at least 2 repetitions have it for every
   optimizer, else valid-trial accuracy), analysed into rs; order[0..rs->n_opt) gets the optimizers by mean, best
   first. Returns rs->n. */
int rp_rep_verdict(const rp_experiment *ex, rp_rep_stats *rs, int *order);
/* The pair of rs comparing studies a and b (either order), or -1. */
int rp_rep_pair(const rp_rep_stats *rs, int a, int b);
/* Is repetition k (index into ex->rep_index) one of rs's? */
static inline int rp_rep_stats_uses(const rp_rep_stats *rs, int k) {
    for (int j = 0; j < rs->n; j++)
        if (rs->reps[j] == k) return 1;
    return 0;
}
/* How far a repetition's study has got, for a statistic that needs its search (and, with reeval, its
   re-evaluation) finished: RP_STAGE_DONE when it has, else the stage it is in. */
typedef enum { RP_STAGE_DONE = 0, RP_STAGE_NOT_STARTED, RP_STAGE_SEARCH, RP_STAGE_REEVAL } rp_rep_stage;
static inline rp_rep_stage rp_rep_cell_stage(const rp_rep_cell *c, int reeval) {
    return rp_rep_cell_untouched(c) ? RP_STAGE_NOT_STARTED
           : !c->search_finished    ? RP_STAGE_SEARCH
           : reeval && !c->reeval_finished ? RP_STAGE_REEVAL
                                           : RP_STAGE_DONE;
}
/* Are there at least 2 repetitions with a result for every optimizer? */
int rp_has_repetitions(const rp_experiment *ex);
void rp_write_repetitions(rp_buf *b, const rp_experiment *ex, ol_report_lang lang);
void rp_write_repeated_conclusion(rp_buf *b, const rp_experiment *ex, ol_report_lang lang);

/* neverlearn.c: the "Trials that never learn" section (failure rate against the learning
   rate, weight decay and loss; diagnostics of failed against healthy trials) */
int rp_has_never_learn(const rp_experiment *ex);
void rp_write_never_learn(rp_buf *b, const rp_experiment *ex, ol_report_lang lang);
ol_status rp_never_learn_figures(const rp_experiment *ex, const ol_report_options *opt, const char *dir,
                                 rp_buf *all, int *n_figures, ol_error *err);

/* pruning.c: the comparison with a baseline experiment (issue 7, question 5: what a pruner saves).
   Study i of ex is paired with the baseline's study of the same optimizer, repetition r with r. */
typedef struct {
    size_t i;          /* study of ex */
    int j;             /* study of the baseline, -1 if it has none of this optimizer */
    int n;             /* repetitions present in both with a test accuracy */
    int reps[RP_MAX_REPS], base_reps[RP_MAX_REPS]; /* their indices k into ex / baseline rep_index */
    long epochs, base_epochs;   /* over those repetitions */
    double seconds, base_seconds;
    int pruned, trials;
} rp_pair_set;
/* Pair study i of ex with the baseline over repetitions; returns n (0 without a baseline). */
int rp_pruning_pairs(const rp_experiment *ex, size_t i, rp_pair_set *ps);
/* What "Against the baseline" compares per optimizer: the best trial's test or valid-trial accuracy, or the
   trials each search needed to come within RP_NEAR_BEST of its own best. */
typedef enum { RP_VS_TEST, RP_VS_VALID, RP_VS_TO_BEST } rp_vs_quantity;
typedef struct {
    int n;                                   /* paired repetitions (0: study i has no pair in the baseline) */
    double a[RP_MAX_REPS], b[RP_MAX_REPS];   /* the values pair by pair: this experiment, the baseline */
    double mean, half, base_mean, base_half; /* each side's mean and 95 % CI half-width (rp_mean_ci) */
    double diff, diff_half, p_t, p_flip;     /* this − baseline, paired: mean, CI half-width, paired t p,
                                                sign-flip p; with one pair only diff (a − b), the rest NAN */
} rp_vs;
/* Study i of ex against its baseline study in quantity q, as the report's tables give it; returns v->n. Shared
   by the report (pruning.c) and `optlab serve`'s experiment page. */
int rp_baseline_vs(const rp_experiment *ex, size_t i, rp_vs_quantity q, rp_vs *v);
/* The same for pairs already found by rp_pruning_pairs (ps belongs to ex), for a caller that wants several
   quantities and the pairs' cost without pairing the studies again. */
int rp_pairs_vs(const rp_experiment *ex, const rp_pair_set *ps, rp_vs_quantity q, rp_vs *v);
/* Load ex->baseline, the experiment named baseline in st, with opt's other settings, as `optlab report
   --baseline` does: refused for a study report (ex->generic) and for ex itself; the loader's error when the
   storage has no such experiment. */
ol_status rp_load_baseline(ol_storage *st, const ol_report_options *opt, rp_experiment *ex, const char *baseline,
                           ol_error *err);
void rp_write_pruning(rp_buf *b, const rp_experiment *ex, ol_report_lang lang);
/* pruning-best-so-far: each optimizer's best valid-trial accuracy after each search trial, mean over the paired
   repetitions, baseline against this experiment (the figure under the trials-to-best table). */
ol_status rp_pruning_best_so_far_figure(const rp_experiment *ex, const ol_report_options *opt, const char *dir,
                                        rp_buf *all, int *n_fig, ol_error *err);

/* generic.c: the report of any study (not an optlab experiment) */
ol_status rp_write_generic_markdown(const rp_experiment *ex, const ol_report_options *opt, const char *url,
                                    const char *path, ol_error *err);
/* Is value a better than b in the study's direction? */
int rp_better(const rp_study *s, double a, double b);

/* text.c: Korean particles chosen by the word they follow. Does the word, read aloud in Korean,
   end in a consonant (batchim)? Hangul: from the last syllable's jamo; Latin letters and digits:
   by how they end when read (see text.c). */
int rp_ko_has_batchim(const char *word);
/* The particle for word: with_batchim ("이", "은", "을") or without ("가", "는", "를"). */
const char *rp_ko_particle(const char *word, const char *with_batchim, const char *without);

/* markdown.c: the verdict of one run (no repetitions), shared by the report's conclusion and
   `optlab serve`'s experiment page: the optimizers with a completed trial ranked by their best trial's
   test accuracy (valid-trial accuracy when a best trial lacks one), and each one's gap to the first
   against the binomial noise of the two accuracies (twice the standard error of their difference). */
#define RP_MAX_RANKED 64
typedef struct {
    int all_test;                 /* 1: ranked by test accuracy; 0: by valid-trial accuracy */
    int nref;                     /* images that accuracy was measured on */
    size_t n;                     /* optimizers ranked */
    size_t study[RP_MAX_RANKED];  /* their indices into ex->studies, best first */
    double key[RP_MAX_RANKED];    /* the accuracy ranked by */
    double diff[RP_MAX_RANKED];   /* key[0] - key[i] ([0]: 0) */
    double noise[RP_MAX_RANKED];  /* 2 × √(SE₀² + SEᵢ²) */
    int within[RP_MAX_RANKED];    /* diff < noise: within noise of the first */
    int n_beyond;                 /* how many are not */
} rp_single_verdict;
void rp_single_analyse(const rp_experiment *ex, rp_single_verdict *v);

/* markdown.c */
ol_status rp_write_markdown(const rp_experiment *ex, const ol_report_options *opt, const char *url,
                            const char *path, ol_error *err);

/* figures.c's helpers for figure writers in other files: the common head and tail of a
   NAME.gp script, writing NAME.dat/NAME.gp and listing NAME in redraw-all.gp, a gnuplot
   string literal, and a padded y range in percent. */
void rp_fig_begin(rp_buf *gp, const char *name, const char *what, ol_report_lang lang);
void rp_fig_end(rp_buf *gp, const char *name);
/* report.c, shared with `optlab paths` (src/paths/write.c), which writes its output the same way:
   a directory tree removed without following symbolic links; and what an output directory is:
   0 absent, 1 empty, 2 an earlier output (it holds marker_file), 3 anything else, -1 an error
   (err set; its message names the directory after `noun`, e.g. "report directory "). */
void rp_remove_tree(const char *path);
int rp_classify_out_dir(const char *dir, const char *marker_file, const char *noun, ol_error *err);

ol_status rp_fig_emit(const char *dir, const char *name, rp_buf *dat, rp_buf *gp, rp_buf *all, int *n_fig,
                      ol_error *err);
void rp_gp_string(rp_buf *b, const char *s);
void rp_y_range(double lo, double hi, double *y0, double *y1);

/* luck.c: "How much of the best result is luck" (issue 17): the re-evaluation trials of
   each study against the search's single-trial values, the variance decomposition, the
   winner's curse, and the ranking of the re-evaluated winners (paired across seeds) */
int rp_has_luck(const rp_experiment *ex);
/* A study's re-evaluated result: the re-evaluated configuration with the best mean
   valid-trial accuracy over its seeds (issue 17: "the optimizer's result"). */
typedef struct {
    int number;       /* the search trial whose configuration it is */
    int n_seeds;      /* seeds with a valid-trial value */
    int n_test;       /* seeds with a test accuracy */
    double mean_valid;
    double mean_test; /* NAN without test accuracies */
    double half_test; /* 95 % t half-width of mean_test (NAN with fewer than 2) */
    int search_best;  /* the search's best trial's number, -1 if it was not re-evaluated */
    double curse;     /* its single value − its re-evaluated mean valid-trial accuracy (NAN if not re-evaluated) */
} rp_luck_result;
/* Fills *out and returns 1 when the study has re-evaluation trials with values, else 0. */
int rp_luck_result_of(const rp_study *s, rp_luck_result *out);
void rp_write_luck(rp_buf *b, const rp_experiment *ex, ol_report_lang lang);
ol_status rp_luck_figures(const rp_experiment *ex, const ol_report_options *opt, const char *dir, rp_buf *all,
                          int *n_figures, ol_error *err);

/* figures.c: writes NAME.dat, NAME.gp and runs gnuplot for NAME.png / NAME.svg in dir.
   Figure names are derived from the study slugs: trend-SLUG, trend-SLUG-zoom,
   param-SLUG-PARAM, param-SLUG-PARAM-zoom, curves-SLUG. */
ol_status rp_write_figures(const rp_experiment *ex, const ol_report_options *opt, const char *dir,
                           const char *gnuplot, int *n_figures, ol_error *err);
/* Figure names of a generic report: history-SLUG and slice-SLUG-PARAM. */
/* Does the study get zoomed (without-outliers) figures? (only when it has outliers) */
int rp_has_zoom(const rp_study *s);
/* Does its best trial have per-epoch data for a learning-curve figure? */
int rp_has_curves(const rp_study *s);
/* Slug of a hyperparameter name for file names. */
void rp_slug(char *out, size_t n, const char *s);
/* figures.c's helpers, shared with `optlab paths` (src/paths/): write DIR/NAME.EXT from b; run
   `gnuplot NAME.gp` in dir (the message quotes gnuplot's first error); check NAME.png and NAME.svg
   were written; append s as a gnuplot string literal. */
ol_status rp_fig_write(const char *dir, const char *name, const char *ext, const rp_buf *b, ol_error *err);
ol_status rp_fig_gnuplot(const char *dir, const char *name, const char *gnuplot, ol_error *err);
ol_status rp_fig_check(const char *dir, const char *name, ol_error *err);
void rp_fig_string(rp_buf *b, const char *s);

/* optimizers.c: append the "optimizers" section to report_dir/README.md from an `optlab paths`
   output directory (its paths.tsv; its surface figures are copied into report_dir/figures). */
ol_status rp_write_paths_section(const char *paths_dir, const char *report_dir, ol_report_lang lang, ol_error *err);

#endif
