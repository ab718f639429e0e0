/*
 * report.c — the report layer's entry points. Loads the experiment (model.c)
 * before touching the file system, so a storage problem creates nothing; then
 * builds the whole report in a temporary directory beside DIR (figures.c,
 * markdown.c; generic.c for a study that is not an optlab experiment) and swaps it into place with rename(2) only when every file is
 * written. A failure removes the temporary directory and leaves DIR as it was.
 * A report replaces only a report: DIR must be absent, empty, or hold the
 * .optlab-report marker a previous report left there.
 */
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <time.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>

#include "report_internal.h"

#define MARKER ".optlab-report"

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void rp_remove_tree(const char *path) { nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS); }

/* The file in a report's temporary directory naming the process that writes it. */
#define OWNER_FILE ".optlab-report-writer"

/*
 * Remove what killed reports left beside DIR: .DIR.tmp-* directories whose writer
 * (OWNER_FILE: its pid) no longer runs, or that have no owner file and are over an
 * hour old (killed before writing it), and .DIR.old-* ones over an hour old (a
 * previous report that a killed swap left aside). A report being written by a live
 * process is never touched.
 */
static void remove_stale(const char *parent, const char *base, const char *mine) {
    DIR *d = opendir(parent);
    if (!d) return;
    char tmp_prefix[NAME_MAX + 16], old_prefix[NAME_MAX + 16];
    snprintf(tmp_prefix, sizeof tmp_prefix, ".%s.tmp-", base);
    snprintf(old_prefix, sizeof old_prefix, ".%s.old-", base);
    time_t now = time(NULL);
    for (struct dirent *e; (e = readdir(d));) {
        int is_tmp = !strncmp(e->d_name, tmp_prefix, strlen(tmp_prefix)),
            is_old = !strncmp(e->d_name, old_prefix, strlen(old_prefix));
        if (!is_tmp && !is_old) continue;
        char path[PATH_MAX + NAME_MAX + 32], owner[sizeof path + 32];
        snprintf(path, sizeof path, "%s/%s", parent, e->d_name);
        if (!strcmp(path, mine)) continue;
        struct stat sb;
        if (lstat(path, &sb) != 0 || !S_ISDIR(sb.st_mode)) continue;
        int stale = now - sb.st_mtime > 3600;
        snprintf(owner, sizeof owner, "%s/" OWNER_FILE, path);
        FILE *f = is_tmp ? fopen(owner, "r") : NULL;
        long pid = 0;
        if (f) {
            if (fscanf(f, "%ld", &pid) == 1 && pid > 0) stale = kill((pid_t)pid, 0) != 0 && errno == ESRCH;
            fclose(f);
        }
        if (stale) rp_remove_tree(path);
    }
    closedir(d);
}

int rp_classify_out_dir(const char *dir, const char *marker_file, const char *noun, ol_error *err) {
    struct stat sb;
    if (lstat(dir, &sb) != 0) {
        if (errno == ENOENT) return 0;
        ol_fail(err, OL_EIO, "cannot examine %s%s: %s", noun, dir, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(sb.st_mode)) {
        ol_fail(err, OL_EINVAL, "%s%s exists and is not a directory", noun, dir);
        return -1;
    }
    char marker[PATH_MAX + NAME_MAX + 2];
    snprintf(marker, sizeof marker, "%s/%s", dir, marker_file);
    if (access(marker, F_OK) == 0) return 2;
    DIR *d = opendir(dir);
    if (!d) {
        ol_fail(err, OL_EIO, "cannot read %s%s: %s", noun, dir, strerror(errno));
        return -1;
    }
    int empty = 1;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) empty = 0;
    closedir(d);
    return empty ? 1 : 3;
}

/* 0: absent, 1: empty directory, 2: a previous report, -1: something else (err set). */
static int classify_out_dir(const char *dir, ol_error *err) {
    int kind = rp_classify_out_dir(dir, MARKER, "report directory ", err);
    if (kind != 3) return kind;
    ol_fail(err, OL_EINVAL,
            "%s exists and is not an optlab report (no %s file in it); choose another --out or move it away", dir,
            MARKER);
    return -1;
}

