/*
 * sqlite_read.c — the SQLite backend reads a study's trials (all of them, or only
 * those after a given id plus a list of ids: what changed since the last ask).
 * (sqlite.c says how the backend fits together.)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sqlite_internal.h"

/* ------------------------------------------------------------ get_trials */

/* Does column `col` hold a number (not NULL, not text such as 'NaN')? */
static int has_number(sqlite3_stmt *q, int col) {
    int type = sqlite3_column_type(q, col);
    return type == SQLITE_FLOAT || type == SQLITE_INTEGER;
}

/*
 * Parse "YYYY-MM-DD HH:MM:SS[.ffffff]" (local or UTC) without calling mktime
 * for every row: mktime re-reads the time zone (a stat of /etc/localtime)
 * each call, which took most of the time of reading 10,000 trials. The
 * seconds since the epoch of each minute's start are cached; a zone's offset
 * only changes at a minute boundary, so the result is mktime's.
 */
typedef struct {
    int key_valid;
    int y, mo, d, h, mi, utc;
    double base;
} dt_cache;

/* Digits text[0..n) as a number, or -1 if one is not a digit. */
static int digits(const unsigned char *text, int n) {
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (text[i] < '0' || text[i] > '9') return -1;
        v = v * 10 + (text[i] - '0');
    }
    return v;
}

/*
 * "SS" or "SS.f..." (up to 13 fraction digits, then the end of the text) as
 * strtod reads it, without strtod: the digits N and their 10^k (both exact
 * in double) divided once, which IEEE rounds to the double nearest N / 10^k,
 * as strtod rounds the decimal text. Anything else goes to strtod.
 */
static double parse_seconds(const unsigned char *text) {
    int64_t digits_value = 0;
    double scale = 1;
    int i = 0, k = 0;
    for (; i < 2; i++) {
        if (text[i] < '0' || text[i] > '9') return strtod((const char *)text, NULL);
        digits_value = digits_value * 10 + (text[i] - '0');
    }
    if (text[i] == '.') {
        for (i++; text[i] >= '0' && text[i] <= '9' && k < 13; i++, k++) {
            digits_value = digits_value * 10 + (text[i] - '0');
            scale *= 10;
        }
        if (k == 0) return strtod((const char *)text, NULL);
    }
    if (text[i]) return strtod((const char *)text, NULL);
    return (double)digits_value / scale;
}

static double parse_datetime_cached(const unsigned char *text, int utc, dt_cache *c) {
    if (!text) return 0;
    int y, mo, d, h, mi;
    double sec;
    /* the form Optuna writes, "YYYY-MM-DD HH:MM:SS[.ffffff]", without sscanf (a third of the read time) */
    if (strlen((const char *)text) >= 19 && text[4] == '-' && text[7] == '-' && (text[10] == ' ' || text[10] == 'T') &&
        text[13] == ':' && text[16] == ':' && (y = digits(text, 4)) >= 0 && (mo = digits(text + 5, 2)) >= 0 &&
        (d = digits(text + 8, 2)) >= 0 && (h = digits(text + 11, 2)) >= 0 && (mi = digits(text + 14, 2)) >= 0 &&
        digits(text + 17, 2) >= 0) {
        sec = parse_seconds(text + 17);
    } else if (sscanf((const char *)text, "%d-%d-%d%*[ T]%d:%d:%lf", &y, &mo, &d, &h, &mi, &sec) != 6) {
        return 0;
    }
    if (!(c->key_valid && c->y == y && c->mo == mo && c->d == d && c->h == h && c->mi == mi && c->utc == utc)) {
        struct tm tm = {0};
        tm.tm_year = y - 1900;
        tm.tm_mon = mo - 1;
        tm.tm_mday = d;
        tm.tm_hour = h;
        tm.tm_min = mi;
        tm.tm_isdst = -1;
        time_t base = utc ? timegm(&tm) : mktime(&tm);
        if (base == (time_t)-1) return 0;
        *c = (dt_cache){1, y, mo, d, h, mi, utc, (double)base};
    }
    return c->base + sec;
}

/* Bind the "which trials" parameters ?1 study, ?2 after, ?3 JSON array of ids. */
static void bind_filter(sqlite3_stmt *q, int64_t study_id, int64_t after, const char *ids_json) {
    sqlite3_bind_int64(q, 1, study_id);
    if (sqlite3_bind_parameter_count(q) < 3) return; /* a whole-study query */
    sqlite3_bind_int64(q, 2, after);
    sqlite3_bind_text(q, 3, ids_json, -1, SQLITE_STATIC);
}

