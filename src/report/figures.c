/*
 * figures.c — the report's figures. Each figure NAME is three files kept
 * side by side in the figures directory: NAME.dat (the numbers, one row per
 * trial or epoch, with a header saying what each column is), NAME.gp (a
 * self-contained gnuplot script a reader can edit and rerun) and the drawings
 * NAME.png and NAME.svg that the script makes. One gnuplot process draws
 * them all through redraw-all.gp (fork/exec in that directory, its messages
 * captured for the error text — gnuplot's start-up costs more than a figure);
 * nothing is printed.
 *
 * Style: 800×500 pixels (readable at GitHub's page width without scaling),
 * 12-point text, legends below the plot so they never cover data, and the
 * Okabe–Ito palette, which stays distinguishable with colour-blind vision.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "optlab/conventions.h"
#include "report_internal.h"

/* Okabe–Ito */
#define C_BLUE "#0072B2"
#define C_VERMILLION "#D55E00"
#define C_ORANGE "#E69F00"
#define C_GREEN "#009E73"
#define C_BLACK "#000000"
#define C_GREY "#7f7f7f"

static const char *font_of(ol_report_lang lang) {
    /* Noto Sans CJK (fonts-noto-cjk) has Hangul, Greek and Latin; DejaVu Sans is Debian's default Latin face */
    return lang == OL_REPORT_KO ? "Noto Sans CJK KR" : "DejaVu Sans";
}

static ol_status write_file(const char *dir, const char *name, const char *ext, const rp_buf *b, ol_error *err) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.%s", dir, name, ext);
    return rp_buf_save(b, path, err);
}

/* Run `gnuplot NAME.gp` in dir; on failure the message quotes gnuplot's first error line. */
static ol_status run_gnuplot(const char *dir, const char *name, const char *gnuplot, ol_error *err) {
    char script[300], log_path[4096];
    snprintf(script, sizeof script, "%s.gp", name);
    snprintf(log_path, sizeof log_path, "%s/.gnuplot-messages", dir);
    int log_fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (log_fd < 0) return ol_fail(err, OL_EIO, "cannot create %s: %s", log_path, strerror(errno));
    pid_t pid = fork();
    if (pid < 0) {
        close(log_fd);
        return ol_fail(err, OL_EIO, "cannot start gnuplot: %s", strerror(errno));
    }
    if (pid == 0) {
        /* the child: only async-signal-safe calls, and _exit (not exit) so the parent's stdio is untouched */
        int null_fd = open("/dev/null", O_RDWR);
        if (null_fd >= 0) {
            dup2(null_fd, 0);
            dup2(null_fd, 1);
        }
        dup2(log_fd, 2);
        if (chdir(dir) != 0) _exit(126);
        execlp(gnuplot, gnuplot, script, (char *)NULL);
        _exit(127);
    }
    close(log_fd);
    int wstatus = 0;
    while (waitpid(pid, &wstatus, 0) < 0)
        if (errno != EINTR) return ol_fail(err, OL_EIO, "waiting for gnuplot: %s", strerror(errno));
    char first[400] = "";
    FILE *lf = fopen(log_path, "r");
    if (lf) {
        /* the first line that says something (gnuplot echoes the failing command first) */
        char line[400];
        while (fgets(line, sizeof line, lf)) {
            line[strcspn(line, "\n")] = '\0';
            if (strstr(line, "rror") || strstr(line, "arning")) {
                snprintf(first, sizeof first, "%s", line);
                break;
            }
            if (!first[0] && line[strspn(line, " ^")]) snprintf(first, sizeof first, "%s", line);
        }
        fclose(lf);
    }
    unlink(log_path);
    if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 127)
        return ol_fail(err, OL_ENOTFOUND,
                       "cannot run '%s' to draw the figures (install Debian's gnuplot-nox, or set OPTLAB_GNUPLOT)",
                       gnuplot);
    if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0)
        return ol_fail(err, OL_EIO, "gnuplot failed on %s/%s: %s", dir, script, first[0] ? first : "no message");
    return OL_OK;
}

/* Did gnuplot write NAME.png and NAME.svg? */
static ol_status check_drawn(const char *dir, const char *name, ol_error *err) {
    for (int k = 0; k < 2; k++) {
        char out[4096];
        struct stat sb;
        snprintf(out, sizeof out, "%s/%s.%s", dir, name, k ? "svg" : "png");
        if (stat(out, &sb) != 0 || sb.st_size == 0) {
            /* a full disk is the usual cause: name it and the place */
            struct statvfs fs;
            if (statvfs(dir, &fs) == 0 && fs.f_bavail == 0)
                return ol_fail(err, OL_EIO, "no space left on the device holding %s (ENOSPC): gnuplot could not write %s",
                               dir, out);
            return ol_fail(err, OL_EIO, "gnuplot ran %s.gp but wrote no %s", name, out);
        }
    }
    return OL_OK;
}

/* A gnuplot string literal: double quotes with \ and " escaped. */
static void gp_string(rp_buf *b, const char *s) {
    rp_printf(b, "\"");
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') rp_printf(b, "\\%c", *s);
        else if (*s == '\n') rp_printf(b, "\\n");
        else rp_printf(b, "%c", *s);
    }
    rp_printf(b, "\"");
}

static void preamble(rp_buf *gp, const char *name, const char *what, ol_report_lang lang) {
    rp_printf(gp,
              "# %s.gp — %s.\n"
              "# Draws %s.png and %s.svg from %s.dat: run `gnuplot %s.gp` in this directory.\n"
              "# Written by `optlab report`; edit freely (colours: the Okabe–Ito palette, safe for\n"
              "# colour-blind readers).\n"
              "set encoding utf8\n"
              "font = \"%s,13\"\n"
              "set terminal pngcairo size 800,500 noenhanced font font linewidth 1.2\n"
              "set output \"%s.png\"\n"
              "set border lw 1\n"
              "set grid lc rgb \"#d9d9d9\" lw 1\n"
              "set title font \",14\"\n"
              "# the key in its own band under the x label: it never covers data\n"
              "set key at screen 0.5, screen 0.015 center bottom horizontal Left reverse samplen 2 width 2 maxcols 2\n"

              "set tics out nomirror\n"
              "set datafile missing \"NaN\"\n",
              name, what, name, name, name, name, font_of(lang), name);
}

