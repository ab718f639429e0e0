/*
 * neverlearn.c — the report's "Trials that never learn" section (issue 7,
 * question 3): how often trials end stuck (status never_learned) or diverge,
 * against the learning rate, the weight decay, their product and the loss,
 * and what the first epochs' diagnostics (attribute "diagnostics", written
 * by `optlab run`, docs/never-learn.md) look like in failed against healthy
 * trials.
 *
 * Which factor explains the failures is computed, never written in advance:
 * for each factor the trials are grouped (decades of a log-searched value,
 * quarters of a linear one, one group per loss) and the share of the
 * variance of the 0/1 failure indicator that the groups' rates account for
 * is its η² (the correlation ratio: Σ n_g (p_g − p)² / (N p (1 − p))), 0 when
 * the rate is the same in every group, 1 when the groups separate failed from
 * healthy trials exactly. The text ranks the factors by it.
 *
 * The numbers come from neverlearn_analysis.c and the words from
 * neverlearn_text.c (neverlearn.h); this file only renders. Figures go through the
 * same files-and-gnuplot path as figures.c (NAME.dat, NAME.gp, listed in
 * redraw-all.gp).
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "neverlearn.h"


static const char *C_SERIES[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00",
                                 "#56B4E9", "#000000", "#F0E442", "#7f7f7f", "#882255"};

static void fmt_bound(char *out, size_t n, double v) { rp_format_bound(out, n, v); }

/* A factor's name in running text and table headers; hyperparameters keep the names the rest of
   the report gives them (English in both languages, as the seed note writes them). */
static const char *factor_label(const nl_factor *f, ol_report_lang lang) {
    if (f->kind == NL_LOSS) return nl_t(lang, NL_T_LOSS);
    if (f->kind == NL_STUDY) return nl_t(lang, NL_T_OPTIMIZER_STUDY);
    if (f->kind == NL_PRODUCT) return "learning rate × weight decay";
    return rp_param_label(f->name);
}

static void fmt_measure(char *out, size_t n, double v, int fraction) {
    if (!isfinite(v)) snprintf(out, n, "–");
    else if (fraction) snprintf(out, n, "%.1f %%", 100 * v);
    else if (v != 0 && (fabs(v) < 1e-3 || fabs(v) >= 1e4)) snprintf(out, n, "%.2e", v);
    else snprintf(out, n, "%.4g", v);
}

/* ---- the section ---- */

static void rate_cell(rp_buf *b, int n, int fail) {
    if (!n) rp_printf(b, " – |");
    else rp_printf(b, " %.0f %% (%d/%d) |", 100.0 * fail / n, fail, n);
}

static void factor_table(rp_buf *b, const rp_experiment *ex, const nl_factor *f, ol_report_lang lang) {
    rp_printf(b, "| %s |", factor_label(f, lang));
    int cols = 0;
    for (size_t i = 0; i < ex->n_studies; i++) {
        const rp_study *s = &ex->studies[i];
        if (f->kind == NL_PARAM && nl_param_index(s, f->name) < 0) continue;
        if (f->kind == NL_PRODUCT && (nl_param_index(s, "learning_rate") < 0 || nl_param_index(s, "weight_decay") < 0))
            continue;
        rp_printf(b, " %s |", s->label);
        cols++;
    }
    rp_printf(b, " %s |\n|---|", nl_t(lang, NL_T_ALL));
    for (int c = 0; c <= cols; c++) rp_printf(b, "---:|");
    rp_printf(b, "\n");
    for (int k = 0; k < f->bins.n_bins; k++) {
        char lo[32], hi[32];
        fmt_bound(lo, sizeof lo, f->bins.edge[k]);
        fmt_bound(hi, sizeof hi, f->bins.edge[k + 1]);
        rp_printf(b, "| [%s, %s%s |", lo, hi, k == f->bins.n_bins - 1 ? "]" : ")");
        for (size_t i = 0; i < ex->n_studies; i++) {
            const rp_study *s = &ex->studies[i];
            if (f->kind == NL_PARAM && nl_param_index(s, f->name) < 0) continue;
            if (f->kind == NL_PRODUCT && (nl_param_index(s, "learning_rate") < 0 || nl_param_index(s, "weight_decay") < 0))
                continue;
            int n, fl;
            nl_study_bin(f, s, k, &n, &fl);
            rate_cell(b, n, fl);
        }
        rate_cell(b, f->n[k], f->fail[k]);
        rp_printf(b, "\n");
    }
    rp_printf(b, "\n");
}