/* Split "a/b/report/" into parent "a/b" and base "report". */
static ol_status split_dir(const char *out, char *parent, size_t np, char *base, size_t nb, ol_error *err) {
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s", out) >= (int)sizeof tmp)
        return ol_fail(err, OL_EINVAL, "report directory name is too long: %.100s...", out);
    size_t n = strlen(tmp);
    while (n > 1 && tmp[n - 1] == '/') tmp[--n] = '\0';
    if (!strcmp(tmp, "/") || !strcmp(tmp, ".") || !strcmp(tmp, "..") || n == 0)
        return ol_fail(err, OL_EINVAL, "'%s' cannot be a report directory (name a directory to create, e.g. report)",
                       out);
    char *slash = strrchr(tmp, '/');
    const char *b = slash ? slash + 1 : tmp;
    if (!strcmp(b, ".") || !strcmp(b, ".."))
        return ol_fail(err, OL_EINVAL, "'%s' cannot be a report directory (name a directory to create)", out);
    if (strlen(b) >= nb) return ol_fail(err, OL_EINVAL, "report directory name '%s' is too long", b);
    memcpy(base, b, strlen(b) + 1);
    if (!slash) snprintf(parent, np, ".");
    else if (slash == tmp) snprintf(parent, np, "/");
    else {
        *slash = '\0';
        snprintf(parent, np, "%s", tmp);
    }
    return OL_OK;
}

ol_status rp_load_baseline(ol_storage *st, const ol_report_options *opt, rp_experiment *ex, const char *baseline,
                           ol_error *err) {
    if (ex->generic)
        return ol_fail(err, OL_EINVAL, "'%s' is a study, not an optlab experiment: --baseline compares experiments",
                       ex->experiment);
    if (!strcmp(baseline, ex->experiment))
        return ol_fail(err, OL_EINVAL, "the baseline '%s' is the experiment being reported: name another one",
                       baseline);
    if (!(ex->baseline = malloc(sizeof *ex->baseline))) return ol_fail(err, OL_ENOMEM, "out of memory");
    ol_report_options bo = *opt;
    bo.experiment = baseline;
    bo.baseline = NULL;
    bo.only = NULL; /* the baseline keeps every study: it is paired by name with the chosen ones */
    ol_status rc = rp_load(st, &bo, ex->baseline, err);
    if (rc) {
        free(ex->baseline);
        ex->baseline = NULL;
    }
    return rc;
}