static void postamble(rp_buf *gp, const char *name) {
    rp_printf(gp,
              "set terminal svg size 800,500 noenhanced font font linewidth 1.2 background \"white\"\n"
              "set output \"%s.svg\"\n"
              "replot\n"
              "unset output\n",
              name);
}

/* Write NAME.dat and NAME.gp, and list NAME in the script that draws them all. */
static ol_status emit(const char *dir, const char *name, rp_buf *dat, rp_buf *gp, rp_buf *all, int *n_fig,
                      ol_error *err) {
    ol_status rc = write_file(dir, name, "dat", dat, err);
    if (!rc) rc = write_file(dir, name, "gp", gp, err);
    if (!rc) {
        rp_printf(all, "reset session\nload \"%s.gp\"\n", name);
        (*n_fig)++;
    }
    rp_buf_free(dat);
    rp_buf_free(gp);
    return rc;
}

/* y range (percent) covering values in [lo, hi], padded; clamped to [0, 100]. */
static void y_range(double lo, double hi, double *y0, double *y1) {
    double pad = 0.06 * (hi - lo);
    if (pad < 0.15) pad = 0.15;
    *y0 = lo - pad;
    *y1 = hi + pad;
    if (*y0 < 0) *y0 = 0;
    if (*y1 > 100) *y1 = 100;
    if (*y1 - *y0 < 0.3) *y1 = *y0 + 0.3;
}

static int no_value(const rp_trial *t) {
    return !t->has_value && (t->outcome == RP_FAILED || t->outcome == RP_DIVERGED);
}

/* Bounds (percent) of the completed values: all of them, or only those at or above the fence. */
static int value_bounds(const rp_study *s, int zoom, double *lo, double *hi) {
    int any = 0;
    for (size_t i = 0; i < s->n_trials; i++) {
        const rp_trial *t = &s->trials[i];
        if (!t->has_value || (zoom && t->value < s->fence)) continue;
        double v = 100.0 * t->value;
        if (!any || v < *lo) *lo = v;
        if (!any || v > *hi) *hi = v;
        any = 1;
    }
    return any;
}

/* Second title line of a zoomed figure: what was left out, and by which rule. */
static void hidden_note(char *out, size_t n, const rp_study *s, ol_report_lang lang) {
    char fence[32];
    rp_pct(fence, sizeof fence, s->fence);
    if (lang == OL_REPORT_KO)
        snprintf(out, n, "\n%s %% 미만 (Q1 − 1.5·IQR) Trial %d 개 표시 안 함", fence, s->n_outliers);
    else
        snprintf(out, n, "\n%d trial%s below %s %% (Q1 − 1.5·IQR) not shown", s->n_outliers,
                 s->n_outliers == 1 ? "" : "s", fence);
}

/* Room under the x label for the key: one row holds two entries. */
static void key_margin(rp_buf *gp, int n_entries) { rp_printf(gp, "set bmargin %s\n", n_entries > 2 ? "7.5" : "6"); }

/* Tick labels with one decimal when the axis spans only a few points. */
static void y_format(rp_buf *gp, double y0, double y1) {
    if (y1 - y0 < 4) rp_printf(gp, "set format y \"%%.1f\"\n");
    else rp_printf(gp, "set format y \"%%.0f\"\n");
}

/* y_format, and the height y_no_value at which the per-trial scatter plots
 * mark trials without a value (3 % above the axis' bottom). */
static void y_format_and_no_value(rp_buf *gp, double y0, double y1) {
    y_format(gp, y0, y1);
    rp_printf(gp, "y_no_value = %.6g  # where trials without a value are marked\n", y0 + 0.03 * (y1 - y0));
}

/* Series of the per-trial scatter plots (their .dat: column 3 the value of a
 * never-learning trial, column 4 > 0 for a trial without a value): the
 * never-learning trials if show_never, the trials without a value (at
 * y_no_value) if show_no_value. Each continues the current plot command. */
static void plot_never_and_no_value(rp_buf *gp, ol_report_lang lang, int show_never, int show_no_value) {
    if (show_never) {
        rp_printf(gp, ", \\\n     \"\" using 1:3 with points pt 9 ps 1.3 lc rgb \"" C_ORANGE "\" title ");
        gp_string(gp, rp_t(lang, RP_T_KEY_NEVER));
    }
    if (show_no_value) {
        rp_printf(gp, ", \\\n     \"\" using 1:($4 > 0 ? y_no_value : NaN) with points pt 2 ps 1.4 lw 2 lc rgb \"" C_BLACK
                       "\" title ");
        gp_string(gp, rp_t(lang, RP_T_KEY_FAILED));
    }
}