static void eta_text(char *out, size_t n, double eta2) {
    if (isfinite(eta2)) snprintf(out, n, "%.2f", eta2);
    else snprintf(out, n, "–");
}

void rp_write_never_learn(rp_buf *b, const rp_experiment *ex, ol_report_lang lang) {
    nl_factor factors[5];
    int nf = 0;
    const char *names[] = {"learning_rate", "weight_decay"};
    for (int k = 0; k < 2; k++) {
        memset(&factors[nf], 0, sizeof factors[nf]);
        factors[nf].kind = NL_PARAM, factors[nf].name = names[k];
        if (nl_build_factor(&factors[nf], ex)) nf++;
    }
    int have_lr = nf > 0 && factors[0].kind == NL_PARAM && !strcmp(factors[0].name, "learning_rate");
    memset(&factors[nf], 0, sizeof factors[nf]);
    factors[nf].kind = NL_PRODUCT, factors[nf].name = "lr×wd";
    if (nl_build_factor(&factors[nf], ex)) nf++;
    memset(&factors[nf], 0, sizeof factors[nf]);
    factors[nf].kind = NL_LOSS, factors[nf].name = "loss";
    if (nl_build_factor(&factors[nf], ex)) nf++;
    /* the optimizers themselves, when the studies differ by more than their loss (pooling
       the learning rates of different optimizers mixes their scales: this factor shows it) */
    size_t n_losses = 0; /* distinct losses among the studies */
    for (size_t i = 0; i < ex->n_studies; i++) {
        int seen = 0;
        for (size_t k = 0; k < i; k++)
            seen |= (ex->studies[i].loss && ex->studies[k].loss && !strcmp(ex->studies[i].loss, ex->studies[k].loss)) ||
                    (!ex->studies[i].loss && !ex->studies[k].loss);
        n_losses += !seen;
    }
    if (n_losses < ex->n_studies) {
        memset(&factors[nf], 0, sizeof factors[nf]);
        factors[nf].kind = NL_STUDY, factors[nf].name = "study";
        if (nl_build_factor(&factors[nf], ex)) nf++;
    }

    int N = 0, F = 0, never = 0, diverged = 0;
    for (size_t i = 0; i < ex->n_studies; i++)
        for (size_t j = 0; j < ex->studies[i].n_trials; j++) {
            const rp_trial *t = &ex->studies[i].trials[j];
            if (!nl_counted(t)) continue;
            N++, F += nl_failed(t), never += t->outcome == RP_NEVER_LEARNED, diverged += t->outcome == RP_DIVERGED;
        }
    rp_printf(b, nl_t(lang, NL_T_PARA_1),
                  N, F, N ? 100.0 * F / N : 0.0, never, diverged);

    /* the factors, ranked */
    int order[5];
    for (int k = 0; k < nf; k++) order[k] = k;
    /* η² of factors measured on different trials do not compare: a factor that only some studies
       searched (weight decay, lr × wd in a multi-optimizer experiment) ranks after the full ones */
#define NL_KEY(f) ((f).N == N ? 2.0 : 0.0) + (isfinite((f).eta2) ? (f).eta2 : -1)
    for (int a = 0; a < nf; a++)
        for (int c = a + 1; c < nf; c++) {
            double ea = NL_KEY(factors[order[a]]);
            double ec = NL_KEY(factors[order[c]]);
            if (ec > ea) {
                int tmp = order[a];
                order[a] = order[c], order[c] = tmp;
            }
        }
    if (nf > 0 && F > 0 && F < N) {
        rp_printf(b, nl_t(lang, NL_T_WHAT_EXPLAINS_THE_FAILURES_FOR));
        for (int a = 0; a < nf; a++) {
            char e[16];
            eta_text(e, sizeof e, factors[order[a]].eta2);
            rp_printf(b, "%s %s %s", a ? "," : "", factor_label(&factors[order[a]], lang), e);
            if (factors[order[a]].N != N)
                rp_printf(b, nl_t(lang, NL_T_ONLY_THE_X_TRIALS_THAT),
                          factors[order[a]].N);
        }
        rp_printf(b, ".");
        const nl_factor *top = &factors[order[0]];
        double second = nf > 1 && factors[order[1]].N == top->N && isfinite(factors[order[1]].eta2)
                            ? factors[order[1]].eta2 : 0;
        if (!isfinite(top->eta2) || top->eta2 < 0.05) {
            rp_printf(b, nl_t(lang, NL_T_NO_FACTOR_EXPLAINS_THE_FAILURES));
        } else {
            rp_printf(b, nl_t(lang, NL_T_THE_X_EXPLAINS_THE_FAILURES),
                      factor_label(top, lang));
            if (second > 0 && top->eta2 < 1.5 * second)
                rp_printf(b, nl_t(lang, NL_T_CLOSELY_FOLLOWED_BY_THE_X),
                          factor_label(&factors[order[1]], lang));
            /* the lowest and highest rate among groups with enough trials */
            int lo = -1, hi = -1, groups = top->kind >= NL_LOSS ? NL_MAX_BINS : top->bins.n_bins;
            for (int k = 0; k < groups; k++) {
                if (top->n[k] < NL_MIN_BIN) continue;
                double r = (double)top->fail[k] / top->n[k];
                if (lo < 0 || r < (double)top->fail[lo] / top->n[lo]) lo = k;
                if (hi < 0 || r > (double)top->fail[hi] / top->n[hi]) hi = k;
            }
            if (lo >= 0 && hi >= 0 && lo != hi) {
                char glo[80], ghi[80];
                for (int w = 0; w < 2; w++) {
                    int k = w ? hi : lo;
                    char *g = w ? ghi : glo;
                    /* Korean: a group names its trials ("… 인 Trial"), so the sentence needs no particle
                       after a label whose pronunciation it cannot know */
                    if (top->kind == NL_LOSS)
                        snprintf(g, 80, nl_t(lang, NL_T_THE_X_LOSS), top->group[k]);
                    else if (top->kind == NL_STUDY) snprintf(g, 80, nl_t(lang, NL_T_X), top->group[k]);
                    else {
                        char x[32], y[32];
                        fmt_bound(x, sizeof x, top->bins.edge[k]);
                        fmt_bound(y, sizeof y, top->bins.edge[k + 1]);
                        snprintf(g, 80, nl_t(lang, NL_T_X_IN_X_X), factor_label(top, lang), x, y);
                    }
                }
                /* the English sentence takes the arguments in another order (POSIX positional conversions) */
                rp_printf(b, nl_t(lang, NL_T_PARA_RATES), ghi, 100.0 * top->fail[hi] / top->n[hi], glo,
                          100.0 * top->fail[lo] / top->n[lo]);
            }
            rp_printf(b, ".");
            /* the loss: paired comparison when two studies differ only in their loss */
            rp_printf(b, "\n\n");
        }
    }
    /* paired loss comparison: studies of one optimizer with different losses share trial numbers' draws */
    for (size_t i = 0; i < ex->n_studies; i++)
        for (size_t k = i + 1; k < ex->n_studies; k++) {
            const rp_study *a = &ex->studies[i], *c = &ex->studies[k];
            if (!a->loss || !c->loss || !strcmp(a->loss, c->loss)) continue;
            int only_a = 0, only_c = 0, both = 0, pairs = 0;
            for (size_t x = 0; x < a->n_trials; x++)
                for (size_t y = 0; y < c->n_trials; y++) {
                    const rp_trial *ta = &a->trials[x], *tc = &c->trials[y];
                    if (ta->number != tc->number || !nl_counted(ta) || !nl_counted(tc)) continue;
                    pairs++;
                    if (nl_failed(ta) && nl_failed(tc)) both++;
                    else if (nl_failed(ta)) only_a++;
                    else if (nl_failed(tc)) only_c++;
                }
            if (pairs) rp_printf(b, nl_t(lang, NL_T_PARA_2),
                          a->label, c->label, pairs, both, a->label, only_a, c->label, only_c);
        }
    for (int k = 0; k < nf; k++) {
        if (factors[k].kind >= NL_LOSS) continue;
        rp_printf(b, nl_t(lang, NL_T_FAILURE_RATE_AGAINST_THE_X),
                  factor_label(&factors[k], lang));
        factor_table(b, ex, &factors[k], lang);
        if (factors[k].kind == NL_PARAM) {
            char slug[64];
            rp_slug(slug, sizeof slug, factors[k].name);
            rp_printf(b, nl_t(lang, NL_T_FAILURE_RATE_AGAINST_X_FIGURES),
                      factor_label(&factors[k], lang), slug);
        }
    }
    if (have_lr) {
        for (size_t i = 0; i < ex->n_studies; i++) {
            const rp_study *s = &ex->studies[i];
            if (nl_param_index(s, "learning_rate") < 0 || nl_param_index(s, "weight_decay") < 0) continue;
            rp_printf(b, nl_t(lang, NL_T_X_LEARNING_RATE_WEIGHT_DECAY),
                      s->label, s->slug);
        }
    }

    /* diagnostics of failed against healthy trials */
    int any_diag = 0;
    for (size_t i = 0; i < ex->n_studies; i++) {
        const rp_study *s = &ex->studies[i];
        if (!s->counts[RP_NEVER_LEARNED]) continue;
        nl_diag *d = malloc(sizeof *d);
        if (!d) continue;
        if (!nl_study_diag(s, d, lang) || !d->n[0][1]) {
            free(d);
            continue;
        }
        if (!any_diag)
            rp_printf(b, nl_t(lang, NL_T_DIAGNOSTICS_OF_THE_FIRST_EPOCHS));
        any_diag = 1;
        rp_printf(b, nl_t(lang, NL_T_X_N_N_MEASURE_HEALTHY),
                  s->label, d->n[0][0], d->n[0][1], d->n[1][0], d->n[1][1]);
        int big = -1;
        double big_diff = 0;
        for (int k = 0; k < d->m.n; k++) {
            rp_printf(b, "| %s |", d->m.name[k]);
            for (int e = 0; e < NL_EPOCHS; e++)
                for (int g = 0; g < 2; g++) {
                    char v[32];
                    fmt_measure(v, sizeof v, d->med[e][g][k], d->m.is_fraction[k]);
                    rp_printf(b, " %s |", v);
                }
            rp_printf(b, "\n");
            double diff = fabs(d->med[0][1][k] - d->med[0][0][k]);
            if (d->m.is_fraction[k] && isfinite(diff) && diff > big_diff) big_diff = diff, big = k;
        }
        rp_printf(b, "\n");
        int tot = d->m.n - 2; /* "gradient norm, all layers" */
        double gh = d->med[0][0][tot], gf = d->med[0][1][tot];
        if (d->n[0][0] && isfinite(gh) && isfinite(gf) && gh > 0) {
            rp_printf(b, nl_t(lang, NL_T_PARA_3),
                          gf / gh, gf, gh);
            if (big >= 0) {
                char x[32], y[32];
                fmt_measure(x, sizeof x, d->med[0][1][big], 1);
                fmt_measure(y, sizeof y, d->med[0][0][big], 1);
                rp_printf(b, nl_t(lang, NL_T_THE_LARGEST_DIFFERENCE_AMONG_THE),
                          d->m.name[big], x, y);
            }
            rp_printf(b, ".");
            /* layers whose gradient all but vanished in the never-learned trials */
            int first = 1;
            for (int k = 0; k < tot; k++) {
                if (d->m.is_fraction[k]) continue;
                double h = d->med[0][0][k], f = d->med[0][1][k];
                if (!(isfinite(h) && isfinite(f) && h > 0 && f < 0.01 * h)) continue;
                rp_printf(b, "%s%s",
                          !first ? ", "
                          : nl_t(lang, NL_T_GRADIENTS_BELOW_1_OF_THE),
                          d->m.layer[k]);
                first = 0;
            }
            if (!first) rp_printf(b, nl_t(lang, NL_T_THOSE_LAYERS_NO_LONGER_LEARN));
            rp_printf(b, "\n\n");
        }
        free(d);
    }
}