/* Read the trials of a study selected by (after, ids_json); runs inside a read transaction. */
static ol_status read_trials(sq_storage *s, int64_t study_id, int64_t after, const char *ids_json,
                             ol_trial_rec **out, size_t *n_out, size_t *n_total, ol_error *err) {
    ol_trial_rec *trials = NULL;
    size_t n = 0, cap = 0;
    ol_trial_index *ids = NULL;
    size_t hint = 0;
    size_t *params_cap = NULL; /* per trial: the room in its params array (grown by doubling) */
    int row = 1;
    dt_cache start_cache = {0}, end_cache = {0};
    int part = after > 0 || strcmp(ids_json, "[]"); /* part of the study: the *_SINCE queries */
    ol_status st = sq_require_study(s, study_id, err);
    int total = 0;
    if (st == OL_OK) st = sq_count_trials(s, Q_COUNT_ALL, study_id, &total, err);
    *n_total = (size_t)total;
    sqlite3_stmt *q = st == OL_OK ? sq_stmt(s, Q_TRIALS, err, &st) : NULL;
    if (q) bind_filter(q, study_id, after, ids_json);
    while (q && st == OL_OK && (st = sq_step(s, q, &row, "reading trials", err)) == OL_OK && row) {
        if (n == cap) {
            size_t ncap = cap ? 2 * cap : 16;
            ol_trial_rec *grown = realloc(trials, ncap * sizeof *grown);
            if (!grown) {
                st = ol_fail(err, OL_ENOMEM, "out of memory reading trials");
                break;
            }
            trials = grown;
            cap = ncap;
        }
        ol_trial_rec *t = &trials[n++];
        memset(t, 0, sizeof *t);
        t->trial_id = sqlite3_column_int64(q, 0);
        /* a number stored as text or real reads as its integer part: refuse it as NULL would be */
        st = ol_number_decode(sqlite3_column_type(q, 1) != SQLITE_INTEGER, sqlite3_column_int64(q, 1), &t->number,
                              err, "'%s': trial_id %lld", s->path, (long long)t->trial_id);
        const unsigned char *state = sqlite3_column_text(q, 2);
        if (st == OL_OK && !ol_trial_state_parse((const char *)state, &t->state))
            st = ol_fail(err, OL_EFORMAT, "trial %lld in '%s' has unknown state '%s'", (long long)t->trial_id,
                         s->path, state ? (const char *)state : "(null)");
        t->datetime_start = parse_datetime_cached(sqlite3_column_text(q, 3), 0, &start_cache);
        t->datetime_complete = parse_datetime_cached(sqlite3_column_text(q, 4), 0, &end_cache);
    }
    if (q) sqlite3_reset(q);
    if (st == OL_OK && n) {
        ids = ol_trial_index_build(trials, n);
        params_cap = calloc(n, sizeof *params_cap);
        if (!ids || !params_cap) st = ol_fail(err, OL_ENOMEM, "out of memory reading trials");
    }
    /* values */
    q = st == OL_OK && n ? sq_stmt(s, part ? Q_VALUES_SINCE : Q_VALUES, err, &st) : NULL;
    if (q) bind_filter(q, study_id, after, ids_json);
    while (q && st == OL_OK && (st = sq_step(s, q, &row, "reading trial values", err)) == OL_OK && row) {
        ol_trial_rec *t = ol_trial_index_find_near(trials, ids, n, sqlite3_column_int64(q, 0), &hint);
        if (!t) continue;
        st = ol_float_decode((const char *)sqlite3_column_text(q, 2), has_number(q, 1), sqlite3_column_double(q, 1),
                             0, &t->value, err, "'%s': the value of trial_id %lld", s->path, (long long)t->trial_id);
        t->has_value = st == OL_OK;
    }
    if (q) sqlite3_reset(q);
    /* params */
    q = st == OL_OK && n ? sq_stmt(s, part ? Q_PARAMS_SINCE : Q_PARAMS, err, &st) : NULL;
    if (q) bind_filter(q, study_id, after, ids_json);
    while (q && st == OL_OK && (st = sq_step(s, q, &row, "reading trial params", err)) == OL_OK && row) {
        ol_trial_rec *t = ol_trial_index_find_near(trials, ids, n, sqlite3_column_int64(q, 0), &hint);
        if (!t) continue;
        const unsigned char *pname = sqlite3_column_text(q, 1);
        if (!pname || !has_number(q, 2) || sqlite3_column_type(q, 3) == SQLITE_NULL ||
            !isfinite(sqlite3_column_double(q, 2))) {
            st = ol_fail(err, OL_EFORMAT, "'%s': parameter '%.200s' of trial_id %lld has %s", s->path,
                         pname ? (const char *)pname : "(null)", (long long)t->trial_id,
                         !pname ? "no name (NULL)"
                         : sqlite3_column_type(q, 3) == SQLITE_NULL ? "no distribution (NULL)"
                                                                     : "no numeric value (NULL, text or not finite)");
            break;
        }
        size_t *cap = &params_cap[t - trials];
        if (t->n_params == *cap) {
            size_t grow_to = *cap ? 2 * *cap : 4;
            ol_param_rec *grown = realloc(t->params, grow_to * sizeof *grown);
            if (!grown) {
                st = ol_fail(err, OL_ENOMEM, "out of memory reading params");
                break;
            }
            t->params = grown;
            *cap = grow_to;
        }
        ol_param_rec *p = &t->params[t->n_params++];
        p->name = sq_column_dup(q, 1);
        p->value = sqlite3_column_double(q, 2);
        p->distribution_json = sq_column_dup(q, 3);
        if (!p->name || !p->distribution_json) st = ol_fail(err, OL_ENOMEM, "out of memory reading params");
    }
    if (q) sqlite3_reset(q);
    /* intermediate values, by step */
    q = st == OL_OK && n ? sq_stmt(s, part ? Q_INTERMEDIATE_SINCE : Q_INTERMEDIATE, err, &st) : NULL;
    if (q) bind_filter(q, study_id, after, ids_json);
    while (q && st == OL_OK && (st = sq_step(s, q, &row, "reading intermediate values", err)) == OL_OK && row) {
        ol_trial_rec *t = ol_trial_index_find_near(trials, ids, n, sqlite3_column_int64(q, 0), &hint);
        if (!t) continue;
        ol_intermediate_rec *grown = realloc(t->intermediate, (t->n_intermediate + 1) * sizeof *grown);
        if (!grown) {
            st = ol_fail(err, OL_ENOMEM, "out of memory reading intermediate values");
            break;
        }
        t->intermediate = grown;
        grown[t->n_intermediate].step = sqlite3_column_int64(q, 1);
        st = ol_float_decode((const char *)sqlite3_column_text(q, 3), has_number(q, 2), sqlite3_column_double(q, 2),
                             1, &grown[t->n_intermediate].value, err,
                             "'%s': intermediate value of trial_id %lld at step %lld", s->path, (long long)t->trial_id,
                             (long long)grown[t->n_intermediate].step);
        t->n_intermediate++;
    }
    if (q) sqlite3_reset(q);
    /* attributes */
    for (int system = 0; system < 2; system++) {
        q = st == OL_OK && n ? sq_stmt(s, system ? (part ? Q_SYSTEM_ATTRS_SINCE : Q_SYSTEM_ATTRS) : (part ? Q_USER_ATTRS_SINCE : Q_USER_ATTRS), err, &st) : NULL;
        if (q) bind_filter(q, study_id, after, ids_json);
        while (q && st == OL_OK && (st = sq_step(s, q, &row, "reading trial attributes", err)) == OL_OK && row) {
            ol_trial_rec *t = ol_trial_index_find_near(trials, ids, n, sqlite3_column_int64(q, 0), &hint);
            if (!t) continue;
            if (system)
                st = sq_append_attr(&t->system_attrs, &t->n_system_attrs, q, 1, err);
            else
                st = sq_append_attr(&t->user_attrs, &t->n_user_attrs, q, 1, err);
        }
        if (q) sqlite3_reset(q);
    }
    free(ids);
    free(params_cap);
    if (st != OL_OK) {
        ol_trials_free(trials, n);
        return st;
    }
    *out = trials;
    *n_out = n;
    return OL_OK;
}