static ol_status trend_figure(const rp_study *s, int zoom, const ol_report_options *opt, const char *dir,
                              rp_buf *all, int *n_fig, ol_error *err) {
    ol_report_lang lang = opt->lang;
    char name[160];
    snprintf(name, sizeof name, "trend-%s%s", s->slug, zoom ? "-zoom" : "");
    rp_buf dat = {0}, gp = {0};
    rp_printf(&dat, "# %s: valid-trial accuracy per trial (%s)\n", s->label,
              zoom ? "zoomed to the trials above Tukey's lower fence" : "all trials");
    rp_printf(&dat, "# trial\tvalue_pct\tnever_learned_pct\tno_value\tbest_so_far_pct\toutcome\n");
    double best = NAN;
    int n_never = 0, n_novalue = 0;
    static const char *const outcome_names[] = {OL_TRIAL_STATUS_OK, OL_TRIAL_STATUS_NEVER_LEARNED, OL_TRIAL_STATUS_DIVERGED,
                                                  "failed", OL_TRIAL_STATUS_PRUNED, "unfinished"};
    for (size_t i = 0; i < s->n_trials; i++) {
        const rp_trial *t = &s->trials[i];
        if (t->has_value && (isnan(best) || t->value > best)) best = t->value;
        int never = t->has_value && t->outcome == RP_NEVER_LEARNED;
        n_never += never;
        n_novalue += no_value(t);
        rp_printf(&dat, "%d\t%.10g\t%.10g\t%d\t%.10g\t%s\n", t->number,
                  t->has_value && !never ? 100.0 * t->value : NAN, never ? 100.0 * t->value : NAN, no_value(t),
                  100.0 * best, outcome_names[t->outcome]);
    }
    double lo = 0, hi = 100, y0, y1;
    value_bounds(s, zoom, &lo, &hi);
    y_range(lo, hi, &y0, &y1);
    char what[300];
    snprintf(what, sizeof what, "%s: valid-trial accuracy of each trial and the best so far%s", s->label,
             zoom ? ", without outliers" : "");
    preamble(&gp, name, what, lang);
    char title[400], note[200] = "";
    if (zoom) hidden_note(note, sizeof note, s, lang);
    if (lang == OL_REPORT_KO)
        snprintf(title, sizeof title, "%s: HPO 정확도 추이 (Trial %zu 개%s)%s", s->label, s->n_trials,
                 zoom ? ", 이상치 제외" : "", note);
    else
        snprintf(title, sizeof title, "%s: accuracy over the HPO (%zu trials%s)%s", s->label, s->n_trials,
                 zoom ? ", without outliers" : "", note);
    rp_printf(&gp, "set title ");
    gp_string(&gp, title);
    rp_printf(&gp, "\nset xlabel ");
    gp_string(&gp, rp_t(lang, RP_T_AX_TRIAL));
    rp_printf(&gp, "\nset ylabel ");
    gp_string(&gp, rp_t(lang, RP_T_AX_VALID_TRIAL_ACC));
    int last = s->n_trials ? s->trials[s->n_trials - 1].number : 0;
    rp_printf(&gp, "\nset xrange [-1:%d]\nset yrange [%.6g:%.6g]\n", last + 1, y0, y1);
    y_format_and_no_value(&gp, y0, y1);
    int n_pruned = 0;
    for (size_t i = 0; i < s->n_trials; i++) n_pruned += s->trials[i].outcome == RP_PRUNED;
    key_margin(&gp, 2 + (n_never && !zoom) + (n_novalue > 0) + (n_pruned > 0));
    rp_printf(&gp, "plot \"%s.dat\" using 1:2 with points pt 7 ps 1.0 lc rgb \"" C_BLUE "\" title ", name);
    gp_string(&gp, rp_t(lang, RP_T_KEY_TRIAL));
    rp_printf(&gp, ", \\\n     \"\" using 1:5 with steps lw 2 lc rgb \"" C_VERMILLION "\" title ");
    gp_string(&gp, rp_t(lang, RP_T_KEY_BEST_SO_FAR));
    plot_never_and_no_value(&gp, lang, n_never && !zoom, n_novalue > 0);
    if (n_pruned) { /* column 6 is the outcome name */
        rp_printf(&gp, ", \\\n     \"\" using 1:(strcol(6) eq \"pruned\" ? y_no_value : NaN) with points pt 4 ps 1.2 lw 1.5 "
                       "lc rgb \"" C_GREY "\" title ");
        gp_string(&gp, rp_t(lang, RP_T_KEY_PRUNED));
    }
    rp_printf(&gp, "\n");
    postamble(&gp, name);
    return emit(dir, name, &dat, &gp, all, n_fig, err);
}