/* ---- figures ---- */

static void nl_preamble(rp_buf *gp, const char *name, const char *what, ol_report_lang lang, int n_keys) {
    rp_printf(gp,
              "# %s.gp — %s.\n"
              "# Draws %s.png and %s.svg from %s.dat: run `gnuplot %s.gp` in this directory.\n"
              "# Written by `optlab report` (neverlearn.c); edit freely (colours: Okabe–Ito).\n"
              "set encoding utf8\n"
              "font = \"%s,13\"\n"
              "set terminal pngcairo size 800,500 noenhanced font font linewidth 1.2\n"
              "set output \"%s.png\"\n"
              "set grid lc rgb \"#d9d9d9\" lw 1\n"
              "set key at screen 0.5, screen 0.015 center bottom horizontal Left reverse samplen 2 width 2 maxcols 3\n"
              "set bmargin %s\n"
              "set tics out nomirror\n"
              "set datafile missing \"NaN\"\n",
              name, what, name, name, name, name, nl_t(lang, NL_T_DEJAVU_SANS), name,
              n_keys > 3 ? "8.5" : "6");
}

static void nl_postamble(rp_buf *gp, const char *name) {
    rp_printf(gp,
              "set terminal svg size 800,500 noenhanced font font linewidth 1.2 background \"white\"\n"
              "set output \"%s.svg\"\nreplot\nunset output\n",
              name);
}

