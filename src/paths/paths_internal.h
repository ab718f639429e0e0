/*
 * paths_internal.h — what write.c computes and figures.c draws: one cell per
 * (surface, optimizer) with the tuned learning rate and both paths.
 */
#ifndef OPTLAB_PATHS_INTERNAL_H
#define OPTLAB_PATHS_INTERNAL_H

#include "optlab/paths.h"
#include "../report/report_internal.h"

typedef struct {
    const ol_surface *surface;
    const char *optimizer; /* canonical name */
    const char *label;     /* "Adam" */
    double lr, score;
    float *exact, *noisy;  /* 2 * (steps + 1) floats; noisy NULL without noise */
    int steps_exact, steps_noisy; /* steps to within 1e-3, -1: never */
    double final_exact, final_noisy; /* distance after the last step (NaN: diverged) */
} pa_cell;

typedef struct {
    const ol_paths_options *opt;
    size_t n_surfaces, n_optimizers;
    const ol_surface **surfaces;
    const char **optimizers;
    pa_cell *cells; /* [surface][optimizer] */
} pa_run;

static inline pa_cell *pa_at(const pa_run *r, size_t s, size_t o) { return &r->cells[s * r->n_optimizers + o]; }

/* The optimizer's label for people ("Adam", "LBFGS"). */
const char *pa_label(const char *optimizer);

/* figures.c: every figure into dir, drawn by one gnuplot run. */
ol_status pa_write_figures(const pa_run *r, const char *dir, const char *gnuplot, int *n_figures, ol_error *err);

#endif