static ol_status param_figure(const rp_study *s, size_t pi, int zoom, const ol_report_options *opt, const char *dir,
                              rp_buf *all, int *n_fig, ol_error *err) {
    ol_report_lang lang = opt->lang;
    const rp_param *p = &s->params[pi];
    char pslug[96], name[200];
    rp_slug(pslug, sizeof pslug, p->name);
    snprintf(name, sizeof name, "param-%s-%s%s", s->slug, pslug, zoom ? "-zoom" : "");
    rp_buf dat = {0}, gp = {0};
    rp_printf(&dat, "# %s: valid-trial accuracy against %s (%s)\n", s->label, p->name,
              zoom ? "zoomed to the trials above Tukey's lower fence" : "all trials");
    rp_printf(&dat, "# %s\tvalue_pct\tnever_learned_pct\tno_value\tis_best\ttrial\n", p->name);
    int n_never = 0, n_novalue = 0;
    for (size_t i = 0; i < s->n_trials; i++) {
        const rp_trial *t = &s->trials[i];
        if (isnan(t->params[pi])) continue;
        int never = t->has_value && t->outcome == RP_NEVER_LEARNED;
        n_never += never;
        n_novalue += no_value(t);
        rp_printf(&dat, "%.10g\t%.10g\t%.10g\t%d\t%d\t%d\n", t->params[pi],
                  t->has_value && !never ? 100.0 * t->value : NAN, never ? 100.0 * t->value : NAN, no_value(t),
                  (int)i == s->best, t->number);
    }
    double lo = 0, hi = 100, y0, y1;
    value_bounds(s, zoom, &lo, &hi);
    y_range(lo, hi, &y0, &y1);
    char what[300];
    snprintf(what, sizeof what, "%s: valid-trial accuracy against %s%s", s->label, p->name,
             zoom ? ", without outliers" : "");
    preamble(&gp, name, what, lang);
    const char *label = rp_param_label(p->name);
    char title[400], xlabel[200], note[200] = "";
    if (zoom) hidden_note(note, sizeof note, s, lang);
    const char *scale_en = p->log_scale ? ", log scale" : "", *scale_ko = p->log_scale ? ", 로그 스케일" : "";
    if (lang == OL_REPORT_KO) {
        snprintf(title, sizeof title, "%s: %s 에 따른 성능 분포 (%s)%s", s->label, label,
                 zoom ? "이상치 제외" : "전체 Trial", note);
        snprintf(xlabel, sizeof xlabel, "%s (%s%s)", label, p->name, scale_ko);
    } else {
        snprintf(title, sizeof title, "%s: accuracy against %s (%s)%s", s->label, label,
                 zoom ? "without outliers" : "all trials", note);
        snprintf(xlabel, sizeof xlabel, "%s (%s%s)", label, p->name, scale_en);
    }
    rp_printf(&gp, "set title ");
    gp_string(&gp, title);
    rp_printf(&gp, "\nset xlabel ");
    gp_string(&gp, xlabel);
    rp_printf(&gp, "\nset ylabel ");
    gp_string(&gp, rp_t(lang, RP_T_AX_VALID_TRIAL_ACC));
    rp_printf(&gp, "\n");
    if (p->categorical) {
        rp_printf(&gp, "set xrange [-0.5:%zu.5]\nset xtics (", p->n_choices ? p->n_choices - 1 : 0);
        for (size_t k = 0; k < p->n_choices; k++) {
            if (k) rp_printf(&gp, ", ");
            gp_string(&gp, p->choices[k]);
            rp_printf(&gp, " %zu", k);
        }
        rp_printf(&gp, ")\n");
    } else if (p->log_scale && p->low > 0) {
        double f = pow(p->high / p->low, 0.03);
        rp_printf(&gp, "set logscale x 10\nset format x \"%%g\"\nset mxtics 10\nset xrange [%.10g:%.10g]\n",
                  p->low / f, p->high * f);
    } else {
        double pad = 0.03 * (p->high - p->low);
        rp_printf(&gp, "set xrange [%.10g:%.10g]\n", p->low - pad, p->high + pad);
    }
    rp_printf(&gp, "set yrange [%.6g:%.6g]\n", y0, y1);
    y_format_and_no_value(&gp, y0, y1);
    int has_best = s->best >= 0 && !isnan(s->trials[s->best].params[pi]);
    key_margin(&gp, 1 + (n_never && !zoom) + (n_novalue > 0) + has_best);
    rp_printf(&gp, "plot \"%s.dat\" using 1:2 with points pt 7 ps 1.0 lc rgb \"" C_BLUE "\" title ", name);
    gp_string(&gp, rp_t(lang, RP_T_KEY_TRIAL));
    plot_never_and_no_value(&gp, lang, n_never && !zoom, n_novalue > 0);
    if (has_best) {
        rp_printf(&gp, ", \\\n     \"\" using 1:($5 > 0 ? $2 : NaN) with points pt 13 ps 2.2 lc rgb \"" C_VERMILLION
                       "\" title ");
        gp_string(&gp, rp_t(lang, RP_T_KEY_BEST));
    }
    rp_printf(&gp, "\n");
    postamble(&gp, name);
    return emit(dir, name, &dat, &gp, all, n_fig, err);
}

static ol_status curves_figure(const rp_study *s, const ol_report_options *opt, const char *dir, rp_buf *all,
                               int *n_fig, ol_error *err) {
    ol_report_lang lang = opt->lang;
    const rp_trial *t = &s->trials[s->best];
    size_t n = t->n_valid_epoch > t->n_train_loss ? t->n_valid_epoch : t->n_train_loss;
    char name[160];
    snprintf(name, sizeof name, "curves-%s", s->slug);
    rp_buf dat = {0}, gp = {0};
    rp_printf(&dat, "# %s, trial %d (the best): per epoch, counted from 1\n", s->label, t->number);
    rp_printf(&dat, "# epoch\ttrain_loss\tvalid_epoch_accuracy_pct\n");
    for (size_t e = 0; e < n; e++)
        rp_printf(&dat, "%zu\t%.10g\t%.10g\n", e + 1, e < t->n_train_loss ? t->train_loss[e] : NAN,
                  e < t->n_valid_epoch ? 100.0 * t->valid_epoch[e] : NAN);
    char what[300];
    snprintf(what, sizeof what, "%s: learning curves of the best trial (%d)", s->label, t->number);
    preamble(&gp, name, what, lang);
    char title[300];
    if (lang == OL_REPORT_KO)
        snprintf(title, sizeof title, "%s: 최적 Trial (#%d) 의 학습 곡선", s->label, t->number);
    else
        snprintf(title, sizeof title, "%s: learning curves of the best trial (#%d)", s->label, t->number);
    rp_printf(&gp, "set title ");
    gp_string(&gp, title);
    rp_printf(&gp, "\nset xlabel ");
    gp_string(&gp, rp_t(lang, RP_T_AX_EPOCH));
    rp_printf(&gp, "\nset ylabel ");
    gp_string(&gp, rp_t(lang, RP_T_AX_TRAIN_LOSS));
    rp_printf(&gp, " tc rgb \"" C_BLUE "\"\nset y2label ");
    gp_string(&gp, rp_t(lang, RP_T_AX_VALID_EPOCH_ACC));
    rp_printf(&gp, " tc rgb \"" C_VERMILLION "\"\n"
                   "set ytics nomirror tc rgb \"" C_BLUE "\"\n"
                   "set y2tics tc rgb \"" C_VERMILLION "\"\n"
                   "set xrange [0.5:%zu.5]\n",
              n);
    if (n <= 20) rp_printf(&gp, "set xtics 1\n");
    int has_loss = 0, has_acc = 0;
    for (size_t e = 0; e < t->n_train_loss; e++) has_loss |= isfinite(t->train_loss[e]);
    for (size_t e = 0; e < t->n_valid_epoch; e++) has_acc |= isfinite(t->valid_epoch[e]);
    if (t->best_epoch >= 0)
        rp_printf(&gp, "set arrow 1 from %d, graph 0 to %d, graph 1 nohead dt 2 lw 1.5 lc rgb \"" C_BLACK "\"\n",
                  t->best_epoch + 1, t->best_epoch + 1);
    key_margin(&gp, has_loss + has_acc + (t->best_epoch >= 0));
    const char *sep = "plot ";
    if (has_loss) {
        rp_printf(&gp, "%s\"%s.dat\" using 1:2 axes x1y1 with linespoints pt 7 ps 0.7 lw 2 lc rgb \"" C_BLUE
                       "\" title ",
                  sep, name);
        gp_string(&gp, rp_t(lang, RP_T_AX_TRAIN_LOSS));
        sep = ", \\\n     ";
    }
    if (has_acc) {
        rp_printf(&gp, "%s\"%s.dat\" using 1:3 axes x1y2 with linespoints pt 5 ps 0.7 lw 2 lc rgb \"" C_VERMILLION
                       "\" title ",
                  sep, name);
        gp_string(&gp, rp_t(lang, RP_T_AX_VALID_EPOCH_ACC));
        sep = ", \\\n     ";
    }
    if (t->best_epoch >= 0) {
        rp_printf(&gp, "%skeyentry with lines dt 2 lw 1.5 lc rgb \"" C_BLACK "\" title ", sep);
        gp_string(&gp, rp_t(lang, RP_T_KEY_BEST_EPOCH));
    }
    rp_printf(&gp, "\n");
    postamble(&gp, name);
    return emit(dir, name, &dat, &gp, all, n_fig, err);
}

