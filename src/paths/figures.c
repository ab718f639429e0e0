/*
 * figures.c — the figures of `optlab paths`, drawn as the report draws its
 * own (src/report/figures.c's helpers): NAME.dat (the paths, one index block
 * per path), NAME.gp (a self-contained gnuplot script: the surface's formula
 * computes its contours, so the .dat holds only the paths) and NAME.png /
 * NAME.svg, all drawn by one gnuplot process through redraw-all.gp.
 *
 *  - surface-S: the seed note's optimizers (SGD, Momentum, RMSprop, Adam,
 *    Adagrad, Adadelta) overlaid on one contour plot, exact gradients;
 *  - surface-S-all: small multiples, one panel per optimizer, exact path and
 *    noisy path;
 *  - optimizer-O: one panel per surface, exact and noisy.
 * Paths are thinned to what a figure can show: a point is written when it is
 * at least 1/400 of the window's diagonal from the last one written (and the
 * last point always); the .dat header says so.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "paths_internal.h"

/* Okabe–Ito, then black */
static const char *const palette[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"};
#define C_EXACT "#0072B2"
#define C_NOISY "#E69F00"

static const char *const overlay_set[] = {"sgd", "momentum", "rmsprop", "adam", "adagrad", "adadelta"};

/* One path as an index block (x y step), thinned; ends with two blank lines. */
static void write_path(rp_buf *dat, const ol_surface *s, const float *xy, int steps, const char *what) {
    double diag = hypot(s->x_max - s->x_min, s->y_max - s->y_min), min_gap = diag / 400;
    rp_printf(dat, "# %s\n", what);
    double lx = NAN, ly = NAN;
    int last = 0;
    for (int t = 0; t <= steps && !isnan(xy[2 * t]); t++) last = t;
    for (int t = 0; t <= last; t++) {
        double x = xy[2 * t], y = xy[2 * t + 1];
        if (t && t != last && hypot(x - lx, y - ly) < min_gap) continue;
        rp_printf(dat, "%.7g\t%.7g\t%d\n", x, y, t);
        lx = x;
        ly = y;
    }
    rp_printf(dat, "\n\n");
}

static void dat_header(rp_buf *dat, const char *name, const char *what) {
    rp_printf(dat,
              "# %s.dat — %s\n"
              "# one index block per path: x, y, step. Thinned: a point is kept when it lies at least 1/400 of\n"
              "# the window's diagonal from the last one kept (the last point always). A diverged path ends early.\n",
              name, what);
}

/* Contours of surface s into the datablock $Cn (computed by gnuplot from the formula). */
static void contours(rp_buf *gp, const ol_surface *s, int n) {
    /* the range of the contoured quantity over the window, to place ~14 levels */
    double lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i <= 100; i++)
        for (int j = 0; j <= 100; j++) {
            double x = s->x_min + (s->x_max - s->x_min) * i / 100, y = s->y_min + (s->y_max - s->y_min) * j / 100;
            double v = s->value(x, y) - s->f_min;
            double z = s->log_contours ? log10(v + 1e-3) : v;
            if (z < lo) lo = z;
            if (z > hi) hi = z;
        }
    double step = (hi - lo) / (s->log_contours ? 15 : 8);
    char zexpr[160];
    if (s->log_contours) snprintf(zexpr, sizeof zexpr, "log10(f%d(x, y) - (%g) + 1e-3)", n, s->f_min);
    else snprintf(zexpr, sizeof zexpr, "f%d(x, y) - (%g)", n, s->f_min);
    rp_printf(gp,
              "# contours of %s, computed from its formula\n"
              "f%d(x, y) = %s\n"
              "set table $C%d\n"
              "set view map\nunset surface\nset contour base\nset isosamples 100, 100\nset samples 100, 100\n"
              "set cntrparam levels incremental %.6g, %.6g, %.6g\n"
              "splot [%g:%g][%g:%g] %s\n"
              "unset table\nunset contour\nset surface\n",
              s->log_contours ? "log10(f - f_min + 0.001)" : "f - f_min", n, s->gnuplot, n, lo + step / 2, step,
              hi, s->x_min, s->x_max, s->y_min, s->y_max, zexpr);
}

