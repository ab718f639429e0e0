/*
 * Progress display for long work: a redrawn bar with ETA on a terminal, plain
 * lines when output goes to a file or pipe. Called only from the CLI layer.
 */
#include "optlab/core.h"

#include <string.h>
#include <unistd.h>

void ol_progress_start(ol_progress *p, FILE *out, const char *label, long total) {
    memset(p, 0, sizeof *p);
    p->out = out;
    p->is_tty = out && isatty(fileno(out));
    p->started = ol_now();
    p->total = total > 0 ? total : 1;
    snprintf(p->label, sizeof p->label, "%s", label ? label : "");
}

static void format_seconds(char *buf, size_t n, double s) {
    if (s < 0) s = 0;
    long t = (long)(s + 0.5);
    if (t >= 3600) snprintf(buf, n, "%ldh%02ldm", t / 3600, (t / 60) % 60);
    else if (t >= 60) snprintf(buf, n, "%ldm%02lds", t / 60, t % 60);
    else snprintf(buf, n, "%lds", t);
}

void ol_progress_update(ol_progress *p, long done, const char *status, int force) {
    if (!p->out) return;
    double now = ol_now();
    double elapsed = now - p->started;
    char eta[32] = "?", el[32];
    if (done > 0) format_seconds(eta, sizeof eta, elapsed / done * (p->total - done));
    format_seconds(el, sizeof el, elapsed);
    if (p->is_tty) {
        if (!force && now - p->last_draw < 0.1) return;
        p->last_draw = now;
        int width = 24, filled = (int)(width * (double)done / p->total);
        if (filled > width) filled = width;
        char bar[32];
        for (int i = 0; i < width; i++) bar[i] = i < filled ? '#' : '.';
        bar[width] = '\0';
        fprintf(p->out, "\r\033[K%s [%s] %ld/%ld %s  %s elapsed, ETA %s", p->label, bar, done,
                p->total, status ? status : "", el, eta);
        fflush(p->out);
    } else if (force) {
        fprintf(p->out, "%s %ld/%ld %s (%s elapsed, ETA %s)\n", p->label, done, p->total,
                status ? status : "", el, eta);
        fflush(p->out);
    }
}

void ol_progress_end(ol_progress *p) {
    if (p->out && p->is_tty) {
        fputc('\n', p->out);
        fflush(p->out);
    }
}