/* Per optimizer the R repetitions' values as dots, with their mean and 95 % CI (repeats.c's numbers). */
static ol_status repeats_figure(const rp_experiment *ex, rp_metric metric, const ol_report_options *opt,
                                const char *dir, rp_buf *all, int *n_fig, ol_error *err) {
    ol_report_lang lang = opt->lang;
    rp_rep_stats *rs = malloc(sizeof *rs);
    double *v = malloc(sizeof(double) * RP_MAX_REPS);
    if (!rs || !v) {
        free(rs);
        free(v);
        return ol_fail(err, OL_ENOMEM, "out of memory");
    }
    rp_rep_analyse(ex, metric, rs);
    /* name, what the dots are, the title (en, ko) and the y label (en, ko) of each metric */
    static const char *const text[][6] = {
        [RP_METRIC_TEST] = {"repeats-test", "test accuracy of each repetition's best trial",
                            "Test accuracy of the best trial", "최적 Trial 의 테스트 정확도", "test accuracy (%)",
                            "테스트 정확도 (%)"},
        [RP_METRIC_VALID] = {"repeats-valid", "best valid-trial accuracy of each repetition", "Best valid-trial accuracy",
                             "최고 Valid 정확도 (Trial 단위)", "valid-trial accuracy (%)", "Valid 정확도, Trial 단위 (%)"},
        [RP_METRIC_REEVAL_TEST] = {"repeats-reeval-test",
                                   "mean test accuracy over the seeds of each repetition's re-evaluated result",
                                   "Re-evaluated result's mean test accuracy", "재평가 결과의 시드 평균 테스트 정확도",
                                   "test accuracy, mean over seeds (%)", "테스트 정확도, 시드 평균 (%)"},
        [RP_METRIC_REEVAL_VALID] = {"repeats-reeval-valid",
                                    "mean valid-trial accuracy over the seeds of each repetition's re-evaluated result",
                                    "Re-evaluated result's mean valid-trial accuracy",
                                    "재평가 결과의 시드 평균 Valid 정확도", "valid-trial accuracy, mean over seeds (%)",
                                    "Valid 정확도, 시드 평균 (%)"},
    };
    const char *name = text[metric][0], *what_en = text[metric][1];
    rp_buf dat = {0}, gp = {0};
    rp_printf(&dat, "# %s, per optimizer, over %d repetitions\n", what_en, rs->n);
    rp_printf(&dat, "# block 0: x (optimizer index, spread by repetition)\tvalue_pct\trepetition\n");
    double lo = 100, hi = 0;
    for (size_t i = 0; i < rs->n_opt; i++) {
        rp_rep_values(ex, rs, i, v);
        for (int j = 0; j < rs->n; j++) {
            double x = (double)i + (rs->n > 1 ? 0.25 * ((double)j / (rs->n - 1) - 0.5) : 0);
            rp_printf(&dat, "%.4f\t%.10g\t%d\n", x, 100 * v[j], ex->rep_index[rs->reps[j]]);
            if (100 * v[j] < lo) lo = 100 * v[j];
            if (100 * v[j] > hi) hi = 100 * v[j];
        }
    }
    rp_printf(&dat, "\n\n# block 1: optimizer index\tmean_pct\tci_low_pct\tci_high_pct\n");
    for (size_t i = 0; i < rs->n_opt; i++) {
        double m = 100 * rs->mean[i], h = 100 * rs->half[i];
        rp_printf(&dat, "%zu\t%.10g\t%.10g\t%.10g\n", i, m, m - h, m + h);
        if (m - h < lo) lo = m - h;
        if (m + h > hi) hi = m + h;
    }
    double y0, y1;
    y_range(lo, hi, &y0, &y1);
    preamble(&gp, name, what_en, lang);
    char title[300];
    if (lang == OL_REPORT_KO)
        snprintf(title, sizeof title, "%s: 반복 %d 회", text[metric][3], rs->n);
    else
        snprintf(title, sizeof title, "%s over %d repetitions", text[metric][2], rs->n);
    rp_printf(&gp, "set title ");
    gp_string(&gp, title);
    rp_printf(&gp, "\nset ylabel ");
    gp_string(&gp, text[metric][lang == OL_REPORT_KO ? 5 : 4]);
    rp_printf(&gp, "\nset xrange [-0.5:%.1f]\nset yrange [%.6g:%.6g]\nset xtics (", rs->n_opt - 0.5, y0, y1);
    for (size_t i = 0; i < rs->n_opt; i++) {
        rp_printf(&gp, "%s", i ? ", " : "");
        gp_string(&gp, ex->studies[i].label);
        rp_printf(&gp, " %zu", i);
    }
    rp_printf(&gp, ")\n");
    y_format(&gp, y0, y1);
    key_margin(&gp, 2);
    rp_printf(&gp, "plot \"%s.dat\" index 0 using 1:2 with points pt 7 ps 1.1 lc rgb \"" C_BLUE "\" title ", name);
    gp_string(&gp, lang == OL_REPORT_KO ? "반복" : "repetition");
    rp_printf(&gp, ", \\\n     \"\" index 1 using 1:2:3:4 with yerrorbars pt 13 ps 1.8 lw 2 lc rgb \"" C_VERMILLION
                   "\" title ");
    gp_string(&gp, lang == OL_REPORT_KO ? "평균 ± 95 % 신뢰구간" : "mean ± 95 % CI");
    rp_printf(&gp, "\n");
    postamble(&gp, name);
    free(rs);
    free(v);
    return emit(dir, name, &dat, &gp, all, n_fig, err);
}

