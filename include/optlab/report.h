/*
 * optlab/report.h — the results section of an experiment, rebuilt from
 * storage alone: a Markdown file (DIR/README.md) and its figures (PNG and SVG
 * drawn by gnuplot, each beside the data and the gnuplot script that made it,
 * so a reader can restyle any figure).
 *
 * The report reads only what docs/storage-conventions.md says optlab stores:
 * studies named "EXPERIMENT/OPTIMIZER" (or "EXPERIMENT#rR/OPTIMIZER" for
 * repetition R), their optlab:* user attributes, each trial's value (valid-trial
 * accuracy), intermediate values (valid-epoch accuracy per epoch), params with
 * Optuna's distribution JSON, and the trial user attributes test_accuracy,
 * best_epoch, epochs, seconds, status and train_loss.
 *
 * Writing is all-or-nothing: the report is built in a temporary directory
 * beside DIR and renamed into place at the end, so a failure leaves no
 * half-written report and an existing report intact.
 */
#ifndef OPTLAB_REPORT_H
#define OPTLAB_REPORT_H

#include "optlab/core.h"
#include "optlab/storage.h"

#ifdef __cplusplus
extern "C" {
#endif
OL_BEGIN_API

/** Language of headings, table headers, conclusion and axis labels. */
typedef enum {
    OL_REPORT_EN = 0, /**< English */
    OL_REPORT_KO = 1  /**< Korean, with the headings of the seed note's section 3-2 */
} ol_report_lang;

/** What to report and where. Zero-initialise, then set what you need.
 *  Thread safety: options and summary are plain values; ol_report_write uses the
 *  storage it is given, so two threads writing reports need two storage objects. */
typedef struct {
    const char *out_dir;    /**< report directory; NULL: "report" */
    ol_report_lang lang;    /**< language */
    const char *experiment; /**< experiment to report; NULL: the newest experiment (a study with the
                                 optlab:experiment attribute). A name that is no experiment but one
                                 study's exact name reports that study as `study` does */
    const char *gnuplot;    /**< gnuplot program; NULL: $OPTLAB_GNUPLOT or "gnuplot" on the PATH */
    int n_test;             /**< test-set size for the noise estimate; 0: study attr optlab:n_test or 10,000 */
    int n_valid_trial;      /**< valid-trial size; 0: study attr optlab:n_valid_trial or 5,000 */
    const char *baseline;   /**< another experiment in the same storage to compare with, repetition by
                                 repetition (e.g. the unpruned twin of a pruned experiment); NULL: none */
    const char *study;      /**< report this one study, whatever made it, as a generic study report
                                 (values in their own units and direction); NULL: an experiment */
    const char *paths_dir;  /**< an `optlab paths` output directory: adds the "optimizers" section
                                 (its table, its surface figures copied in); NULL: no such section */
    const char *only;       /**< comma-separated study names (the part after '/', normally the optimizers,
                                 e.g. "adamw,muon") to keep: the report, its statistics and Holm's
                                 correction cover only these. Each must be a study of the experiment;
                                 NULL: every study. Not for a generic study report */
} ol_report_options;

/** What a written report covers (for the command to tell the user). */
typedef struct {
    char experiment[256];  /**< the experiment reported */
    int n_experiments;     /**< experiments found in the storage */
    char others[512];      /**< the other experiments' names, comma-separated (may be truncated) */
    int n_repetitions;     /**< repetitions of the experiment stored (this report covers repetition 0) */
    int repetition;        /**< the repetition reported */
    int n_optimizers;      /**< studies (optimizers) in the report */
    int n_trials;          /**< trials read, all states */
    int n_figures;         /**< figures drawn (each as PNG and SVG) */
    char readme_path[1024]; /**< DIR/README.md */
    int generic;           /**< 1: a generic study report (not an optlab experiment) */
    int maximize;          /**< direction of the (first) study reported */
} ol_report_summary;

/**
 * Write the report of one experiment held in `st` into opt->out_dir — or,
 * for a study that is not an optlab experiment (opt->study, or a storage
 * holding one study and no experiment), a generic study report: direction
 * and values as stored, the best trial, the history and one slice plot per
 * parameter; nothing assumes an accuracy.
 * Without opt->experiment and opt->study the newest experiment is reported;
 * studies made otherwise (ask/tell, Optuna) never take its place, and a
 * storage with several of them and no experiment is an error naming them.
 * Fails — creating nothing and leaving an existing DIR untouched — when the
 * storage holds no study, the experiment is unknown, none of its trials
 * completed (the message counts failed and other trials), gnuplot is missing
 * or fails, or DIR exists and is not an optlab report (no .optlab-report file
 * in it): a report replaces only a report.
 * `summary` may be NULL.
 */
ol_status ol_report_write(ol_storage *st, const ol_report_options *opt, ol_report_summary *summary,
                          ol_error *err);

/**
 * Open the storage named by `url` read-only in spirit — a sqlite:/// URL whose
 * file does not exist is an OL_ENOTFOUND error instead of a new empty
 * database — then ol_report_write and close it.
 */
ol_status ol_report_write_url(const char *url, const ol_report_options *opt, ol_report_summary *summary,
                              ol_error *err);

/**
 * Format a hyperparameter value as a person writes it, into buf (size n):
 * log-scale values with 3 significant digits ("0.00123", "2.5e-5"); linear
 * ones with decimals enough for 1/200 of the searched range (β₂ in
 * [0.99, 0.9999] → "0.9988"); integers as integers. low/high: the searched
 * range (ignored when log). Returns buf.
 */
char *ol_report_format_hparam(char *buf, size_t n, double value, int log_scale, int is_int, double low,
                              double high);

OL_END_API
#ifdef __cplusplus
}
#endif
#endif
