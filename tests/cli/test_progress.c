/*
 * CLI: the progress display (src/cli/progress.c). Lines cut to the terminal's
 * width whatever they hold (ASCII, Hangul counted as two columns); numbered
 * lines printed in numeric order when they arrive out of order, gaps skipped;
 * nothing at all with quiet; off a terminal no status line (no \r, no escapes).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "../../src/cli/progress.c"

/* display columns of a UTF-8 string, counted as progress.c does */
static int columns(const char *s) {
    int total = 0;
    for (const unsigned char *q = (const unsigned char *)s; *q;) {
        int w;
        q += utf8_char(q, &w);
        total += w;
    }
    return total;
}

Test(progress, fit_cuts_to_the_width) {
    char out[256];
    const char *line = "train  epoch 12  best 0.9734 at 9  patience left 2 (~1s)  0.52s/epoch  17s  [stops after epoch 14]";
    for (int w = 10; w <= 120; w += 7) {
        cli_progress_fit(out, sizeof out, line, w);
        cr_assert_leq(columns(out), w, "width %d: '%s' has %d columns", w, out, columns(out));
        if ((int)strlen(line) > w) cr_assert(strstr(out, "...") != NULL, "a cut line ends in ...");
        else cr_assert_str_eq(out, line);
    }
    cli_progress_fit(out, sizeof out, "short", 80);
    cr_assert_str_eq(out, "short");
}

Test(progress, fit_counts_hangul_as_two_columns) {
    char out[256];
    const char *ko = "학습 진행 중: 에폭 12, 최고 정확도 0.9734"; /* 13 Hangul syllables */
    cli_progress_fit(out, sizeof out, ko, 20);
    cr_assert_leq(columns(out), 20);
    /* never cut inside a character: the result is valid UTF-8 (every byte sequence complete) */
    for (const unsigned char *q = (const unsigned char *)out; *q;) {
        int w, len = utf8_char(q, &w);
        for (int i = 1; i < len; i++) cr_assert(q[i] != 0);
        q += len;
    }
}

static char *capture(void (*fill)(cli_progress *), int quiet) {
    static char buf[4096];
    FILE *f = tmpfile();
    cr_assert(f);
    cli_progress p;
    cli_progress_start(&p, f, "run", quiet);
    fill(&p);
    cli_progress_end(&p);
    rewind(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void out_of_order(cli_progress *p) {
    cli_progress_numbered(p, 2, "trial 2");
    cli_progress_numbered(p, 0, "trial 0");
    cli_progress_bar(p, 2, 6, "best 0.9", 1); /* off a terminal: nothing */
    cli_progress_numbered(p, 1, "trial 1");
    cli_progress_numbered(p, 5, "trial 5");
    cli_progress_numbered(p, 3, NULL); /* a trial that prints nothing */
    cli_progress_numbered(p, 4, "trial 4");
    cli_progress_numbered(p, 7, "trial 7"); /* 6 never comes: printed at the end */
}

Test(progress, numbered_lines_in_numeric_order) {
    const char *out = capture(out_of_order, 0);
    cr_assert_str_eq(out, "trial 0\ntrial 1\ntrial 2\ntrial 4\ntrial 5\ntrial 7\n");
    cr_assert(!strchr(out, '\r') && !strchr(out, '\033'), "no status line off a terminal");
}

Test(progress, quiet_prints_nothing) {
    cr_assert_str_eq(capture(out_of_order, 1), "");
}

Test(progress, durations) {
    char b[32];
    cr_assert_str_eq(cli_format_duration(b, sizeof b, 4.4), "4s");
    cr_assert_str_eq(cli_format_duration(b, sizeof b, 125), "2m05s");
    cr_assert_str_eq(cli_format_duration(b, sizeof b, 3780), "1h03m");
    cr_assert_str_eq(cli_format_duration(b, sizeof b, -3), "0s");
}
