/*
 * fixture.h — helpers the report tests share (test_report.c, test_repeats.c,
 * test_never_learn.c): a storage call that must succeed, reading a written
 * file back, and finding a row of a Markdown table in a report. Header-only
 * (static inline functions: a test file need not use them all).
 */
#ifndef OPTLAB_TESTS_REPORT_FIXTURE_H
#define OPTLAB_TESTS_REPORT_FIXTURE_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "optlab/core.h"

/* Run `call`, which may use `err` (an ol_error *), and fail the test with
 * the call's text and message unless it returns OL_OK. */
#define OK(call)                                                                                                    \
    do {                                                                                                            \
        ol_error e_;                                                                                                \
        ol_error_clear(&e_);                                                                                        \
        ol_error *err = &e_;                                                                                        \
        ol_status s_ = (call);                                                                                      \
        cr_assert_eq(s_, OL_OK, "%s: %s", #call, e_.msg);                                                          \
    } while (0)

/* The whole file, NUL-terminated (malloc'd; free it), its length in *len if
 * len is not NULL; NULL if it cannot be opened. */
static inline char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    size_t got = fread(s, 1, (size_t)n, f);
    fclose(f);
    s[got] = '\0';
    if (len) *len = got;
    return s;
}

/* The row "| LABEL | ..." of the table after the first `after` in md: a
 * pointer to the row's first '|'. Fails the test if either is missing. */
static inline const char *find_table_row(const char *md, const char *after, const char *label) {
    const char *from = strstr(md, after);
    cr_assert_not_null(from, "no '%s' in the report", after);
    char key[128];
    snprintf(key, sizeof key, "\n| %s |", label);
    const char *row = strstr(from, key);
    cr_assert_not_null(row, "no row '%s' after '%s'", label, after);
    return row + 1;
}

#endif