ol_status ol_report_write(ol_storage *st, const ol_report_options *opt_in, ol_report_summary *summary,
                          ol_error *err) {
    ol_report_options opt = opt_in ? *opt_in : (ol_report_options){0};
    if (!opt.out_dir || !*opt.out_dir) opt.out_dir = "report";
    if (opt.lang != OL_REPORT_EN && opt.lang != OL_REPORT_KO)
        return ol_fail(err, OL_EINVAL, "report language %d is neither English nor Korean", (int)opt.lang);
    const char *gnuplot = opt.gnuplot;
    if (!gnuplot || !*gnuplot) gnuplot = getenv("OPTLAB_GNUPLOT");
    if (!gnuplot || !*gnuplot) gnuplot = "gnuplot";
    if (summary) memset(summary, 0, sizeof *summary);

    char parent[PATH_MAX], base[NAME_MAX + 1];
    ol_status rc = split_dir(opt.out_dir, parent, sizeof parent, base, sizeof base, err);
    if (rc) return rc;
    int existing = classify_out_dir(opt.out_dir, err);
    if (existing < 0) return err ? err->status : OL_EINVAL;

    rp_experiment ex;
    rc = rp_load(st, &opt, &ex, err);
    if (rc) return rc;
    if (opt.baseline && *opt.baseline && (rc = rp_load_baseline(st, &opt, &ex, opt.baseline, err))) {
        rp_free(&ex);
        return rc;
    }

    char tmp[PATH_MAX + NAME_MAX + 32], figures[sizeof tmp + 32], readme[sizeof tmp + 32], marker[sizeof tmp + 32];
    snprintf(tmp, sizeof tmp, "%s/.%s.tmp-XXXXXX", parent, base);
    if (!mkdtemp(tmp)) {
        rc = ol_fail(err, OL_EIO, "cannot create a temporary directory in %s for the report: %s", parent,
                     strerror(errno));
        rp_free(&ex);
        return rc;
    }
    chmod(tmp, 0755); /* mkdtemp makes it private; a report is for reading */
    char owner[sizeof tmp + 32];
    snprintf(owner, sizeof owner, "%s/" OWNER_FILE, tmp);
    FILE *of = fopen(owner, "w");
    if (of) {
        fprintf(of, "%ld\n", (long)getpid());
        fclose(of);
    }
    remove_stale(parent, base, tmp);
    snprintf(figures, sizeof figures, "%s/figures", tmp);
    snprintf(readme, sizeof readme, "%s/README.md", tmp);
    snprintf(marker, sizeof marker, "%s/" MARKER, tmp);
    int n_figures = 0;
    if (mkdir(figures, 0755) != 0) rc = ol_fail(err, OL_EIO, "cannot create %s: %s", figures, strerror(errno));
    if (!rc) rc = rp_write_figures(&ex, &opt, figures, gnuplot, &n_figures, err);
    if (!rc && ex.generic) rc = rp_write_generic_markdown(&ex, &opt, ol_storage_url(st), readme, err);
    else if (!rc) rc = rp_write_markdown(&ex, &opt, ol_storage_url(st), readme, err);
    if (!rc && opt.paths_dir && *opt.paths_dir) rc = rp_write_paths_section(opt.paths_dir, tmp, opt.lang, err);
    if (!rc) {
        FILE *f = fopen(marker, "w");
        if (!f || fputs("This directory was written by `optlab report`; the next report replaces it whole.\n", f) < 0)
            rc = ol_fail(err, OL_EIO, "cannot write %s", marker);
        if (f && fclose(f) != 0 && !rc) rc = ol_fail(err, OL_EIO, "cannot write %s", marker);
    }
    unlink(owner); /* the report is complete: nothing in it marks a writer any more */
    /* swap into place: old report aside, new one in, old one removed */
    char old[PATH_MAX + NAME_MAX + 32] = "";
    if (!rc && existing) {
        snprintf(old, sizeof old, "%s/.%s.old-XXXXXX", parent, base);
        if (!mkdtemp(old) || rename(opt.out_dir, old) != 0) {
            rc = ol_fail(err, OL_EIO, "cannot move the previous report %s aside: %s", opt.out_dir, strerror(errno));
            if (old[0]) rmdir(old);
            old[0] = '\0';
        }
    }
    if (!rc && rename(tmp, opt.out_dir) != 0) {
        rc = ol_fail(err, OL_EIO, "cannot move the new report into %s: %s", opt.out_dir, strerror(errno));
        if (old[0] && rename(old, opt.out_dir) == 0) old[0] = '\0';
    }
    if (rc) rp_remove_tree(tmp);
    if (old[0]) rp_remove_tree(old);
    if (!rc && summary) {
        snprintf(summary->experiment, sizeof summary->experiment, "%s", ex.experiment);
        summary->n_experiments = ex.n_experiments;
        snprintf(summary->others, sizeof summary->others, "%s", ex.others);
        summary->n_repetitions = ex.n_repetitions;
        summary->repetition = ex.repetition;
        summary->n_optimizers = (int)ex.n_studies;
        for (size_t i = 0; i < ex.n_studies; i++) summary->n_trials += (int)ex.studies[i].n_trials;
        summary->n_figures = n_figures;
        summary->generic = ex.generic;
        summary->maximize = ex.n_studies ? ex.studies[0].maximize : 1;
        snprintf(summary->readme_path, sizeof summary->readme_path, "%s/README.md", opt.out_dir);
    }
    rp_free(&ex);
    return rc;
}

ol_status ol_report_write_url(const char *url, const ol_report_options *opt, ol_report_summary *summary,
                              ol_error *err) {
    if (!url || !*url) return ol_fail(err, OL_EINVAL, "storage URL is empty (try sqlite:///optlab.db)");
    ol_storage *st = NULL;
    /* opening would create an empty database; a report of nothing is a mistake in the URL */
    ol_status rc = ol_storage_open_flags(&st, url, OL_STORAGE_OPEN_EXISTING, err);
    if (rc) return rc;
    rc = ol_report_write(st, opt, summary, err);
    ol_storage_close(st);
    return rc;
}