static ol_status nl_emit(const char *dir, const char *name, rp_buf *dat, rp_buf *gp, rp_buf *all, int *n_fig,
                         ol_error *err) {
    ol_status rc = rp_fig_write(dir, name, "dat", dat, err);
    if (!rc) rc = rp_fig_write(dir, name, "gp", gp, err);
    if (!rc) rp_printf(all, "reset session\nload \"%s.gp\"\n", name), (*n_fig)++;
    rp_buf_free(dat);
    rp_buf_free(gp);
    return rc;
}

static ol_status rate_figure(const rp_experiment *ex, const nl_factor *f, ol_report_lang lang, const char *dir,
                             rp_buf *all, int *n_fig, ol_error *err) {
    char slug[64], name[96];
    rp_slug(slug, sizeof slug, f->name);
    snprintf(name, sizeof name, "nl-rate-%s", slug);
    rp_buf dat = {0}, gp = {0};
    rp_printf(&dat, "# failure rate (never learned or diverged) per range of %s\n# bin_low bin_high centre", f->name);
    int cols[64], nc = 0;
    for (size_t i = 0; i < ex->n_studies && nc < 64; i++)
        if (nl_param_index(&ex->studies[i], f->name) >= 0) {
            cols[nc++] = (int)i;
            rp_printf(&dat, " rate_%s n_%s", ex->studies[i].slug, ex->studies[i].slug);
        }
    rp_printf(&dat, " rate_all n_all\n");
    for (int k = 0; k < f->bins.n_bins; k++) {
        rp_printf(&dat, "%.6g %.6g %.6g", f->bins.edge[k], f->bins.edge[k + 1], nl_bin_centre(&f->bins, k));
        for (int c = 0; c < nc; c++) {
            int n, fl;
            nl_study_bin(f, &ex->studies[cols[c]], k, &n, &fl);
            if (n) rp_printf(&dat, " %.4f %d", 100.0 * fl / n, n);
            else rp_printf(&dat, " NaN 0");
        }
        if (f->n[k]) rp_printf(&dat, " %.4f %d\n", 100.0 * f->fail[k] / f->n[k], f->n[k]);
        else rp_printf(&dat, " NaN 0\n");
    }
    char what[160];
    snprintf(what, sizeof what, "failure rate against %s", rp_param_label(f->name));
    nl_preamble(&gp, name, what, lang, nc + 1);
    /* the scripts' comments stay English (as figures.c's); what the figure shows follows the report */
    rp_printf(&gp, nl_t(lang, NL_T_SET_TITLE_TRIALS_THAT_FAIL),
              rp_param_label(f->name));
    rp_printf(&gp, "set xlabel \"%s\"\nset ylabel \"%s\"\nset yrange [0:105]\n", rp_param_label(f->name),
              nl_t(lang, NL_T_FAILED_TRIALS));
    if (f->bins.log_scale) rp_printf(&gp, "set logscale x\nset format x \"%%.0e\"\n");
    rp_printf(&gp, "set xrange [%.6g:%.6g]\nplot ", f->bins.edge[0], f->bins.edge[f->bins.n_bins]);
    for (int c = 0; c < nc; c++)
        rp_printf(&gp, "\"%s.dat\" using 3:%d with linespoints lw 2 pt 7 ps 1.2 lc rgb \"%s\" title \"%s\", ", name,
                  4 + 2 * c, C_SERIES[c % 10], ex->studies[cols[c]].label);
    rp_printf(&gp, "\"%s.dat\" using 3:%d with linespoints lw 1 dt 2 pt 6 lc rgb \"#7f7f7f\" title \"%s\"\n", name,
              4 + 2 * nc, nl_t(lang, NL_T_ALL_2));
    nl_postamble(&gp, name);
    return nl_emit(dir, name, &dat, &gp, all, n_fig, err);
}