static void preamble(rp_buf *gp, const char *name, const char *what) {
    rp_printf(gp,
              "# %s.gp — %s.\n"
              "# Draws %s.png and %s.svg from %s.dat: run `gnuplot %s.gp` in this directory.\n"
              "# Written by `optlab paths`; edit freely (colours: the Okabe–Ito palette).\n"
              "set encoding utf8\n"
              "font = \"DejaVu Sans,11\"\n"
              "set datafile missing \"NaN\"\n",
              name, what, name, name, name, name);
}

/* Open the loop that draws the figure twice: PNG, then SVG. */
static void terminals_begin(rp_buf *gp, const char *name, int w, int h) {
    rp_printf(gp,
              "do for [out = 1:2] {\n"
              "if (out == 1) { set terminal pngcairo size %d,%d noenhanced font font linewidth 1.2; set output \"%s.png\" }\n"
              "if (out == 2) { set terminal svg size %d,%d noenhanced font font linewidth 1.2 background \"white\"; set output \"%s.svg\" }\n"
              "set border lw 1\nset tics out nomirror\n",
              w, h, name, w, h, name);
}

static void terminals_end(rp_buf *gp) { rp_printf(gp, "unset output\n}\n"); }

/* Start and minima markers, continuing a plot command. */
static void markers(rp_buf *gp, const ol_surface *s, int with_titles) {
    rp_printf(gp, ", \\\n  '+' using (%g):(%g) every ::0::0 with points pt 7 ps 1.2 lc rgb \"#000000\" %s", s->start_x,
              s->start_y, with_titles ? "title \"start\"" : "notitle");
    for (size_t k = 0; k < s->n_minima; k++)
        rp_printf(gp, ", \\\n  '+' using (%g):(%g) every ::0::0 with points pt 3 ps 2 lw 2 lc rgb \"#000000\" %s",
                  s->minima[k][0], s->minima[k][1], with_titles && k == 0 ? "title \"minimum\"" : "notitle");
}

static void panel_axes(rp_buf *gp, const ol_surface *s) {
    rp_printf(gp, "set xrange [%g:%g]\nset yrange [%g:%g]\nunset key\n", s->x_min, s->x_max, s->y_min, s->y_max);
}

static void steps_text(char *buf, size_t n, int steps_to, double final) {
    if (steps_to >= 0) snprintf(buf, n, "1e-3 at step %d", steps_to);
    else if (isnan(final)) snprintf(buf, n, "diverged");
    else snprintf(buf, n, "final distance %.2g", final);
}

/* The same, shorter, for panel titles. */
static void steps_short(char *buf, size_t n, int steps_to, double final) {
    if (steps_to >= 0) snprintf(buf, n, "1e-3 at %d", steps_to);
    else if (isnan(final)) snprintf(buf, n, "diverged");
    else snprintf(buf, n, "final %.2g", final);
}

static int in_overlay(const char *name) {
    for (size_t k = 0; k < sizeof overlay_set / sizeof *overlay_set; k++)
        if (!strcmp(name, overlay_set[k])) return 1;
    return 0;
}


