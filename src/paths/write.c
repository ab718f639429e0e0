/*
 * write.c — `optlab paths` as a library call: check the names, tune and run
 * every (surface, optimizer), then write README.md (one table per surface),
 * paths.tsv (the same, one row per pair, for programs and `optlab report`)
 * and the figures. The output is built in a temporary directory beside
 * out_dir and renamed into place only when everything is written, so a
 * failure leaves an earlier output whole; a directory that is not an earlier
 * output (no .optlab-paths marker) is never replaced.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "optlab/optim.h"
#include "paths_internal.h"

#define MARKER ".optlab-paths"
#define MAX_LIST 64

ol_paths_options ol_paths_defaults(void) {
    return (ol_paths_options){.out_dir = "paths", .budget = 30, .steps = 1000, .noise = 0.1, .seed = 20250228};
}

const char *pa_label(const char *optimizer) {
    if (!strcmp(optimizer, "lbfgs")) return "LBFGS";
    const ol_optim_info *o = ol_optim_find(optimizer);
    return o ? o->label : optimizer;
}

/* Split a comma-separated list; "all" or empty: every item. Unknown names fail, naming them. */
static ol_status parse_surfaces(const char *list, const ol_surface **out, size_t *n, ol_error *err) {
    *n = 0;
    if (!list || !*list || !strcmp(list, "all")) {
        for (size_t i = 0; i < ol_surface_count(); i++) out[(*n)++] = ol_surface_at(i);
        return OL_OK;
    }
    char buf[1024];
    if (snprintf(buf, sizeof buf, "%s", list) >= (int)sizeof buf) return ol_fail(err, OL_EINVAL, "surface list is too long");
    for (char *save = NULL, *tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
        const ol_surface *s = ol_surface_find(tok);
        if (!s) return ol_fail(err, OL_EINVAL, "unknown surface '%s' (ravine, rosenbrock, beale, saddle, rastrigin)", tok);
        for (size_t k = 0; k < *n; k++)
            if (out[k] == s) return ol_fail(err, OL_EINVAL, "surface '%s' is named twice", tok);
        out[(*n)++] = s;
    }
    if (!*n) return ol_fail(err, OL_EINVAL, "the surface list '%s' names no surface", list);
    return OL_OK;
}

static ol_status parse_optimizers(const char *list, const char **out, size_t *n, ol_error *err) {
    *n = 0;
    if (!list || !*list || !strcmp(list, "all")) {
        for (size_t i = 0; i < ol_optim_count() && *n < MAX_LIST - 1; i++) out[(*n)++] = ol_optim_at(i)->name;
        out[(*n)++] = "lbfgs";
        return OL_OK;
    }
    char buf[1024];
    if (snprintf(buf, sizeof buf, "%s", list) >= (int)sizeof buf) return ol_fail(err, OL_EINVAL, "optimizer list is too long");
    for (char *save = NULL, *tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
        const char *name = ol_paths_optimizer_name(tok);
        if (!name) return ol_fail(err, OL_EINVAL, "unknown optimizer '%s' (see `optlab optimizers`)", tok);
        for (size_t k = 0; k < *n; k++)
            if (!strcmp(out[k], name)) return ol_fail(err, OL_EINVAL, "optimizer '%s' is named twice", tok);
        if (*n >= MAX_LIST) return ol_fail(err, OL_EINVAL, "more than %d optimizers named", MAX_LIST);
        out[(*n)++] = name;
    }
    if (!*n) return ol_fail(err, OL_EINVAL, "the optimizer list '%s' names no optimizer", list);
    return OL_OK;
}

/* 0 absent, 1 empty, 2 an earlier output, -1 anything else (err set). */
static int classify(const char *dir, ol_error *err) {
    int kind = rp_classify_out_dir(dir, MARKER, "", err);
    if (kind != 3) return kind;
    ol_fail(err, OL_EINVAL, "%s exists and is not an `optlab paths` output (no %s in it); choose another --out", dir,
            MARKER);
    return -1;
}

static void fmt_steps(char *b, size_t n, int steps) {
    if (steps >= 0) snprintf(b, n, "%d", steps);
    else snprintf(b, n, "never");
}
static void fmt_dist(char *b, size_t n, double d) {
    if (isnan(d)) snprintf(b, n, "diverged");
    else snprintf(b, n, "%.2g", d);
}

static ol_status write_text(const char *dir, const char *file, const rp_buf *b, ol_error *err) {
    char name[64];
    const char *dot = strrchr(file, '.');
    snprintf(name, sizeof name, "%.*s", (int)(dot - file), file);
    return rp_fig_write(dir, name, dot + 1, b, err);
}