/*
 * The pruning comparison (pruning.c's pairs): per optimizer and repetition,
 * the baseline's and this experiment's test accuracy joined by a line
 * (pruning-test), and the epochs each trained (pruning-epochs).
 */
static ol_status pruning_figure(const rp_experiment *ex, int epochs, const ol_report_options *opt, const char *dir,
                                rp_buf *all, int *n_fig, ol_error *err) {
    ol_report_lang lang = opt->lang;
    int ko = lang == OL_REPORT_KO;
    const char *name = epochs ? "pruning-epochs" : "pruning-test";
    rp_buf dat = {0}, gp = {0};
    rp_printf(&dat, "# %s per optimizer and repetition: baseline %s against %s\n",
              epochs ? "epochs trained" : "test accuracy of the best trial", ex->baseline->experiment, ex->experiment);
    rp_printf(&dat, "# x (optimizer index, spread by repetition)\tbaseline\tthis\trepetition\n");
    double lo = epochs ? 0 : 100, hi = 0;
    for (size_t i = 0; i < ex->n_studies; i++) {
        rp_pair_set ps;
        if (rp_pruning_pairs(ex, i, &ps) == 0) continue;
        for (int r = 0; r < ps.n; r++) {
            const rp_rep_cell *c = rp_cell(ex, ps.reps[r], i), *cb = rp_cell(ex->baseline, ps.base_reps[r], (size_t)ps.j);
            double x = (double)i + (ps.n > 1 ? 0.5 * ((double)r / (ps.n - 1) - 0.5) : 0);
            double vb = epochs ? (double)cb->epochs : 100 * cb->test, va = epochs ? (double)c->epochs : 100 * c->test;
            rp_printf(&dat, "%.4f\t%.10g\t%.10g\t%d\n", x, vb, va, ex->rep_index[ps.reps[r]]);
            if (vb < lo) lo = vb;
            if (va < lo) lo = va;
            if (vb > hi) hi = vb;
            if (va > hi) hi = va;
        }
    }
    double y0, y1;
    if (epochs) {
        y0 = 0;
        y1 = hi > 0 ? hi * 1.1 : 1;
    } else {
        y_range(lo, hi, &y0, &y1);
    }
    preamble(&gp, name, epochs ? "epochs trained per repetition" : "test accuracy per repetition", lang);
    rp_printf(&gp, "set title ");
    char title[300];
    snprintf(title, sizeof title, ko ? "%s: 기준 %s 와 %s" : "%s: baseline %s and %s",
             epochs ? (ko ? "반복별 학습 Epoch" : "Epochs trained per repetition")
                    : (ko ? "반복별 최적 Trial 의 테스트 정확도" : "Test accuracy of each repetition's best trial"),
             ex->baseline->experiment, ex->experiment);
    gp_string(&gp, title);
    rp_printf(&gp, "\nset ylabel ");
    gp_string(&gp, epochs ? (ko ? "학습 Epoch (모든 Trial)" : "epochs trained (all trials)")
                          : (ko ? "테스트 정확도 (%)" : "test accuracy (%)"));
    rp_printf(&gp, "\nset xrange [-0.5:%.1f]\nset yrange [%.6g:%.6g]\nset xtics (", ex->n_studies - 0.5, y0, y1);
    for (size_t i = 0; i < ex->n_studies; i++) {
        rp_printf(&gp, "%s", i ? ", " : "");
        gp_string(&gp, ex->studies[i].label);
        rp_printf(&gp, " %zu", i);
    }
    rp_printf(&gp, ")\n");
    if (!epochs) y_format(&gp, y0, y1);
    key_margin(&gp, 2);
    rp_printf(&gp, "plot \"%s.dat\" using 1:2:(0):($3-$2) with vectors nohead lw 1 lc rgb \"" C_GREY "\" notitle, \\\n"
                   "     \"\" using 1:2 with points pt 7 ps 1.1 lc rgb \"" C_BLUE "\" title ", name);
    char key[300];
    snprintf(key, sizeof key, ko ? "기준 (%s)" : "baseline (%s)", ex->baseline->experiment);
    gp_string(&gp, key);
    rp_printf(&gp, ", \\\n     \"\" using 1:3 with points pt 5 ps 1.1 lc rgb \"" C_VERMILLION "\" title ");
    gp_string(&gp, ex->experiment);
    rp_printf(&gp, "\n");
    postamble(&gp, name);
    return emit(dir, name, &dat, &gp, all, n_fig, err);
}

/* Which figures a study gets — markdown.c asks the same questions to link them. */
int rp_has_zoom(const rp_study *s) { return s->n_outliers > 0; }

int rp_has_curves(const rp_study *s) {
    if (s->best < 0) return 0;
    const rp_trial *t = &s->trials[s->best];
    for (size_t e = 0; e < t->n_train_loss; e++)
        if (isfinite(t->train_loss[e])) return 1;
    for (size_t e = 0; e < t->n_valid_epoch; e++)
        if (isfinite(t->valid_epoch[e])) return 1;
    return 0;
}