/* surface-S: the seed note's optimizers (or all of them, when at most 8 were run) on one plot. */
static ol_status overlay_figure(const pa_run *r, size_t si, const char *dir, rp_buf *all, int *n_fig, ol_error *err) {
    const ol_surface *s = r->surfaces[si];
    char name[96], what[256];
    snprintf(name, sizeof name, "surface-%s", s->name);
    int use_all = r->n_optimizers <= 8, n = 0;
    snprintf(what, sizeof what, "%s: paths of %s with tuned learning rates, exact gradients", s->label,
             use_all ? "every optimizer run" : "the seed note's optimizers");
    rp_buf dat = {0}, gp = {0};
    dat_header(&dat, name, what);
    preamble(&gp, name, what);
    contours(&gp, s, 0);
    terminals_begin(&gp, name, 900, 760);
    panel_axes(&gp, s);
    rp_printf(&gp, "set key at screen 0.5, screen 0.01 center bottom horizontal Left reverse samplen 2 width 1 maxcols 2\n"
                   "set bmargin 9\nset title ");
    char title[300];
    snprintf(title, sizeof title, "%s, %d steps, exact gradients\nf(x, y) = %s", s->label, r->opt->steps, s->formula);
    rp_fig_string(&gp, title);
    rp_printf(&gp, "\nplot $C0 using 1:2 with lines lc rgb \"#c8c8c8\" lw 0.8 notitle");
    for (size_t o = 0; o < r->n_optimizers; o++) {
        const pa_cell *c = pa_at(r, si, o);
        if (!use_all && !in_overlay(c->optimizer)) continue;
        char w[160];
        snprintf(w, sizeof w, "%s, lr %.3g", c->label, c->lr);
        write_path(&dat, s, c->exact, r->opt->steps, w);
        rp_printf(&gp, ", \\\n  \"%s.dat\" index %d using 1:2 with linespoints pt 7 ps 0.35 pi 4 lw 1.6 lc rgb \"%s\" title ",
                  name, n, palette[n % 8]);
        char key[160], st[64];
        steps_text(st, sizeof st, c->steps_exact, c->final_exact);
        snprintf(key, sizeof key, "%s (lr %.3g; %s)", c->label, c->lr, st);
        rp_fig_string(&gp, key);
        n++;
    }
    markers(&gp, s, 1);
    rp_printf(&gp, "\n");
    terminals_end(&gp);
    return rp_fig_emit(dir, name, &dat, &gp, all, n_fig, err);
}

