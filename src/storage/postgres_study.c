/*
 * postgres_study.c — the PostgreSQL backend's studies: create, find, list, and their
 * user attributes.
 * (postgres.c says how the backend fits together and why each write is safe to rerun.)
 */
#include <stdlib.h>
#include <string.h>

#include "postgres_internal.h"

/* ---- studies ------------------------------------------------------------- */

static ol_status create_study_once(pg_storage *pg, const char *name, int maximize, const char *claim,
                                   int64_t *study_id, ol_error *err) {
    char state[6];
    if (pg->retrying) {
        /* did the lost attempt commit? */
        const char *p[] = {name, claim};
        int found = 0;
        ol_status st = pg_find_claim(pg, "creating a study",
                                     "SELECT s.study_id FROM studies s JOIN study_system_attributes a USING (study_id) "
                                     "WHERE s.study_name = $1 AND a.key = '" PG_CLAIM_KEY "' AND a.value_json = $2",
                                     p, study_id, NULL, &found, err);
        if (st || found) return st;
    }
    const char *p[] = {name, maximize ? "MAXIMIZE" : "MINIMIZE", claim};
    PGresult *r = pg_exec(pg, "creating a study",
                          "WITH s AS (INSERT INTO studies (study_name) VALUES ($1) RETURNING study_id), "
                          "d AS (INSERT INTO study_directions (direction, study_id, objective) "
                          "      SELECT $2::studydirection, study_id, 0 FROM s), "
                          "c AS (INSERT INTO study_system_attributes (study_id, key, value_json) "
                          "      SELECT study_id, '" PG_CLAIM_KEY "', $3 FROM s) "
                          "SELECT study_id FROM s",
                          3, p, PGRES_TUPLES_OK, state, err);
    if (!r) {
        if (!strcmp(state, "23505"))
            return pg_fail(pg, err, OL_EINVAL, "a study named '%s' already exists", name);
        return err->status;
    }
    *study_id = atoll(PQgetvalue(r, 0, 0));
    PQclear(r);
    return OL_OK;
}

ol_status pg_create_study(ol_storage *st, const char *name, int maximize, int64_t *study_id, ol_error *err) {
    pg_storage *pg = (pg_storage *)st;
    char claim[256];
    pg_claim(pg, claim, sizeof claim);
    PG_WITH_RETRY(pg, err,
                  (pg->retrying && pg_settle_old_backend(pg, err)) ? err->status
                      : create_study_once(pg, name, maximize, claim, study_id, err));
}

static ol_status find_study_once(pg_storage *pg, const char *name, int64_t *study_id, int *maximize, ol_error *err) {
    const char *p[] = {name};
    PGresult *r = pg_exec(pg, "finding a study",
                          "SELECT s.study_id, d.direction FROM studies s LEFT JOIN study_directions d "
                          "ON d.study_id = s.study_id AND d.objective = 0 WHERE s.study_name = $1",
                          1, p, PGRES_TUPLES_OK, NULL, err);
    if (!r) return err->status;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return pg_fail(pg, err, OL_ENOTFOUND, "no study named '%s'", name);
    }
    if (study_id) *study_id = atoll(PQgetvalue(r, 0, 0));
    int mx = 0;
    ol_status st = ol_direction_decode(PQgetisnull(r, 0, 1) ? NULL : PQgetvalue(r, 0, 1), &mx, err,
                                       "PostgreSQL %s: study '%.400s'", pg->where, name);
    if (maximize) *maximize = mx;
    PQclear(r);
    return st;
}

ol_status pg_find_study(ol_storage *st, const char *name, int64_t *study_id, int *maximize, ol_error *err) {
    pg_storage *pg = (pg_storage *)st;
    if (!name) return pg_fail(pg, err, OL_EINVAL, "study name is missing");
    PG_WITH_RETRY(pg, err, find_study_once(pg, name, study_id, maximize, err));
}