static ol_status scatter_figure(const rp_study *s, ol_report_lang lang, const char *dir, rp_buf *all, int *n_fig,
                                ol_error *err) {
    char name[160];
    snprintf(name, sizeof name, "nl-scatter-%s", s->slug);
    int plr = nl_param_index(s, "learning_rate"), pwd = nl_param_index(s, "weight_decay");
    rp_buf dat = {0}, gp = {0};
    rp_printf(&dat, "# %s: one row per finished trial\n# number learning_rate weight_decay outcome "
                    "(0 healthy, 1 never learned, 2 diverged)\n",
              s->label);
    for (size_t j = 0; j < s->n_trials; j++) {
        const rp_trial *t = &s->trials[j];
        if (!nl_counted(t)) continue;
        rp_printf(&dat, "%d %.6g %.6g %d\n", t->number, t->params[plr], t->params[pwd],
                  t->outcome == RP_OK ? 0 : t->outcome == RP_NEVER_LEARNED ? 1 : 2);
    }
    nl_preamble(&gp, name, "learning rate against weight decay, failed trials marked", lang, 3);
    rp_printf(&gp, nl_t(lang, NL_T_SET_TITLE_X_WHICH_TRIALS),
              s->label);
    rp_printf(&gp, "set xlabel \"%s\"\nset ylabel \"%s\"\n", rp_param_label("learning_rate"),
              rp_param_label("weight_decay"));
    const rp_param *x = &s->params[plr], *y = &s->params[pwd];
    if (x->log_scale) rp_printf(&gp, "set logscale x\nset format x \"%%.0e\"\n");
    if (y->log_scale) rp_printf(&gp, "set logscale y\nset format y \"%%.0e\"\n");
    rp_printf(&gp, "set xrange [%.6g:%.6g]\nset yrange [%.6g:%.6g]\n", x->low, x->high, y->low, y->high);
    rp_printf(&gp,
              "plot \"%s.dat\" using 2:($4==0 ? $3 : NaN) with points pt 7 ps 0.9 lc rgb \"#0072B2\" title "
              "\"%s\", \\\n"
              "     \"%s.dat\" using 2:($4==1 ? $3 : NaN) with points pt 9 ps 1.3 lc rgb \"#E69F00\" title "
              "\"%s\", \\\n"
              "     \"%s.dat\" using 2:($4==2 ? $3 : NaN) with points pt 2 ps 1.2 lc rgb \"#000000\" title "
              "\"%s\"\n",
              name, nl_t(lang, NL_T_HEALTHY), name, rp_t(lang, RP_T_KEY_NEVER), name, nl_t(lang, NL_T_DIVERGED));
    nl_postamble(&gp, name);
    return nl_emit(dir, name, &dat, &gp, all, n_fig, err);
}

ol_status rp_never_learn_figures(const rp_experiment *ex, const ol_report_options *opt, const char *dir,
                                 rp_buf *all, int *n_figures, ol_error *err) {
    if (!rp_has_never_learn(ex)) return OL_OK;
    ol_status rc = OL_OK;
    const char *names[] = {"learning_rate", "weight_decay"};
    for (int k = 0; k < 2 && !rc; k++) {
        nl_factor f;
        memset(&f, 0, sizeof f);
        f.kind = NL_PARAM, f.name = names[k];
        if (nl_build_factor(&f, ex)) rc = rate_figure(ex, &f, opt->lang, dir, all, n_figures, err);
    }
    for (size_t i = 0; i < ex->n_studies && !rc; i++) {
        const rp_study *s = &ex->studies[i];
        if (nl_param_index(s, "learning_rate") < 0 || nl_param_index(s, "weight_decay") < 0) continue;
        rc = scatter_figure(s, opt->lang, dir, all, n_figures, err);
    }
    return rc;
}
