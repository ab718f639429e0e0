/*
 * progress.h — the progress display of long commands (train, hpo-bench; run
 * and worker are to adopt it). It lives in the CLI because only the CLI
 * talks to the terminal (DESIGN.md); it replaces core's ol_progress.
 *
 * On a terminal: permanent lines (one per epoch, one per trial) scroll above
 * one status line that is redrawn in place and always cut to the terminal's
 * width, so it never wraps into a trail. Elsewhere (file, pipe): only the
 * permanent lines, no carriage returns, no times unless the caller puts them
 * in. With quiet set: nothing at all.
 *
 * What the status line says is honest by construction:
 *  - cli_progress_bar takes a fixed total (trials of a study) and computes the
 *    ETA from the rate measured so far (elapsed / done * remaining);
 *  - a training run has no fixed total (max epochs is a cap, not a plan), so
 *    cli_progress_epochs shows the epoch, the best epoch, how many epochs of
 *    patience are left and what those would take at the measured rate.
 *
 * Numbered lines (cli_progress_numbered) are printed in the order of their
 * numbers even when the work finishes out of order (parallel trials): a line
 * waits until every lower number has been printed or skipped.
 */
#ifndef OPTLAB_CLI_PROGRESS_H
#define OPTLAB_CLI_PROGRESS_H

#include <stdio.h>

/** A line waiting for its turn (cli_progress_numbered). */
typedef struct {
    long number;
    char *text; /**< NULL: the number is skipped */
} cli_pending_line;

/** One progress display; zero it with cli_progress_start. */
typedef struct {
    FILE *out;
    int tty;            /**< out is a terminal: a redrawn status line */
    int quiet;          /**< print nothing */
    int fixed_width;    /**< > 0: use this width instead of asking the terminal (tests) */
    char label[32];
    double started;     /**< ol_now() at start */
    double last_draw;
    int status_shown;   /**< a status line is on screen */
    char status[512];   /**< the last status text, redrawn after a permanent line */
    long next_number;   /**< the number cli_progress_numbered prints next */
    cli_pending_line *pending;
    size_t n_pending, cap_pending;
} cli_progress;

/** Start a display on `out` (a status line only if it is a terminal); nothing at all if quiet. */
void cli_progress_start(cli_progress *p, FILE *out, const char *label, int quiet);

/** The terminal's width in columns ($COLUMNS, else 80, when it cannot be asked). */
int cli_progress_width(const cli_progress *p);

/**
 * Copy `text` into out (size n) cut to `columns` display columns (UTF-8 aware;
 * CJK counted as 2 columns); a cut line ends in "...". Returns out.
 */
char *cli_progress_fit(char *out, size_t n, const char *text, int columns);

/** "4s", "2m05s", "1h03m" for s seconds. Returns buf. */
char *cli_format_duration(char *buf, size_t n, double s);

/**
 * Redraw the status line (terminal only) with "LABEL  text", cut to the width.
 * Redraws at most every 0.1 s unless force.
 */
void cli_progress_status(cli_progress *p, const char *text, int force);

/**
 * A status line for `done` of a fixed `total`: a bar, done/total, elapsed time
 * and the ETA from the measured rate, then `extra`. Terminal only.
 */
void cli_progress_bar(cli_progress *p, long done, long total, const char *extra, int force);

/**
 * A status line for a training run: epoch `epoch` (from 0) done, best epoch
 * `best_epoch` with `best_value`, early stopping after `patience` epochs
 * without improvement, at most `max_epochs`; the time still needed if it does
 * not improve, at the rate measured since start. Terminal only.
 */
void cli_progress_epochs(cli_progress *p, int epoch, int best_epoch, double best_value, int patience,
                         int max_epochs);

/** A permanent line (newline added), above the status line on a terminal. */
void cli_progress_line(cli_progress *p, const char *text);

/**
 * A permanent line that belongs at position `number` (from 0, or from the
 * first number given to cli_progress_numbered_from): printed once every lower
 * number has been printed or skipped. text NULL skips the number.
 * Returns 0, or -1 when out of memory (the line is then printed at once).
 */
int cli_progress_numbered(cli_progress *p, long number, const char *text);

/** Numbered lines start at `first` instead of 0 (call before the first one). */
void cli_progress_numbered_from(cli_progress *p, long first);

/** Print the lines still waiting (in order, gaps and all), end the status line, free. */
void cli_progress_end(cli_progress *p);

#endif