static ol_status list_studies_once(pg_storage *pg, ol_study_rec **studies, size_t *n, ol_error *err) {
    PGresult *r = pg_exec(pg, "listing studies",
                          "SELECT s.study_id, s.study_name, d.direction, count(t.trial_id), "
                          "count(t.trial_id) FILTER (WHERE t.state = 'COMPLETE') "
                          "FROM studies s LEFT JOIN study_directions d ON d.study_id = s.study_id AND d.objective = 0 "
                          "LEFT JOIN trials t ON t.study_id = s.study_id "
                          "GROUP BY s.study_id, s.study_name, d.direction ORDER BY s.study_id",
                          0, NULL, PGRES_TUPLES_OK, NULL, err);
    if (!r) return err->status;
    int rows = PQntuples(r);
    ol_study_rec *out = calloc(rows ? (size_t)rows : 1, sizeof *out);
    if (!out) {
        PQclear(r);
        return ol_fail(err, OL_ENOMEM, "PostgreSQL: out of memory listing %d studies", rows);
    }
    for (int i = 0; i < rows; i++) {
        out[i].study_id = atoll(PQgetvalue(r, i, 0));
        out[i].name = ol_strdup(PQgetvalue(r, i, 1));
        out[i].n_trials = atoi(PQgetvalue(r, i, 3));
        out[i].n_complete = atoi(PQgetvalue(r, i, 4));
        if (!out[i].name) {
            ol_studies_free(out, (size_t)i);
            PQclear(r);
            return ol_fail(err, OL_ENOMEM, "PostgreSQL: out of memory listing studies");
        }
        ol_status dst = ol_direction_decode(PQgetisnull(r, i, 2) ? NULL : PQgetvalue(r, i, 2), &out[i].maximize,
                                            err, "PostgreSQL %s: study '%.400s'", pg->where, out[i].name);
        if (dst) {
            ol_studies_free(out, (size_t)i + 1);
            PQclear(r);
            return dst;
        }
    }
    PQclear(r);
    *studies = out;
    *n = (size_t)rows;
    return OL_OK;
}

ol_status pg_list_studies(ol_storage *st, ol_study_rec **studies, size_t *n, ol_error *err) {
    pg_storage *pg = (pg_storage *)st;
    *studies = NULL;
    *n = 0;
    PG_WITH_RETRY(pg, err, list_studies_once(pg, studies, n, err));
}

static ol_status set_study_attr_once(pg_storage *pg, int64_t study_id, const char *key, const char *value_json,
                                     ol_error *err) {
    char id[24];
    pg_fmt_i64(id, study_id);
    return pg_upsert_attr(pg, "setting a study attribute",
                          "INSERT INTO study_user_attributes (study_id, key, value_json) VALUES ($1::int, $2, $3) "
                          "ON CONFLICT (study_id, key) DO UPDATE SET value_json = EXCLUDED.value_json",
                          "study", id, key, value_json, err);
}

ol_status pg_set_study_attr(ol_storage *st, int64_t study_id, const char *key, const char *value_json,
                            ol_error *err) {
    pg_storage *pg = (pg_storage *)st;
    if (!key || !value_json) return pg_fail(pg, err, OL_EINVAL, "study attribute key or value is missing");
    PG_WITH_RETRY(pg, err, set_study_attr_once(pg, study_id, key, value_json, err));
}

/* Rows (key, value_json) -> attribute array. */
static ol_status attrs_from_result(PGresult *r, int row0, int rows, int col, ol_attr_rec **attrs, size_t *n,
                                   ol_error *err) {
    ol_attr_rec *a = calloc(rows ? (size_t)rows : 1, sizeof *a);
    if (!a) return ol_fail(err, OL_ENOMEM, "PostgreSQL: out of memory reading attributes");
    for (int i = 0; i < rows; i++) {
        a[i].key = ol_strdup(PQgetvalue(r, row0 + i, col));
        a[i].value_json = ol_strdup(PQgetvalue(r, row0 + i, col + 1));
        if (!a[i].key || !a[i].value_json) {
            ol_attrs_free(a, (size_t)i + 1);
            return ol_fail(err, OL_ENOMEM, "PostgreSQL: out of memory reading attributes");
        }
    }
    *attrs = a;
    *n = (size_t)rows;
    return OL_OK;
}

static ol_status get_study_attrs_once(pg_storage *pg, int64_t study_id, ol_attr_rec **attrs, size_t *n,
                                      ol_error *err) {
    char id[24];
    pg_fmt_i64(id, study_id);
    const char *p[] = {id};
    PGresult *r = pg_exec(pg, "reading study attributes",
                          "SELECT key, value_json FROM study_user_attributes WHERE study_id = $1::int ORDER BY study_user_attribute_id",
                          1, p, PGRES_TUPLES_OK, NULL, err);
    if (!r) return err->status;
    if (PQntuples(r) == 0) {
        /* empty: does the study exist at all? */
        PQclear(r);
        ol_status st = pg_require_study(pg, "reading study attributes", id, err);
        if (st) return st;
        *attrs = calloc(1, sizeof **attrs);
        *n = 0;
        return *attrs ? OL_OK : ol_fail(err, OL_ENOMEM, "PostgreSQL: out of memory");
    }
    ol_status st = attrs_from_result(r, 0, PQntuples(r), 0, attrs, n, err);
    PQclear(r);
    return st;
}

ol_status pg_get_study_attrs(ol_storage *st, int64_t study_id, ol_attr_rec **attrs, size_t *n,
                             ol_error *err) {
    pg_storage *pg = (pg_storage *)st;
    *attrs = NULL;
    *n = 0;
    PG_WITH_RETRY(pg, err, get_study_attrs_once(pg, study_id, attrs, n, err));
}