static ol_status write_tables(const pa_run *r, const char *dir, long trials, ol_error *err) {
    const ol_paths_options *o = r->opt;
    rp_buf tsv = {0}, md = {0};
    rp_printf(&tsv, "surface\toptimizer\tlabel\tlearning_rate\tscore\tsteps_exact\tfinal_distance_exact\tsteps_noisy\t"
                    "final_distance_noisy\tbudget\tsteps\tnoise\tseed\n");
    rp_printf(&md,
              "# Optimizer paths on 2-D surfaces\n\n"
              "Written by `optlab paths` (docs/paths.md). Each optimizer starts from the surface's start point and "
              "takes %d steps. Its learning rate was tuned per surface by a TPE study of **%d trials** (%ld in all) "
              "on exact gradients, minimising the mean over the steps of log10(distance to the minimum); every other "
              "hyperparameter is the registry's default. The noisy run uses the same learning rate with Gaussian "
              "noise of standard deviation %g added to each gradient component (seed %llu).\n\n"
              "*Steps* is the first step within 1e-3 of a global minimum (never: not within %d steps); *final* is the "
              "distance after the last step.\n\n",
              o->steps, o->budget, trials, o->noise, (unsigned long long)o->seed, o->steps);
    for (size_t si = 0; si < r->n_surfaces; si++) {
        const ol_surface *s = r->surfaces[si];
        rp_printf(&md, "## %s\n\n$f(x, y) = %s$, start (%g, %g), minimum", s->label, s->formula, s->start_x, s->start_y);
        for (size_t k = 0; k < s->n_minima; k++) rp_printf(&md, "%s (%g, %g)", k ? " or" : "", s->minima[k][0], s->minima[k][1]);
        rp_printf(&md, ".\n\n![%s](figures/surface-%s.png)\n\nEvery optimizer: [figures/surface-%s-all.png](figures/surface-%s-all.png)\n\n",
                  s->label, s->name, s->name, s->name);
        rp_printf(&md, "| Optimizer | tuned lr | steps (exact) | final (exact) | steps (noise %g) | final (noise %g) |\n"
                       "|---|---:|---:|---:|---:|---:|\n", o->noise, o->noise);
        for (size_t oi = 0; oi < r->n_optimizers; oi++) {
            const pa_cell *c = pa_at(r, si, oi);
            char se[16], fe[32], sn[16], fn[32];
            fmt_steps(se, sizeof se, c->steps_exact);
            fmt_dist(fe, sizeof fe, c->final_exact);
            if (c->noisy) {
                fmt_steps(sn, sizeof sn, c->steps_noisy);
                fmt_dist(fn, sizeof fn, c->final_noisy);
            } else {
                snprintf(sn, sizeof sn, "—");
                snprintf(fn, sizeof fn, "—");
            }
            rp_printf(&md, "| %s | %.3g | %s | %s | %s | %s |\n", c->label, c->lr, se, fe, sn, fn);
            rp_printf(&tsv, "%s\t%s\t%s\t%.6g\t%.6g\t%d\t%.6g\t%d\t%.6g\t%d\t%d\t%g\t%llu\n", s->name, c->optimizer,
                      c->label, c->lr, c->score, c->steps_exact, c->final_exact, c->noisy ? c->steps_noisy : -1,
                      c->noisy ? c->final_noisy : NAN, o->budget, o->steps, o->noise, (unsigned long long)o->seed);
        }
        rp_printf(&md, "\n");
    }
    rp_printf(&md, "## Each optimizer on every surface\n\n");
    for (size_t oi = 0; oi < r->n_optimizers; oi++)
        rp_printf(&md, "- [%s](figures/optimizer-%s.png)\n", pa_label(r->optimizers[oi]), r->optimizers[oi]);
    ol_status rc = write_text(dir, "paths.tsv", &tsv, err);
    if (!rc) rc = write_text(dir, "README.md", &md, err);
    rp_buf_free(&tsv);
    rp_buf_free(&md);
    return rc;
}

static ol_status compute(pa_run *r, long *trials, ol_error *err) {
    const ol_paths_options *o = r->opt;
    size_t npts = 2 * ((size_t)o->steps + 1);
    int total = (int)(r->n_surfaces * r->n_optimizers), done = 0;
    for (size_t si = 0; si < r->n_surfaces; si++)
        for (size_t oi = 0; oi < r->n_optimizers; oi++) {
            pa_cell *c = pa_at(r, si, oi);
            const ol_surface *s = r->surfaces[si];
            c->surface = s;
            c->optimizer = r->optimizers[oi];
            c->label = pa_label(c->optimizer);
            c->exact = malloc(sizeof(float) * npts);
            if (o->noise > 0) c->noisy = malloc(sizeof(float) * npts);
            if (!c->exact || (o->noise > 0 && !c->noisy)) return ol_fail(err, OL_ENOMEM, "out of memory for the paths");
            ol_status rc = ol_path_tune(s, c->optimizer, o->steps, o->budget, o->seed, &c->lr, &c->score, err);
            if (rc) return rc;
            *trials += o->budget;
            rc = ol_path_run(s, c->optimizer, c->lr, o->steps, 0, o->seed, c->exact, err);
            if (!rc && c->noisy) rc = ol_path_run(s, c->optimizer, c->lr, o->steps, o->noise, o->seed, c->noisy, err);
            if (rc) return rc;
            c->steps_exact = ol_path_steps_to(s, c->exact, o->steps, 1e-3);
            c->final_exact = ol_surface_distance(s, c->exact[2 * o->steps], c->exact[2 * o->steps + 1]);
            if (c->noisy) {
                c->steps_noisy = ol_path_steps_to(s, c->noisy, o->steps, 1e-3);
                c->final_noisy = ol_surface_distance(s, c->noisy[2 * o->steps], c->noisy[2 * o->steps + 1]);
            }
            if (o->progress)
                o->progress(o->user, ++done, total, s->name, c->optimizer, c->lr, c->steps_exact, c->final_exact);
        }
    return OL_OK;
}

