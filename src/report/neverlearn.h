/*
 * neverlearn.h — what the report's never-learn files share: the analysis
 * (neverlearn_analysis.c: pure, unit-tested), its rendering into Markdown
 * and figures (neverlearn.c), and the section's words in both languages
 * (neverlearn_text.c).
 */
#ifndef OPTLAB_REPORT_NEVERLEARN_H
#define OPTLAB_REPORT_NEVERLEARN_H

#include "optlab/conventions.h"
#include "report_internal.h"

#define NL_MAX_BINS 16
#define NL_MAX_MEASURES 48
#define NL_EPOCHS OL_DIAG_EPOCHS /* diagnostics keys epoch0, epoch1 (optlab/conventions.h) */
/* a bin of fewer trials is shown but not used for the text's "from .. to" rates */
#define NL_MIN_BIN 5

typedef struct {
    int n_bins;
    int log_scale;
    double edge[NL_MAX_BINS + 1];
} nl_bins;

typedef enum { NL_PARAM, NL_PRODUCT, NL_LOSS, NL_STUDY } nl_kind;

typedef struct {
    nl_kind kind;
    const char *name;  /* parameter name, or "lr×wd" / "loss" */
    nl_bins bins;
    int n[NL_MAX_BINS], fail[NL_MAX_BINS];
    char group[NL_MAX_BINS][64]; /* NL_LOSS: the losses; NL_STUDY: the studies' labels */
    int N, F;
    double eta2;
} nl_factor;

typedef struct {
    int n;
    char name[NL_MAX_MEASURES][96];  /* in the report's language */
    char layer[NL_MAX_MEASURES][48]; /* the layer a per-layer measure is about ("" for the totals) */
    int is_fraction[NL_MAX_MEASURES];
} nl_measures;

typedef struct {
    nl_measures m;
    double med[NL_EPOCHS][2][NL_MAX_MEASURES];
    int n[NL_EPOCHS][2];
} nl_diag;

/* ---- analysis (neverlearn_analysis.c) ---- */

/** Does the trial count (finished: ok, never learned or diverged)? */
int nl_counted(const rp_trial *t);
/** Did it fail to learn (never learned or diverged)? */
int nl_failed(const rp_trial *t);
/** Index of parameter `name` in the study, -1 if absent. */
int nl_param_index(const rp_study *s, const char *name);
/** Decades for a log range (quarters of a decade range shorter than 2 decades), quarters for a linear one. */
void nl_make_bins(nl_bins *b, double low, double high, int log_scale);
/** The bin of v, -1 outside the range or not finite. */
int nl_bin_of(const nl_bins *b, double v);
/** A bin's centre (geometric on a log scale). */
double nl_bin_centre(const nl_bins *b, int k);
/** From f->n and f->fail of the first n_groups groups: f->N, f->F and f->eta2. */
void nl_factor_eta2(nl_factor *f, int n_groups);
/** Group every counted trial of the experiment by factor f (kind and name set); returns the number of groups, 0 if none. */
int nl_build_factor(nl_factor *f, const rp_experiment *ex);
/** Trials and failures of study s in group k of factor f. */
void nl_study_bin(const nl_factor *f, const rp_study *s, int k, int *n, int *fail);
/** Median of v[0..n-1] (sorts v); NAN when n is 0. */
double nl_median(double *v, int n);
/** Medians of the first epochs' diagnostics, healthy against never-learned trials; 0 if the study has none. */
int nl_study_diag(const rp_study *s, nl_diag *d, ol_report_lang lang);

/* ---- words (neverlearn_text.c) ---- */

typedef enum {
    NL_T_LOSS,
    NL_T_OPTIMIZER_STUDY,
    NL_T_LAYER_X,
    NL_T_DEAD_RELU_UNITS_AFTER_X,
    NL_T_SATURATED_SIGMOID_OUTPUTS_AFTER_X,
    NL_T_GRADIENT_NORM_OF_X,
    NL_T_GRADIENT_NORM_ALL_LAYERS,
    NL_T_LOSS_ON_THE_BATCH,
    NL_T_ALL,
    NL_T_WHAT_EXPLAINS_THE_FAILURES_FOR,
    NL_T_ONLY_THE_X_TRIALS_THAT,
    NL_T_NO_FACTOR_EXPLAINS_THE_FAILURES,
    NL_T_THE_X_EXPLAINS_THE_FAILURES,
    NL_T_CLOSELY_FOLLOWED_BY_THE_X,
    NL_T_THE_X_LOSS,
    NL_T_X,
    NL_T_X_IN_X_X,
    NL_T_FAILURE_RATE_AGAINST_THE_X,
    NL_T_FAILURE_RATE_AGAINST_X_FIGURES,
    NL_T_X_LEARNING_RATE_WEIGHT_DECAY,
    NL_T_DIAGNOSTICS_OF_THE_FIRST_EPOCHS,
    NL_T_X_N_N_MEASURE_HEALTHY,
    NL_T_THE_LARGEST_DIFFERENCE_AMONG_THE,
    NL_T_GRADIENTS_BELOW_1_OF_THE,
    NL_T_THOSE_LAYERS_NO_LONGER_LEARN,
    NL_T_DEJAVU_SANS,
    NL_T_SET_TITLE_TRIALS_THAT_FAIL,
    NL_T_FAILED_TRIALS,
    NL_T_ALL_2,
    NL_T_SET_TITLE_X_WHICH_TRIALS,
    NL_T_HEALTHY,
    NL_T_DIVERGED,
    NL_T_PARA_1,
    NL_T_PARA_2,
    NL_T_PARA_3,
    NL_T_PARA_RATES,
    NL_T_COUNT
} nl_text;

/** The section's text `key` in `lang` (English when a language lacks it). */
const char *nl_t(ol_report_lang lang, nl_text key);

#endif