/* ---- a generic study (not an optlab experiment): values in their own units ---- */

/* History: each complete trial's value and the best so far in the study's direction; the y axis
   follows the data (gnuplot's autoscale, padded), never a 0–100 % frame. */
static ol_status generic_history_figure(const rp_study *s, const ol_report_options *opt, const char *dir, rp_buf *all,
                                        int *n_fig, ol_error *err) {
    ol_report_lang lang = opt->lang;
    int ko = lang == OL_REPORT_KO;
    char name[160];
    snprintf(name, sizeof name, "history-%s", s->slug);
    rp_buf dat = {0}, gp = {0};
    rp_printf(&dat, "# study %s (%s): objective value per trial, as stored\n", s->label,
              s->maximize ? "maximize" : "minimize");
    rp_printf(&dat, "# trial\tvalue\tbest_so_far\n");
    double best = NAN;
    for (size_t i = 0; i < s->n_trials; i++) {
        const rp_trial *t = &s->trials[i];
        if (t->has_value && (isnan(best) || rp_better(s, t->value, best))) best = t->value;
        rp_printf(&dat, "%d\t%.17g\t%.17g\n", t->number, t->has_value ? t->value : NAN, best);
    }
    char what[300], title[400];
    snprintf(what, sizeof what, "study %s: objective value of each trial and the best so far", s->label);
    preamble(&gp, name, what, lang);
    if (ko)
        snprintf(title, sizeof title, "%s: 목적 함수 값의 추이 (Trial %zu 개, %s)", s->label, s->n_trials,
                 s->maximize ? "최대화" : "최소화");
    else
        snprintf(title, sizeof title, "%s: objective value over the trials (%zu trials, %s)", s->label, s->n_trials,
                 s->maximize ? "maximize" : "minimize");
    rp_printf(&gp, "set title ");
    gp_string(&gp, title);
    rp_printf(&gp, "\nset xlabel ");
    gp_string(&gp, rp_t(lang, RP_T_AX_TRIAL));
    rp_printf(&gp, "\nset ylabel ");
    gp_string(&gp, ko ? "목적 함수 값" : "objective value");
    int last = s->n_trials ? s->trials[s->n_trials - 1].number : 0;
    rp_printf(&gp, "\nset xrange [-1:%d]\nset autoscale y\nset offsets 0, 0, graph 0.05, graph 0.05\n", last + 1);
    key_margin(&gp, 2);
    rp_printf(&gp, "plot \"%s.dat\" using 1:2 with points pt 7 ps 1.0 lc rgb \"" C_BLUE "\" title ", name);
    gp_string(&gp, rp_t(lang, RP_T_KEY_TRIAL));
    rp_printf(&gp, ", \\\n     \"\" using 1:3 with steps lw 2 lc rgb \"" C_VERMILLION "\" title ");
    gp_string(&gp, rp_t(lang, RP_T_KEY_BEST_SO_FAR));
    rp_printf(&gp, "\n");
    postamble(&gp, name);
    return emit(dir, name, &dat, &gp, all, n_fig, err);
}

/* Slice: the value against one parameter (log x for a log-searched one; a categorical's choices as
   x tics), the best trial marked. */
static ol_status generic_slice_figure(const rp_study *s, size_t pi, const ol_report_options *opt, const char *dir,
                                      rp_buf *all, int *n_fig, ol_error *err) {
    ol_report_lang lang = opt->lang;
    int ko = lang == OL_REPORT_KO;
    const rp_param *p = &s->params[pi];
    char pslug[96], name[200];
    rp_slug(pslug, sizeof pslug, p->name);
    snprintf(name, sizeof name, "slice-%s-%s", s->slug, pslug);
    rp_buf dat = {0}, gp = {0};
    rp_printf(&dat, "# study %s: objective value against %s\n# %s\tvalue\tis_best\ttrial\n", s->label, p->name,
              p->name);
    for (size_t i = 0; i < s->n_trials; i++) {
        const rp_trial *t = &s->trials[i];
        if (!t->has_value || isnan(t->params[pi])) continue;
        rp_printf(&dat, "%.17g\t%.17g\t%d\t%d\n", t->params[pi], t->value, (int)i == s->best, t->number);
    }
    char what[300], title[400];
    snprintf(what, sizeof what, "study %s: objective value against %s", s->label, p->name);
    preamble(&gp, name, what, lang);
    snprintf(title, sizeof title, ko ? "%s: %s 에 따른 목적 함수 값" : "%s: objective value against %s", s->label,
             p->name);
    rp_printf(&gp, "set title ");
    gp_string(&gp, title);
    rp_printf(&gp, "\nset xlabel ");
    gp_string(&gp, p->name);
    rp_printf(&gp, "\nset ylabel ");
    gp_string(&gp, ko ? "목적 함수 값" : "objective value");
    rp_printf(&gp, "\nset autoscale y\nset offsets graph 0.03, graph 0.03, graph 0.05, graph 0.05\n");
    if (p->categorical) {
        rp_printf(&gp, "set xrange [-0.5:%zu.5]\nset xtics (", p->n_choices ? p->n_choices - 1 : 0);
        for (size_t c = 0; c < p->n_choices; c++) {
            rp_printf(&gp, "%s", c ? ", " : "");
            gp_string(&gp, p->choices[c]);
            rp_printf(&gp, " %zu", c);
        }
        rp_printf(&gp, ")\n");
    } else if (p->log_scale && p->low > 0) {
        rp_printf(&gp, "set logscale x\nset xrange [%.6g:%.6g]\n", p->low, p->high);
    } else if (p->high > p->low) {
        rp_printf(&gp, "set xrange [%.6g:%.6g]\n", p->low, p->high);
    }
    key_margin(&gp, 2);
    rp_printf(&gp, "plot \"%s.dat\" using 1:2 with points pt 7 ps 1.0 lc rgb \"" C_BLUE "\" title ", name);
    gp_string(&gp, rp_t(lang, RP_T_KEY_TRIAL));
    rp_printf(&gp, ", \\\n     \"\" using 1:($3 > 0 ? $2 : NaN) with points pt 7 ps 2.0 lc rgb \"" C_ORANGE "\" title ");
    gp_string(&gp, rp_t(lang, RP_T_KEY_BEST));
    rp_printf(&gp, "\n");
    postamble(&gp, name);
    return emit(dir, name, &dat, &gp, all, n_fig, err);
}