/* The ids as a JSON array "[1,2,3]" (malloc'd), for json_each(). */
static char *ids_to_json(const int64_t *ids, size_t n) {
    char *j = malloc(3 + n * 21);
    if (!j) return NULL;
    size_t o = 0;
    j[o++] = '[';
    for (size_t i = 0; i < n; i++) o += (size_t)sprintf(j + o, "%s%lld", i ? "," : "", (long long)ids[i]);
    j[o++] = ']';
    j[o] = 0;
    return j;
}

ol_status sq_get_trials(ol_storage *base, int64_t study_id, int64_t after, const int64_t *ids, size_t n_ids,
                        ol_trial_rec **out, size_t *n_out, size_t *n_total, ol_error *err) {
    sq_storage *s = sq(base);
    ol_status st;
    char *ids_json = ids_to_json(ids, n_ids);
    if (!ids_json) return ol_fail(err, OL_ENOMEM, "out of memory reading trials");
    /* One read transaction: a consistent snapshot even while other workers write. */
    TXN_LOOP(s, 0, st, err, {
        ol_trials_free(*out, *n_out);
        *out = NULL;
        *n_out = 0;
        st = read_trials(s, study_id, after, ids_json, out, n_out, n_total, err);
    });
    free(ids_json);
    return st;
}