ol_status ol_paths_write(const ol_paths_options *opt_in, ol_paths_summary *summary, ol_error *err) {
    ol_paths_options o = opt_in ? *opt_in : ol_paths_defaults();
    if (!o.out_dir || !*o.out_dir) o.out_dir = "paths";
    if (summary) memset(summary, 0, sizeof *summary);
    if (o.budget < 1 || o.budget > 10000) return ol_fail(err, OL_EINVAL, "budget %d: give 1 to 10000 TPE trials", o.budget);
    if (o.steps < 1 || o.steps > 1000000) return ol_fail(err, OL_EINVAL, "steps %d: give 1 to 1000000", o.steps);
    if (!(o.noise >= 0) || !isfinite(o.noise)) return ol_fail(err, OL_EINVAL, "noise %g must be a finite number >= 0", o.noise);
    const char *gnuplot = o.gnuplot && *o.gnuplot ? o.gnuplot : getenv("OPTLAB_GNUPLOT");
    if (!gnuplot || !*gnuplot) gnuplot = "gnuplot";

    const ol_surface *surfaces[16];
    const char *optimizers[MAX_LIST];
    pa_run r = {.opt = &o, .surfaces = surfaces, .optimizers = optimizers};
    ol_status rc = parse_surfaces(o.surfaces, surfaces, &r.n_surfaces, err);
    if (!rc) rc = parse_optimizers(o.optimizers, optimizers, &r.n_optimizers, err);
    if (rc) return rc;
    char out[PATH_MAX];
    snprintf(out, sizeof out, "%s", o.out_dir);
    for (size_t n = strlen(out); n > 1 && out[n - 1] == '/';) out[--n] = '\0';
    int existing = classify(out, err);
    if (existing < 0) return err ? err->status : OL_EINVAL;

    r.cells = calloc(r.n_surfaces * r.n_optimizers, sizeof *r.cells);
    if (!r.cells) return ol_fail(err, OL_ENOMEM, "out of memory");
    double t0 = ol_now();
    long trials = 0;
    rc = compute(&r, &trials, err);
    double t1 = ol_now();

    char tmp[PATH_MAX + 32] = "", figures[PATH_MAX + 64], old[PATH_MAX + 32] = "";
    int n_figures = 0;
    if (!rc) {
        snprintf(tmp, sizeof tmp, "%s.tmp-XXXXXX", out);
        if (!mkdtemp(tmp)) {
            rc = ol_fail(err, OL_EIO, "cannot create a temporary directory beside %s: %s", out, strerror(errno));
            tmp[0] = '\0';
        } else {
            chmod(tmp, 0755);
        }
    }
    if (!rc) {
        snprintf(figures, sizeof figures, "%s/figures", tmp);
        if (mkdir(figures, 0755) != 0) rc = ol_fail(err, OL_EIO, "cannot create %s: %s", figures, strerror(errno));
    }
    if (!rc) rc = write_tables(&r, tmp, trials, err);
    if (!rc) rc = pa_write_figures(&r, figures, gnuplot, &n_figures, err);
    if (!rc) {
        rp_buf m = {0};
        rp_printf(&m, "This directory was written by `optlab paths`; the next run replaces it whole.\n");
        char p[PATH_MAX + 64];
        snprintf(p, sizeof p, "%s/%s", tmp, MARKER);
        rc = rp_buf_save(&m, p, err);
        rp_buf_free(&m);
    }
    if (!rc && existing) {
        snprintf(old, sizeof old, "%s.old-XXXXXX", out);
        if (!mkdtemp(old) || rename(out, old) != 0) {
            rc = ol_fail(err, OL_EIO, "cannot move the earlier output %s aside: %s", out, strerror(errno));
            if (old[0]) rmdir(old);
            old[0] = '\0';
        }
    }
    if (!rc && rename(tmp, out) != 0) {
        rc = ol_fail(err, OL_EIO, "cannot move the new output into %s: %s", out, strerror(errno));
        if (old[0] && rename(old, out) == 0) old[0] = '\0';
    }
    if (rc && tmp[0]) rp_remove_tree(tmp);
    if (old[0]) rp_remove_tree(old);
    if (!rc && summary) {
        summary->n_surfaces = (int)r.n_surfaces;
        summary->n_optimizers = (int)r.n_optimizers;
        summary->n_figures = n_figures;
        summary->trials = trials;
        summary->seconds = t1 - t0;
        summary->draw_seconds = ol_now() - t1;
    }
    for (size_t k = 0; k < r.n_surfaces * r.n_optimizers; k++) {
        free(r.cells[k].exact);
        free(r.cells[k].noisy);
    }
    free(r.cells);
    return rc;
}
