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

/* A copy (malloc'd; free it) of the section of md under the heading line
 * `heading` (e.g. "## 반복 실험"), up to the next "\n## " or the end; NULL if
 * the heading is missing. */
static inline char *md_section(const char *md, const char *heading) {
    const char *from = strstr(md, heading);
    if (!from) return NULL;
    const char *to = strstr(from + strlen(heading), "\n## ");
    size_t n = to ? (size_t)(to - from) : strlen(from);
    char *s = malloc(n + 1);
    if (!s) return NULL;
    memcpy(s, from, n);
    s[n] = '\0';
    return s;
}

/* Is c an ASCII letter? (isalpha depends on the locale) */
static inline int fx_ascii_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

/*
 * Looks for left-over English prose in a text that should be Korean: the
 * first run of at least `min_words` consecutive English words (ASCII letters,
 * inner '-' or '\'' allowed, with surrounding punctuation such as "(*,.:;"
 * stripped) within one clause (a word ending in ,.:; ends it). Inline code
 * (`...`) and link targets ("](...)") are skipped, and anything else —
 * Hangul, digits, '|', '>', '×', '−' — ends a run, so the English technical
 * terms a Korean report keeps ("learning rate", "paired t-test p", a study
 * label such as "AdamW, logits loss") stay below the threshold while an
 * untranslated sentence does not. Returns 1 and copies the
 * run (up to 200 characters of it) into out when one is found, 0 otherwise.
 */
static inline int english_run(const char *text, int min_words, char *out, size_t n) {
    int words = 0;
    const char *run = NULL;
    const char *p = text;
    while (*p) {
        if (*p == '`') { /* inline code: a command or a status name, not prose */
            const char *end = strchr(p + 1, '`');
            p = end ? end + 1 : p + strlen(p);
            words = 0;
            continue;
        }
        if (p[0] == ']' && p[1] == '(') { /* a link target: a file name */
            const char *end = strchr(p, ')');
            p = end ? end + 1 : p + strlen(p);
            words = 0;
            continue;
        }
        if (*p == ' ' || *p == '\t') {
            p++;
            continue;
        }
        /* one whitespace-separated token */
        const char *t = p;
        while (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != '`') p++;
        const char *a = t, *b = p;
        while (a < b && strchr("(*[\"'", *a)) a++;
        while (b > a && strchr(",.:;)*]\"'", b[-1])) b--;
        int word = b > a && fx_ascii_letter(*a) && fx_ascii_letter(b[-1]);
        for (const char *c = a; word && c < b; c++) word = fx_ascii_letter(*c) || *c == '-' || *c == '\'';
        if (word) {
            if (!words) run = t;
            if (++words >= min_words) {
                snprintf(out, n, "%.*s", (int)(p - run < 200 ? p - run : 200), run);
                return 1;
            }
            /* a run is one clause: "AdamW, logits loss: learning rate" is a label and a term, not prose */
            if (strchr(",.:;", p[-1])) words = 0;
        } else {
            words = 0;
        }
        if (*p == '\n') { /* a run never spans lines: table rows and list items are separate */
            words = 0;
            p++;
        }
    }
    return 0;
}

#endif
