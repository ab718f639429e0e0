/*
 * run.h — what `optlab run` (cmd_run.c) and `optlab worker` (cmd_worker.c)
 * share in the CLI: signals that stop a worker loop, and the terminal side
 * of an experiment (run_display.c). The experiment itself (studies, trials,
 * the worker loop) is the experiment layer's: optlab/experiment.h.
 */
#ifndef OPTLAB_CLI_RUN_H
#define OPTLAB_CLI_RUN_H

#include "optlab/experiment.h"

/**
 * Install the worker's SIGINT/SIGTERM handlers on runner `r`: the first
 * signal sets r->stop (stop after the epoch); another one 2 s later exits at
 * once with 128+signal.
 */
void run_worker_signals(ol_exp_runner *r);

/** on_event callback of `optlab worker`: one line per finished trial and per notice, on stdout. */
void run_print_event(void *user, const ol_exp_event *ev);

/** What the parent of `optlab run` shows about each study. */
typedef struct {
    ol_exp_progress p;
    int finished; /* all trials done, no RUNNING */
    int next_number;   /* plain output: the trial number printed next (lines go in number order) */
    int printed_done;  /* COMPLETE + PRUNED trials printed so far in this run's lines */
    double printed_best; /* best COMPLETE value among them (NAN: none yet) */
} run_view;

/**
 * Read every unfinished study's trials into views[i]; print a plain line per
 * newly finished trial when !tty (and !quiet). Returns 0, or -1 with err set.
 */
int run_poll_progress(const ol_exp_runner *r, run_view *views, ol_storage *st, int tty, int quiet, double started,
                      int *finished_in_run, ol_error *err);

/** Draw one progress bar per study (redraw: move up over the previous ones first). */
void run_draw_bars(const ol_exp_runner *r, const run_view *views, int redraw, double started, int finished_in_run);

/** Print the seed note's results table of the runner's studies and the wall time. */
void run_print_table(const ol_exp_runner *r, ol_storage *st, double wall);

#endif
