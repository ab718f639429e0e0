/*
 * progress.c — the CLI's progress display (progress.h): a status line redrawn
 * in place on a terminal and cut to its width, permanent lines above it, and
 * numbered lines released in order. Moved here from src/core/progress.c: the
 * library never prints.
 */
#include "progress.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "optlab/core.h"

void cli_progress_start(cli_progress *p, FILE *out, const char *label, int quiet) {
    memset(p, 0, sizeof *p);
    p->out = out;
    p->quiet = quiet || !out;
    p->tty = !p->quiet && isatty(fileno(out));
    p->started = ol_now();
    snprintf(p->label, sizeof p->label, "%s", label ? label : "");
}

int cli_progress_width(const cli_progress *p) {
    if (p->fixed_width > 0) return p->fixed_width;
    struct winsize ws;
    if (p->out && ioctl(fileno(p->out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
    const char *c = getenv("COLUMNS");
    int w = c ? atoi(c) : 0;
    return w > 0 ? w : 80;
}

/* Bytes and display columns of the UTF-8 character at s. */
static int utf8_char(const unsigned char *s, int *columns) {
    int len = *s < 0x80 ? 1 : (*s >> 5) == 6 ? 2 : (*s >> 4) == 14 ? 3 : (*s >> 3) == 30 ? 4 : 1;
    for (int i = 1; i < len; i++)
        if ((s[i] & 0xC0) != 0x80) len = 1; /* broken sequence: one byte */
    unsigned cp = len == 1 ? *s : len == 2 ? (s[0] & 0x1Fu) << 6 | (s[1] & 0x3Fu)
                 : len == 3 ? (s[0] & 0x0Fu) << 12 | (s[1] & 0x3Fu) << 6 | (s[2] & 0x3Fu)
                            : (s[0] & 0x07u) << 18 | (s[1] & 0x3Fu) << 12 | (s[2] & 0x3Fu) << 6 | (s[3] & 0x3Fu);
    /* Hangul jamo, CJK, Hangul syllables, full-width forms: two columns */
    *columns = (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) || (cp >= 0xAC00 && cp <= 0xD7A3) ||
                       (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0xFF00 && cp <= 0xFF60)
                   ? 2
                   : 1;
    return len;
}

char *cli_progress_fit(char *out, size_t n, const char *text, int columns) {
    if (n == 0) return out;
    const unsigned char *s = (const unsigned char *)text;
    int total = 0;
    for (const unsigned char *q = s; *q;) {
        int w;
        q += utf8_char(q, &w);
        total += w;
    }
    int limit = total <= columns ? columns : columns - 3; /* room for "..." */
    size_t k = 0;
    int used = 0;
    while (*s) {
        int w, len = utf8_char(s, &w);
        if (used + w > limit || k + (size_t)len + 4 > n) break;
        memcpy(out + k, s, (size_t)len);
        k += (size_t)len;
        used += w;
        s += len;
    }
    if (*s && limit >= 0 && k + 4 <= n) {
        memcpy(out + k, "...", 3);
        k += 3;
    }
    out[k] = '\0';
    return out;
}

char *cli_format_duration(char *buf, size_t n, double s) {
    if (!(s >= 0)) s = 0;
    long t = (long)(s + 0.5);
    if (t >= 3600) snprintf(buf, n, "%ldh%02ldm", t / 3600, (t / 60) % 60);
    else if (t >= 60) snprintf(buf, n, "%ldm%02lds", t / 60, t % 60);
    else snprintf(buf, n, "%lds", t);
    return buf;
}

static void draw(cli_progress *p) {
    char line[sizeof p->status + sizeof p->label + 8], fitted[sizeof line];
    snprintf(line, sizeof line, "%s  %s", p->label, p->status);
    /* one column short of the width: a line that fills the last column wraps on some terminals */
    cli_progress_fit(fitted, sizeof fitted, line, cli_progress_width(p) - 1);
    fprintf(p->out, "\r\033[K%s", fitted);
    fflush(p->out);
    p->status_shown = 1;
}

void cli_progress_status(cli_progress *p, const char *text, int force) {
    if (p->quiet || !p->tty) return;
    double now = ol_now();
    snprintf(p->status, sizeof p->status, "%s", text ? text : "");
    if (!force && p->status_shown && now - p->last_draw < 0.1) return;
    p->last_draw = now;
    draw(p);
}

void cli_progress_bar(cli_progress *p, long done, long total, const char *extra, int force) {
    if (p->quiet || !p->tty) return;
    if (total < 1) total = 1;
    if (done > total) done = total;
    double elapsed = ol_now() - p->started;
    char bar[21], el[32], eta[32] = "?";
    int filled = (int)(20 * done / total);
    for (int i = 0; i < 20; i++) bar[i] = i < filled ? '#' : '.';
    bar[20] = '\0';
    if (done > 0) cli_format_duration(eta, sizeof eta, elapsed / (double)done * (double)(total - done));
    char text[sizeof p->status];
    snprintf(text, sizeof text, "[%s] %ld/%ld  %s elapsed  ETA %s%s%s", bar, done, total,
             cli_format_duration(el, sizeof el, elapsed), eta, extra && *extra ? "  " : "", extra ? extra : "");
    cli_progress_status(p, text, force || done == total);
}

void cli_progress_epochs(cli_progress *p, int epoch, int best_epoch, double best_value, int patience,
                         int max_epochs) {
    if (p->quiet || !p->tty) return;
    double elapsed = ol_now() - p->started;
    double per_epoch = elapsed / (epoch + 1);
    /* the run ends after epoch best+patience unless it improves, and never after max_epochs-1 */
    int last = best_epoch + patience;
    if (last > max_epochs - 1) last = max_epochs - 1;
    int left = last - epoch;
    if (left < 0) left = 0;
    char el[32], rest[32], text[sizeof p->status];
    /* most important first: a narrow terminal cuts from the right */
    snprintf(text, sizeof text,
             "epoch %d  best %.4f at %d  patience left %d (~%s)  %.2fs/epoch  %s  "
             "[stops after epoch %d unless it improves]",
             epoch, best_value, best_epoch, left, cli_format_duration(rest, sizeof rest, left * per_epoch), per_epoch,
             cli_format_duration(el, sizeof el, elapsed), last);
    cli_progress_status(p, text, 1);
}

static void put_line(cli_progress *p, const char *text) {
    if (p->status_shown) fputs("\r\033[K", p->out);
    fputs(text, p->out);
    fputc('\n', p->out);
    if (p->status_shown) draw(p);
    else fflush(p->out);
}

void cli_progress_line(cli_progress *p, const char *text) {
    if (p->quiet) return;
    put_line(p, text);
}

void cli_progress_numbered_from(cli_progress *p, long first) { p->next_number = first; }

/* Print the waiting lines whose turn has come. */
static void release(cli_progress *p) {
    for (int again = 1; again;) {
        again = 0;
        for (size_t i = 0; i < p->n_pending; i++) {
            if (p->pending[i].number != p->next_number) continue;
            if (p->pending[i].text && !p->quiet) put_line(p, p->pending[i].text);
            free(p->pending[i].text);
            p->pending[i] = p->pending[--p->n_pending];
            p->next_number++;
            again = 1;
            break;
        }
    }
}

int cli_progress_numbered(cli_progress *p, long number, const char *text) {
    if (number < p->next_number) { /* a late duplicate or below the start: print as it comes */
        if (text) cli_progress_line(p, text);
        return 0;
    }
    if (p->n_pending == p->cap_pending) {
        size_t cap = p->cap_pending ? 2 * p->cap_pending : 16;
        cli_pending_line *grown = realloc(p->pending, cap * sizeof *grown);
        if (!grown) {
            if (text) cli_progress_line(p, text);
            return -1;
        }
        p->pending = grown;
        p->cap_pending = cap;
    }
    char *copy = NULL;
    if (text && !(copy = strdup(text))) {
        cli_progress_line(p, text);
        return -1;
    }
    p->pending[p->n_pending++] = (cli_pending_line){number, copy};
    release(p);
    return 0;
}

void cli_progress_end(cli_progress *p) {
    /* whatever still waits (a number never came): in order */
    while (p->n_pending) {
        size_t lo = 0;
        for (size_t i = 1; i < p->n_pending; i++)
            if (p->pending[i].number < p->pending[lo].number) lo = i;
        p->next_number = p->pending[lo].number;
        release(p);
    }
    free(p->pending);
    p->pending = NULL;
    p->cap_pending = 0;
    if (p->status_shown && p->out) {
        fputs("\r\033[K", p->out);
        fflush(p->out);
    }
    p->status_shown = 0;
}