/* Small multiples: panels (surface, optimizer) in a grid; by_surface: one surface, every optimizer. */
static ol_status multiples_figure(const pa_run *r, int by_surface, size_t index, const char *dir, rp_buf *all,
                                  int *n_fig, ol_error *err) {
    size_t n_panels = by_surface ? r->n_optimizers : r->n_surfaces;
    int cols = by_surface ? (n_panels > 12 ? 6 : n_panels > 6 ? 4 : 3) : 3;
    if ((size_t)cols > n_panels) cols = (int)n_panels;
    int rows = (int)((n_panels + cols - 1) / cols);
    char name[96], what[256], title[300];
    const char *noise_txt = r->opt->noise > 0 ? "" : " (no noisy run)";
    if (by_surface) {
        snprintf(name, sizeof name, "surface-%s-all", r->surfaces[index]->name);
        snprintf(what, sizeof what, "%s: every optimizer's path, exact gradients and with gradient noise",
                 r->surfaces[index]->label);
        snprintf(title, sizeof title, "%s, %d steps: exact gradients (blue), gradient noise sigma = %g (orange)%s",
                 r->surfaces[index]->label, r->opt->steps, r->opt->noise, noise_txt);
    } else {
        snprintf(name, sizeof name, "optimizer-%s", r->optimizers[index]);
        snprintf(what, sizeof what, "%s on every surface, exact gradients and with gradient noise",
                 pa_label(r->optimizers[index]));
        snprintf(title, sizeof title, "%s, %d steps, learning rate tuned per surface: exact gradients (blue), "
                 "gradient noise sigma = %g (orange)%s",
                 pa_label(r->optimizers[index]), r->opt->steps, r->opt->noise, noise_txt);
    }
    rp_buf dat = {0}, gp = {0};
    dat_header(&dat, name, what);
    preamble(&gp, name, what);
    /* contours of every surface shown, computed once */
    for (size_t k = 0; k < r->n_surfaces; k++)
        if (!by_surface || k == index) contours(&gp, r->surfaces[k], (int)k);
    int pw = by_surface ? 300 : 420, ph = by_surface ? 270 : 360;
    terminals_begin(&gp, name, pw * cols, ph * rows + 40);
    rp_printf(&gp, "set multiplot layout %d,%d title ", rows, cols);
    rp_fig_string(&gp, title);
    rp_printf(&gp, " font \",12\"\nset lmargin 5\nset rmargin 1\nset tmargin 2.2\nset bmargin 1.8\nset tics font \",8\"\n");
    int block = 0;
    for (size_t k = 0; k < n_panels; k++) {
        size_t si = by_surface ? index : k, oi = by_surface ? k : index;
        const ol_surface *s = r->surfaces[si];
        const pa_cell *c = pa_at(r, si, oi);
        char head[200], st[64], w[200];
        steps_short(st, sizeof st, c->steps_exact, c->final_exact);
        snprintf(head, sizeof head, "%s, lr %.3g: %s", by_surface ? c->label : s->name, c->lr, st);
        snprintf(w, sizeof w, "%s on %s, lr %.4g, exact gradients", c->label, s->name, c->lr);
        write_path(&dat, s, c->exact, r->opt->steps, w);
        int exact_block = block++, noisy_block = -1;
        if (c->noisy) {
            snprintf(w, sizeof w, "%s on %s, lr %.4g, gradient noise sigma %g", c->label, s->name, c->lr, r->opt->noise);
            write_path(&dat, s, c->noisy, r->opt->steps, w);
            noisy_block = block++;
        }
        panel_axes(&gp, s);
        rp_printf(&gp, "set title ");
        rp_fig_string(&gp, head);
        rp_printf(&gp, " font \",10\"\nplot $C%zu using 1:2 with lines lc rgb \"#c8c8c8\" lw 0.8 notitle", si);
        /* the noisy path on top, thinner: where it follows the exact one, both show */
        rp_printf(&gp, ", \\\n  \"%s.dat\" index %d using 1:2 with lines lw 2 lc rgb \"" C_EXACT "\" notitle", name,
                  exact_block);
        if (noisy_block >= 0)
            rp_printf(&gp, ", \\\n  \"%s.dat\" index %d using 1:2 with lines lw 0.8 lc rgb \"" C_NOISY "\" notitle", name,
                      noisy_block);
        markers(&gp, s, 0);
        rp_printf(&gp, "\n");
    }
    rp_printf(&gp, "unset multiplot\n");
    terminals_end(&gp);
    return rp_fig_emit(dir, name, &dat, &gp, all, n_fig, err);
}

ol_status pa_write_figures(const pa_run *r, const char *dir, const char *gnuplot, int *n_figures, ol_error *err) {
    rp_buf all = {0};
    rp_printf(&all, "# redraw-all.gp — redraws every figure of `optlab paths`: run `gnuplot redraw-all.gp` here.\n");
    *n_figures = 0;
    ol_status rc = OL_OK;
    for (size_t si = 0; !rc && si < r->n_surfaces; si++) {
        rc = overlay_figure(r, si, dir, &all, n_figures, err);
        if (!rc) rc = multiples_figure(r, 1, si, dir, &all, n_figures, err);
    }
    for (size_t oi = 0; !rc && oi < r->n_optimizers; oi++) rc = multiples_figure(r, 0, oi, dir, &all, n_figures, err);
    if (!rc) rc = rp_fig_write(dir, "redraw-all", "gp", &all, err);
    if (!rc) rc = rp_fig_gnuplot(dir, "redraw-all", gnuplot, err);
    for (size_t si = 0; !rc && si < r->n_surfaces; si++) {
        char name[96];
        snprintf(name, sizeof name, "surface-%s", r->surfaces[si]->name);
        rc = rp_fig_check(dir, name, err);
        snprintf(name, sizeof name, "surface-%s-all", r->surfaces[si]->name);
        if (!rc) rc = rp_fig_check(dir, name, err);
    }
    for (size_t oi = 0; !rc && oi < r->n_optimizers; oi++) {
        char name[96];
        snprintf(name, sizeof name, "optimizer-%s", r->optimizers[oi]);
        rc = rp_fig_check(dir, name, err);
    }
    rp_buf_free(&all);
    return rc;
}