ol_status rp_write_figures(const rp_experiment *ex, const ol_report_options *opt, const char *dir,
                           const char *gnuplot, int *n_figures, ol_error *err) {
    *n_figures = 0;
    ol_status rc = OL_OK;
    /* one gnuplot process draws them all (its start-up costs more than a figure) */
    rp_buf all = {0};
    rp_printf(&all, "# redraw-all.gp — redraws every figure of this report: run `gnuplot redraw-all.gp` here.\n"
                    "# Each figure's own script (NAME.gp) redraws just that one.\n");
    for (size_t i = 0; i < ex->n_studies && !rc && ex->generic; i++) {
        const rp_study *s = &ex->studies[i];
        rc = generic_history_figure(s, opt, dir, &all, n_figures, err);
        for (size_t p = 0; p < s->n_params && !rc; p++) rc = generic_slice_figure(s, p, opt, dir, &all, n_figures, err);
    }
    for (size_t i = 0; i < ex->n_studies && !rc && !ex->generic; i++) {
        const rp_study *s = &ex->studies[i];
        if (s->best < 0) continue; /* nothing completed: the text says so, no empty figures */
        rc = trend_figure(s, 0, opt, dir, &all, n_figures, err);
        if (!rc && rp_has_zoom(s)) rc = trend_figure(s, 1, opt, dir, &all, n_figures, err);
        for (size_t p = 0; p < s->n_params && !rc; p++) {
            rc = param_figure(s, p, 0, opt, dir, &all, n_figures, err);
            if (!rc && rp_has_zoom(s)) rc = param_figure(s, p, 1, opt, dir, &all, n_figures, err);
        }
        if (!rc && rp_has_curves(s)) rc = curves_figure(s, opt, dir, &all, n_figures, err);
    }
    if (!rc && ex->n_reps >= 2 && rp_has_repetitions(ex)) {
        rc = repeats_figure(ex, RP_METRIC_VALID, opt, dir, &all, n_figures, err);
        rp_rep_stats *rs = malloc(sizeof *rs);
        if (!rs) rc = ol_fail(err, OL_ENOMEM, "out of memory");
        else if (!rc && rp_rep_analyse(ex, RP_METRIC_TEST, rs) >= 2)
            rc = repeats_figure(ex, RP_METRIC_TEST, opt, dir, &all, n_figures, err);
        /* issue 17.5: the repetitions' re-evaluated results (repeats.c links it when it is drawn) */
        if (rs && !rc && rp_rep_analyse(ex, RP_METRIC_REEVAL_TEST, rs) >= 2)
            rc = repeats_figure(ex, RP_METRIC_REEVAL_TEST, opt, dir, &all, n_figures, err);
        free(rs);
    }
    if (!rc && ex->baseline) {
        int pairs = 0;
        for (size_t i = 0; i < ex->n_studies; i++) {
            rp_pair_set ps;
            pairs += rp_pruning_pairs(ex, i, &ps);
        }
        if (pairs) rc = pruning_figure(ex, 0, opt, dir, &all, n_figures, err);
        if (!rc && pairs) rc = pruning_figure(ex, 1, opt, dir, &all, n_figures, err);
        if (!rc && pairs) rc = rp_pruning_best_so_far_figure(ex, opt, dir, &all, n_figures, err);
    }
    if (!rc && !ex->generic) rc = rp_never_learn_figures(ex, opt, dir, &all, n_figures, err);
    if (!rc && !ex->generic && rp_has_luck(ex)) rc = rp_luck_figures(ex, opt, dir, &all, n_figures, err);
    if (!rc) rc = write_file(dir, "redraw-all", "gp", &all, err);
    if (!rc) rc = run_gnuplot(dir, "redraw-all", gnuplot, err);
    /* every figure listed must now exist in both formats */
    for (const char *line = all.s; !rc && line && (line = strstr(line, "load \"")); line++) {
        char name[256];
        line += 6;
        size_t n = strcspn(line, ".");
        snprintf(name, sizeof name, "%.*s", (int)(n < sizeof name ? n : sizeof name - 1), line);
        rc = check_drawn(dir, name, err);
    }
    rp_buf_free(&all);
    return rc;
}

/* ---- the helpers other figure writers share (luck.c) ---- */
void rp_fig_begin(rp_buf *gp, const char *name, const char *what, ol_report_lang lang) { preamble(gp, name, what, lang); }
void rp_fig_end(rp_buf *gp, const char *name) { postamble(gp, name); }
ol_status rp_fig_emit(const char *dir, const char *name, rp_buf *dat, rp_buf *gp, rp_buf *all, int *n_fig,
                      ol_error *err) {
    return emit(dir, name, dat, gp, all, n_fig, err);
}
void rp_gp_string(rp_buf *b, const char *s) { gp_string(b, s); }
void rp_y_range(double lo, double hi, double *y0, double *y1) { y_range(lo, hi, y0, y1); }

/* The helpers above, for the figures of `optlab paths` (src/paths/figures.c). */
ol_status rp_fig_write(const char *dir, const char *name, const char *ext, const rp_buf *b, ol_error *err) {
    return write_file(dir, name, ext, b, err);
}
ol_status rp_fig_gnuplot(const char *dir, const char *name, const char *gnuplot, ol_error *err) {
    return run_gnuplot(dir, name, gnuplot, err);
}
ol_status rp_fig_check(const char *dir, const char *name, ol_error *err) { return check_drawn(dir, name, err); }
void rp_fig_string(rp_buf *b, const char *s) { gp_string(b, s); }
