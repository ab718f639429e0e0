/*
 * sqlite_study.c — the SQLite backend's studies: create, find, list, and their
 * user attributes.
 * (sqlite.c says how the backend fits together.)
 */
#include <stdlib.h>

#include "sqlite_internal.h"

/* ------------------------------------------------------------ operations */

ol_status sq_create_study(ol_storage *base, const char *name, int maximize, int64_t *study_id,
                          ol_error *err) {
    sq_storage *s = sq(base);
    ol_status st;
    TXN_LOOP(s, 1, st, err, {
        sqlite3_stmt *q = sq_stmt(s, Q_FIND_STUDY, err, &st);
        int row = 0;
        if (q) {
            sq_bind_text(q, 1, name);
            st = sq_step(s, q, &row, "looking up a study", err);
            sqlite3_reset(q);
        }
        if (st == OL_OK && row)
            st = ol_fail(err, OL_EINVAL, "a study named '%s' already exists in '%s'", name, s->path);
        if (st == OL_OK && (q = sq_stmt(s, Q_INSERT_STUDY, err, &st))) {
            sq_bind_text(q, 1, name);
            st = sq_run(s, q, "creating a study", err);
        }
        int64_t id = sqlite3_last_insert_rowid(s->db);
        if (st == OL_OK && (q = sq_stmt(s, Q_INSERT_DIRECTION, err, &st))) {
            sq_bind_text(q, 1, maximize ? "MAXIMIZE" : "MINIMIZE");
            sqlite3_bind_int64(q, 2, id);
            st = sq_run(s, q, "setting a study's direction", err);
        }
        if (st == OL_OK && study_id) *study_id = id;
    });
    return st;
}

ol_status sq_find_study(ol_storage *base, const char *name, int64_t *study_id, int *maximize,
                        ol_error *err) {
    sq_storage *s = sq(base);
    ol_status st;
    int found = 0;
    TXN_LOOP(s, 0, st, err, {
        sqlite3_stmt *q = sq_stmt(s, Q_FIND_STUDY, err, &st);
        if (q) {
            sq_bind_text(q, 1, name ? name : "");
            st = sq_step(s, q, &found, "looking up a study", err);
            if (st == OL_OK && found) {
                if (study_id) *study_id = sqlite3_column_int64(q, 0);
                int mx = 0;
                st = ol_direction_decode((const char *)sqlite3_column_text(q, 1), &mx, err, "'%s': study '%.400s'",
                                         s->path, name);
                if (maximize) *maximize = mx;
            }
            sqlite3_reset(q);
        }
    });
    if (st == OL_OK && !found)
        return ol_fail(err, OL_ENOTFOUND, "no study named '%s' in '%s'", name ? name : "", s->path);
    return st;
}

ol_status sq_list_studies(ol_storage *base, ol_study_rec **out, size_t *n_out, ol_error *err) {
    sq_storage *s = sq(base);
    ol_study_rec *list = NULL;
    size_t n = 0, cap = 0;
    ol_status st;
    *out = NULL;
    *n_out = 0;
    TXN_LOOP(s, 0, st, err, {
        ol_studies_free(list, n);
        list = NULL;
        n = cap = 0;
        sqlite3_stmt *q = sq_stmt(s, Q_LIST_STUDIES, err, &st);
        int row = 1;
        while (q && st == OL_OK && (st = sq_step(s, q, &row, "listing studies", err)) == OL_OK && row) {
            if (n == cap) {
                size_t ncap = cap ? 2 * cap : 8;
                ol_study_rec *grown = realloc(list, ncap * sizeof *grown);
                if (!grown) {
                    st = ol_fail(err, OL_ENOMEM, "out of memory listing studies");
                    break;
                }
                list = grown;
                cap = ncap;
            }
            ol_study_rec *r = &list[n];
            r->study_id = sqlite3_column_int64(q, 0);
            r->name = sq_column_dup(q, 1);
            r->n_trials = sqlite3_column_int(q, 3);
            r->n_complete = sqlite3_column_int(q, 4);
            n++;
            if (!r->name) {
                st = ol_fail(err, OL_ENOMEM, "out of memory listing studies");
            } else {
                st = ol_direction_decode((const char *)sqlite3_column_text(q, 2), &r->maximize, err,
                                         "'%s': study '%.400s'", s->path, r->name);
            }
        }
        if (q) sqlite3_reset(q);
    });
    if (st != OL_OK) {
        ol_studies_free(list, n);
        return st;
    }
    *out = list;
    *n_out = n;
    return OL_OK;
}

ol_status sq_set_study_attr(ol_storage *base, int64_t study_id, const char *key, const char *value_json,
                            ol_error *err) {
    sq_storage *s = sq(base);
    ol_status st;
    TXN_LOOP(s, 1, st, err, {
        st = sq_require_study(s, study_id, err);
        sqlite3_stmt *q;
        if (st == OL_OK && (q = sq_stmt(s, Q_UPSERT_STUDY_ATTR, err, &st))) {
            sqlite3_bind_int64(q, 1, study_id);
            sq_bind_text(q, 2, key);
            sq_bind_text(q, 3, value_json);
            st = sq_run(s, q, "setting a study attribute", err);
        }
    });
    return st;
}

/* Read (key, value_json) rows from columns `col`, `col+1` of q into a growing array. */
ol_status sq_append_attr(ol_attr_rec **attrs, size_t *n, sqlite3_stmt *q, int col, ol_error *err) {
    ol_attr_rec *grown = realloc(*attrs, (*n + 1) * sizeof *grown);
    if (!grown) return ol_fail(err, OL_ENOMEM, "out of memory reading attributes");
    *attrs = grown;
    grown[*n].key = sq_column_dup(q, col);
    grown[*n].value_json = sq_column_dup(q, col + 1);
    (*n)++;
    if (!grown[*n - 1].key || !grown[*n - 1].value_json)
        return ol_fail(err, OL_ENOMEM, "out of memory reading attributes");
    return OL_OK;
}

ol_status sq_get_study_attrs(ol_storage *base, int64_t study_id, ol_attr_rec **out, size_t *n_out,
                             ol_error *err) {
    sq_storage *s = sq(base);
    ol_attr_rec *attrs = NULL;
    size_t n = 0;
    ol_status st;
    *out = NULL;
    *n_out = 0;
    TXN_LOOP(s, 0, st, err, {
        ol_attrs_free(attrs, n);
        attrs = NULL;
        n = 0;
        st = sq_require_study(s, study_id, err);
        sqlite3_stmt *q = st == OL_OK ? sq_stmt(s, Q_STUDY_ATTRS, err, &st) : NULL;
        int row = 1;
        if (q) sqlite3_bind_int64(q, 1, study_id);
        while (q && st == OL_OK && (st = sq_step(s, q, &row, "reading study attributes", err)) == OL_OK && row)
            st = sq_append_attr(&attrs, &n, q, 0, err);
        if (q) sqlite3_reset(q);
    });
    if (st != OL_OK) {
        ol_attrs_free(attrs, n);
        return st;
    }
    *out = attrs;
    *n_out = n;
    return OL_OK;
}
