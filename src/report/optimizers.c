/*
 * optimizers.c — the report's "optimizers" section (the seed note's section 2,
 * computed): read from the output directory of `optlab paths` (its paths.tsv
 * and its figures), never recomputed, so the report stays fast. The overlay
 * figure of each surface is copied into the report's figures/ with its .dat
 * and .gp, so the report stays whole when moved; the table gives, per
 * optimizer and surface, the steps to within 1e-3 of the minimum with exact
 * gradients (or the final distance when it never got there).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_internal.h"

#define MAX_ROWS 4096
#define MAX_COLS 16

typedef struct {
    char *text;                /* paths.tsv, split in place */
    size_t n;
    char *surface[MAX_ROWS], *label[MAX_ROWS];
    int steps[MAX_ROWS], steps_noisy[MAX_ROWS];
    double lr[MAX_ROWS], final[MAX_ROWS], final_noisy[MAX_ROWS];
    int budget, n_steps;
    double noise;
} paths_table;

static ol_status load(const char *dir, paths_table *t, ol_error *err) {
    char path[4096];
    snprintf(path, sizeof path, "%s/paths.tsv", dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return ol_fail(err, errno == ENOENT ? OL_ENOTFOUND : OL_EIO,
                       "cannot read %s: %s (give --paths the directory `optlab paths --out` wrote)", path,
                       strerror(errno));
    size_t cap = 1 << 16, len = 0;
    t->text = malloc(cap);
    for (size_t r; t->text && (r = fread(t->text + len, 1, cap - len - 1, f)) > 0;) {
        len += r;
        if (len + 1 == cap) t->text = realloc(t->text, cap *= 2);
    }
    fclose(f);
    if (!t->text) return ol_fail(err, OL_ENOMEM, "out of memory reading %s", path);
    t->text[len] = '\0';
    char *save = NULL, *line = strtok_r(t->text, "\n", &save);
    if (!line || strncmp(line, "surface\toptimizer\tlabel\tlearning_rate", 37))
        return ol_fail(err, OL_EFORMAT, "%s is not a paths table written by `optlab paths` (first line '%.60s')", path,
                       line ? line : "");
    int lineno = 1;
    while ((line = strtok_r(NULL, "\n", &save)) && t->n < MAX_ROWS) {
        lineno++;
        char *cols[13], *s2 = NULL;
        int k = 0;
        for (char *c = strtok_r(line, "\t", &s2); c && k < 13; c = strtok_r(NULL, "\t", &s2)) cols[k++] = c;
        if (k != 13) return ol_fail(err, OL_EFORMAT, "%s line %d: %d columns, expected 13", path, lineno, k);
        size_t i = t->n++;
        t->surface[i] = cols[0];
        t->label[i] = cols[2];
        t->lr[i] = strtod(cols[3], NULL);
        t->steps[i] = atoi(cols[5]);
        t->final[i] = strtod(cols[6], NULL);
        t->steps_noisy[i] = atoi(cols[7]);
        t->final_noisy[i] = strtod(cols[8], NULL);
        t->budget = atoi(cols[9]);
        t->n_steps = atoi(cols[10]);
        t->noise = strtod(cols[11], NULL);
    }
    if (!t->n) return ol_fail(err, OL_EFORMAT, "%s has no rows", path);
    return OL_OK;
}

static ol_status copy_file(const char *from, const char *to, ol_error *err) {
    FILE *in = fopen(from, "rb");
    if (!in) return ol_fail(err, OL_EIO, "cannot read %s: %s", from, strerror(errno));
    FILE *out = fopen(to, "wb");
    if (!out) {
        fclose(in);
        return ol_fail(err, OL_EIO, "cannot create %s: %s", to, strerror(errno));
    }
    char buf[1 << 15];
    int bad = 0;
    for (size_t r; (r = fread(buf, 1, sizeof buf, in)) > 0;)
        if (fwrite(buf, 1, r, out) != r) bad = 1;
    if (ferror(in)) bad = 1;
    fclose(in);
    if (fclose(out) != 0) bad = 1;
    return bad ? ol_fail(err, OL_EIO, "cannot copy %s to %s", from, to) : OL_OK;
}

static void cell(rp_buf *b, int steps, double final, int ko) {
    if (steps >= 0) rp_printf(b, " %d |", steps);
    else if (isnan(final)) rp_printf(b, ko ? " 발산 |" : " diverged |");
    else rp_printf(b, " (%.2g) |", final);
}

ol_status rp_write_paths_section(const char *paths_dir, const char *report_dir, ol_report_lang lang,
                                 ol_error *err) {
    paths_table *t = calloc(1, sizeof *t);
    if (!t) return ol_fail(err, OL_ENOMEM, "out of memory");
    ol_status rc = load(paths_dir, t, err);
    const char *surf[MAX_COLS];
    size_t ns = 0;
    for (size_t i = 0; !rc && i < t->n; i++) {
        size_t k = 0;
        while (k < ns && strcmp(surf[k], t->surface[i])) k++;
        if (k == ns && ns < MAX_COLS) surf[ns++] = t->surface[i];
    }
    int ko = lang == OL_REPORT_KO;
    rp_buf b = {0};
    if (!rc) {
        rp_printf(&b, ko ? "\n## Optimizer 의 경로: 2-D 곡면 위에서 (2장, 계산으로)\n\n"
                         : "\n## Optimizers: their paths on 2-D surfaces (the seed note's section 2, computed)\n\n");
        rp_printf(&b,
                  ko ? "`optlab paths` 의 결과 (`%s`). 각 Optimizer 의 learning rate 는 곡면마다 TPE Trial %d 개로 "
                       "조정했고, %d step 을 진행했다. 칸: 최소점에서 1e-3 이내에 처음 들어간 step (정확한 gradient); "
                       "들어가지 못했으면 괄호 안에 마지막 거리. 표준편차 %g 의 gradient 잡음을 더한 결과와 그림 전체는 "
                       "`%s/README.md` 에 있다.\n\n"
                     : "From `optlab paths` (`%s`). Each optimizer's learning rate was tuned per surface by %d TPE "
                       "trials; each path has %d steps. Cell: the first step within 1e-3 of the minimum with exact "
                       "gradients; in parentheses, the final distance when it never got there. The runs with gradient "
                       "noise (standard deviation %g) and every figure are in `%s/README.md`.\n\n",
                  paths_dir, t->budget, t->n_steps, t->noise, paths_dir);
        rp_printf(&b, ko ? "| Optimizer |" : "| Optimizer |");
        for (size_t k = 0; k < ns; k++) rp_printf(&b, " %s |", surf[k]);
        rp_printf(&b, "\n|---|");
        for (size_t k = 0; k < ns; k++) rp_printf(&b, "---:|");
        rp_printf(&b, "\n");
        /* rows in the order of the table, one per optimizer (the first surface's rows) */
        for (size_t i = 0; i < t->n; i++) {
            if (strcmp(t->surface[i], surf[0])) continue;
            rp_printf(&b, "| %s |", t->label[i]);
            for (size_t k = 0; k < ns; k++) {
                size_t j = 0;
                while (j < t->n && (strcmp(t->surface[j], surf[k]) || strcmp(t->label[j], t->label[i]))) j++;
                if (j < t->n) cell(&b, t->steps[j], t->final[j], ko);
                else rp_printf(&b, " |");
            }
            rp_printf(&b, "\n");
        }
        for (size_t k = 0; k < ns && !rc; k++) {
            char name[128];
            snprintf(name, sizeof name, "surface-%s", surf[k]);
            static const char *const ext[] = {"png", "svg", "dat", "gp"};
            for (int e = 0; e < 4 && !rc; e++) {
                char from[4096], to[4096];
                snprintf(from, sizeof from, "%s/figures/%s.%s", paths_dir, name, ext[e]);
                snprintf(to, sizeof to, "%s/figures/%s.%s", report_dir, name, ext[e]);
                rc = copy_file(from, to, err);
            }
            if (!rc) rp_printf(&b, "\n![%s](figures/%s.png)\n", surf[k], name);
        }
    }
    if (!rc) {
        char readme[4096];
        snprintf(readme, sizeof readme, "%s/README.md", report_dir);
        FILE *f = fopen(readme, "a");
        if (!f || b.failed || fwrite(b.s, 1, b.len, f) != b.len) rc = ol_fail(err, OL_EIO, "cannot write %s", readme);
        if (f && fclose(f) != 0 && !rc) rc = ol_fail(err, OL_EIO, "cannot write %s", readme);
    }
    rp_buf_free(&b);
    free(t->text);
    free(t);
    return rc;
}
