/*
 * distribution.c — search-space distributions as Optuna 3.1 defines them
 * (FloatDistribution, IntDistribution, CategoricalDistribution): building
 * and checking them, and their JSON text byte for byte as Optuna writes it
 * into trial_params.distribution_json, so that optuna.load_study and
 * optuna-dashboard read optlab's studies (and optlab reads Optuna's).
 *
 * Optuna's text is Python's json.dumps of {"name", "attributes"} with the
 * attribute order of the class's __dict__ and Python's float repr; we write
 * it by hand (cJSON's number format differs) and parse it with cJSON.
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "optlab/hpo.h"

void ol_format_pyfloat(char *buf, size_t n, double v) {
    if (isnan(v)) {
        snprintf(buf, n, "NaN");
        return;
    }
    if (isinf(v)) {
        snprintf(buf, n, v > 0 ? "Infinity" : "-Infinity");
        return;
    }
    /* shortest decimal that reads back as v (what Python's repr finds) */
    char tmp[40];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*e", prec - 1, v);
        if (strtod(tmp, NULL) == v) break;
    }
    /* tmp = [-]d[.ddd]e[+-]XX: split into sign, digits, exponent */
    const char *p = tmp;
    int neg = 0;
    if (*p == '-') {
        neg = 1;
        p++;
    }
    char digits[24];
    int nd = 0;
    for (; *p && *p != 'e'; p++)
        if (*p != '.') digits[nd++] = *p;
    int exp10 = atoi(p + 1);
    while (nd > 1 && digits[nd - 1] == '0') nd--;
    digits[nd] = 0;
    if (v == 0) exp10 = 0;
    int decpt = exp10 + 1; /* v = 0.digits * 10^decpt */
    char out[64];
    size_t o = 0;
    if (neg) out[o++] = '-';
    if (decpt > -4 && decpt <= 16) { /* Python's repr switches to exponents outside this */
        if (decpt <= 0) {
            out[o++] = '0';
            out[o++] = '.';
            for (int i = 0; i < -decpt; i++) out[o++] = '0';
            for (int i = 0; i < nd; i++) out[o++] = digits[i];
        } else {
            for (int i = 0; i < decpt; i++) out[o++] = i < nd ? digits[i] : '0';
            out[o++] = '.';
            if (nd > decpt)
                for (int i = decpt; i < nd; i++) out[o++] = digits[i];
            else
                out[o++] = '0';
        }
        out[o] = 0;
    } else {
        out[o++] = digits[0];
        if (nd > 1) {
            out[o++] = '.';
            for (int i = 1; i < nd; i++) out[o++] = digits[i];
        }
        snprintf(out + o, sizeof out - o, "e%c%02d", exp10 < 0 ? '-' : '+', abs(exp10));
    }
    snprintf(buf, n, "%s", out);
}

/* Python json.dumps of a string (ensure_ascii): \uXXXX for non-ASCII. Caller frees. */
static char *py_json_string(const char *s) {
    size_t len = strlen(s);
    char *out = malloc(len * 12 + 3); /* worst case: a surrogate pair per 4 bytes */
    if (!out) return NULL;
    size_t o = 0;
    out[o++] = '"';
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned c = *p;
        if (c == '"' || c == '\\') {
            out[o++] = '\\';
            out[o++] = (char)c;
            p++;
        } else if (c == '\n') { out[o++] = '\\'; out[o++] = 'n'; p++; }
        else if (c == '\r') { out[o++] = '\\'; out[o++] = 'r'; p++; }
        else if (c == '\t') { out[o++] = '\\'; out[o++] = 't'; p++; }
        else if (c == '\b') { out[o++] = '\\'; out[o++] = 'b'; p++; }
        else if (c == '\f') { out[o++] = '\\'; out[o++] = 'f'; p++; }
        else if (c < 0x20) {
            o += (size_t)sprintf(out + o, "\\u%04x", c);
            p++;
        } else if (c < 0x80) {
            out[o++] = (char)c;
            p++;
        } else {
            /* decode one UTF-8 sequence; a malformed byte is written as U+FFFD */
            unsigned cp = 0xfffd;
            int extra = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 0;
            int ok = extra > 0;
            unsigned v = extra == 3 ? c & 7 : extra == 2 ? c & 15 : c & 31;
            for (int i = 1; ok && i <= extra; i++) {
                if ((p[i] & 0xc0) != 0x80) ok = 0;
                else v = (v << 6) | (p[i] & 0x3f);
            }
            if (ok) {
                cp = v;
                p += extra + 1;
            } else
                p++;
            if (cp >= 0x10000) {
                cp -= 0x10000;
                o += (size_t)sprintf(out + o, "\\u%04x\\u%04x", 0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff));
            } else
                o += (size_t)sprintf(out + o, "\\u%04x", cp);
        }
    }
    out[o++] = '"';
    out[o] = 0;
    return out;
}

void ol_distribution_free(ol_distribution *d) {
    if (!d) return;
    for (size_t i = 0; i < d->n_choices; i++) free(d->choices_json[i]);
    free(d->choices_json);
    d->choices_json = NULL;
    d->n_choices = 0;
}

ol_status ol_distribution_check(const ol_distribution *d, const char *param, ol_error *err) {
    /* "parameter 'x': " when the caller named it; else the caller adds context */
    char p_buf[300];
    if (param) snprintf(p_buf, sizeof p_buf, "parameter '%.256s': ", param);
    else p_buf[0] = 0;
    const char *p = p_buf;
    if (d->kind == OL_DIST_CATEGORICAL) {
        if (d->n_choices == 0) return ol_fail(err, OL_EINVAL, "%scategorical with no choices", p);
        for (size_t i = 0; i < d->n_choices; i++)
            for (size_t j = 0; j < i; j++)
                if (!strcmp(d->choices_json[i], d->choices_json[j]))
                    return ol_fail(err, OL_EINVAL, "%schoice %s is listed twice", p,
                                   d->choices_json[i]);
        return OL_OK;
    }
    const char *kind = d->kind == OL_DIST_INT ? "int" : "float";
    if (d->kind != OL_DIST_FLOAT && d->kind != OL_DIST_INT)
        return ol_fail(err, OL_EINVAL, "%sunknown distribution kind %d", p, (int)d->kind);
    if (!isfinite(d->low) || !isfinite(d->high))
        return ol_fail(err, OL_EINVAL, "%s%s range [%g, %g] is not finite", p, kind, d->low, d->high);
    if (d->low >= d->high)
        return ol_fail(err, OL_EINVAL, "%s%s range needs low < high, got low %g, high %g", p, kind,
                       d->low, d->high);
    if (d->log && d->low <= 0)
        return ol_fail(err, OL_EINVAL, "%slog scale needs low > 0, got low %g", p, d->low);
    if (d->kind == OL_DIST_INT) {
        if (d->low != floor(d->low) || d->high != floor(d->high))
            return ol_fail(err, OL_EINVAL, "%sint bounds %g, %g are not integers", p, d->low, d->high);
        /* beyond 2^53 a double no longer holds every integer (and an int64 overflows further on) */
        if (fabs(d->low) > 9007199254740992.0 || fabs(d->high) > 9007199254740992.0 || d->step > 9007199254740992.0)
            return ol_fail(err, OL_EINVAL, "%sint range %g..%g (step %g) is beyond 2^53 in magnitude", p, d->low,
                           d->high, d->step);
        if (d->step < 1 || d->step != floor(d->step))
            return ol_fail(err, OL_EINVAL, "%sint step must be an integer >= 1, got %g", p, d->step);
        if (d->log && d->step != 1)
            return ol_fail(err, OL_EINVAL, "%slog scale needs step 1, got %g", p, d->step);
        if (fmod(d->high - d->low, d->step) != 0)
            return ol_fail(err, OL_EINVAL, "%srange %g..%g is not a whole number of steps of %g", p,
                           d->low, d->high, d->step);
    } else if (d->step != 0) {
        if (!(d->step > 0) || !isfinite(d->step))
            return ol_fail(err, OL_EINVAL, "%sfloat step must be > 0, got %g", p, d->step);
        if (d->log) return ol_fail(err, OL_EINVAL, "%sa log-scale float cannot have a step", p);
        double k = (d->high - d->low) / d->step;
        if (fabs(k - round(k)) > 1e-8 * fmax(1.0, fabs(k)))
            return ol_fail(err, OL_EINVAL, "%srange %g..%g is not a whole number of steps of %g", p,
                           d->low, d->high, d->step);
    }
    return OL_OK;
}

ol_status ol_dist_float(ol_distribution *d, double low, double high, int log, double step, ol_error *err) {
    *d = (ol_distribution){.kind = OL_DIST_FLOAT, .low = low, .high = high, .log = log ? 1 : 0, .step = step};
    return ol_distribution_check(d, NULL, err);
}

ol_status ol_dist_int(ol_distribution *d, int64_t low, int64_t high, int log, int64_t step, ol_error *err) {
    *d = (ol_distribution){
        .kind = OL_DIST_INT, .low = (double)low, .high = (double)high, .log = log ? 1 : 0, .step = (double)step};
    return ol_distribution_check(d, NULL, err);
}

ol_status ol_dist_categorical(ol_distribution *d, const char *const *choices, size_t n, ol_error *err) {
    *d = (ol_distribution){.kind = OL_DIST_CATEGORICAL};
    if (n > 0) {
        if (!choices) return ol_fail(err, OL_EINVAL, "categorical choices are NULL");
        d->choices_json = calloc(n, sizeof *d->choices_json);
        if (!d->choices_json) return ol_fail(err, OL_ENOMEM, "out of memory");
        d->n_choices = n;
        for (size_t i = 0; i < n; i++) {
            if (!choices[i]) {
                ol_distribution_free(d);
                return ol_fail(err, OL_EINVAL, "categorical choice %zu is NULL", i);
            }
            /* its JSON would hold lone surrogates: neither cJSON nor Optuna reads that back
               (found by fuzz/fuzz_param.c) */
            if (!ol_utf8_valid(choices[i])) {
                ol_distribution_free(d);
                return ol_fail(err, OL_EINVAL, "categorical choice %zu is not valid UTF-8", i + 1);
            }
            d->choices_json[i] = py_json_string(choices[i]);
            if (!d->choices_json[i]) {
                ol_distribution_free(d);
                return ol_fail(err, OL_ENOMEM, "out of memory");
            }
        }
    }
    ol_status rc = ol_distribution_check(d, NULL, err);
    if (rc) ol_distribution_free(d);
    return rc;
}

static void fmt_int(char *buf, size_t n, double v) { snprintf(buf, n, "%lld", (long long)v); }

char *ol_distribution_to_json(const ol_distribution *d) {
    if (d->kind == OL_DIST_CATEGORICAL) {
        size_t len = 80;
        for (size_t i = 0; i < d->n_choices; i++) len += strlen(d->choices_json[i]) + 2;
        char *s = malloc(len);
        if (!s) return NULL;
        size_t o = (size_t)sprintf(s, "{\"name\": \"CategoricalDistribution\", \"attributes\": {\"choices\": [");
        for (size_t i = 0; i < d->n_choices; i++)
            o += (size_t)sprintf(s + o, "%s%s", i ? ", " : "", d->choices_json[i]);
        sprintf(s + o, "]}}");
        return s;
    }
    char low[40], high[40], step[40];
    char *s = malloc(256);
    if (!s) return NULL;
    if (d->kind == OL_DIST_INT) {
        fmt_int(low, sizeof low, d->low);
        fmt_int(high, sizeof high, d->high);
        fmt_int(step, sizeof step, d->step);
        snprintf(s, 256,
                 "{\"name\": \"IntDistribution\", \"attributes\": {\"log\": %s, \"step\": %s, \"low\": %s, \"high\": %s}}",
                 d->log ? "true" : "false", step, low, high);
    } else {
        ol_format_pyfloat(low, sizeof low, d->low);
        ol_format_pyfloat(high, sizeof high, d->high);
        if (d->step > 0) ol_format_pyfloat(step, sizeof step, d->step);
        else snprintf(step, sizeof step, "null");
        snprintf(s, 256,
                 "{\"name\": \"FloatDistribution\", \"attributes\": {\"step\": %s, \"low\": %s, \"high\": %s, \"log\": %s}}",
                 step, low, high, d->log ? "true" : "false");
    }
    return s;
}

/* Python-style JSON text of one parsed choice (string, number, bool, null). */
static char *choice_text(const cJSON *c) {
    char buf[48];
    if (cJSON_IsString(c)) return ol_utf8_valid(c->valuestring) ? py_json_string(c->valuestring) : NULL;
    if (cJSON_IsNull(c)) return strdup("null");
    if (cJSON_IsTrue(c)) return strdup("true");
    if (cJSON_IsFalse(c)) return strdup("false");
    if (cJSON_IsNumber(c)) {
        double v = c->valuedouble;
        if (v == floor(v) && fabs(v) < 9007199254740992.0) snprintf(buf, sizeof buf, "%lld", (long long)v);
        else ol_format_pyfloat(buf, sizeof buf, v);
        return strdup(buf);
    }
    return NULL;
}

static int get_num(const cJSON *attrs, const char *key, double *out) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(attrs, key);
    if (!cJSON_IsNumber(v)) return -1;
    *out = v->valuedouble;
    return 0;
}

ol_status ol_distribution_from_json(ol_distribution *d, const char *json, ol_error *err) {
    *d = (ol_distribution){0};
    cJSON *root = cJSON_Parse(json);
    if (!root) return ol_fail(err, OL_EFORMAT, "distribution JSON is not valid JSON: %.200s", json);
    ol_status rc = OL_OK;
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(root, "name");
    const cJSON *attrs = cJSON_GetObjectItemCaseSensitive(root, "attributes");
    if (!cJSON_IsString(name) || !cJSON_IsObject(attrs)) {
        rc = ol_fail(err, OL_EFORMAT, "distribution JSON lacks \"name\" or \"attributes\": %.200s", json);
        goto out;
    }
    const char *n = name->valuestring;
    if (!strcmp(n, "CategoricalDistribution")) {
        const cJSON *ch = cJSON_GetObjectItemCaseSensitive(attrs, "choices");
        if (!cJSON_IsArray(ch)) {
            rc = ol_fail(err, OL_EFORMAT, "categorical distribution without a choices array: %.200s", json);
            goto out;
        }
        d->kind = OL_DIST_CATEGORICAL;
        int k = cJSON_GetArraySize(ch);
        d->choices_json = calloc(k > 0 ? (size_t)k : 1, sizeof *d->choices_json);
        if (!d->choices_json) {
            rc = ol_fail(err, OL_ENOMEM, "out of memory");
            goto out;
        }
        const cJSON *c;
        cJSON_ArrayForEach(c, ch) {
            char *t = choice_text(c);
            if (!t) {
                rc = ol_fail(err, OL_EFORMAT, "categorical choice is not a string (valid UTF-8), number, bool or null: %.200s", json);
                goto out;
            }
            d->choices_json[d->n_choices++] = t;
        }
        goto out;
    }
    /* Float/Int, and Optuna 2.x's names that 3.1 still reads */
    int is_int = !strcmp(n, "IntDistribution") || !strcmp(n, "IntUniformDistribution") ||
                 !strcmp(n, "IntLogUniformDistribution");
    int is_float = !strcmp(n, "FloatDistribution") || !strcmp(n, "UniformDistribution") ||
                   !strcmp(n, "LogUniformDistribution") || !strcmp(n, "DiscreteUniformDistribution");
    if (!is_int && !is_float) {
        rc = ol_fail(err, OL_EFORMAT, "unknown distribution '%s'", n);
        goto out;
    }
    d->kind = is_int ? OL_DIST_INT : OL_DIST_FLOAT;
    if (get_num(attrs, "low", &d->low) || get_num(attrs, "high", &d->high)) {
        rc = ol_fail(err, OL_EFORMAT, "distribution '%s' lacks numeric low/high: %.200s", n, json);
        goto out;
    }
    const cJSON *lg = cJSON_GetObjectItemCaseSensitive(attrs, "log");
    d->log = cJSON_IsTrue(lg) || strstr(n, "LogUniform") != NULL;
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(attrs, "step");
    if (!st) st = cJSON_GetObjectItemCaseSensitive(attrs, "q");
    if (cJSON_IsNumber(st)) d->step = st->valuedouble;
    else d->step = is_int ? 1 : 0;
out:
    cJSON_Delete(root);
    if (rc) ol_distribution_free(d);
    return rc;
}

/* A choice's JSON text read as a number, when it is one (not a string, bool or null). */
static int choice_number(const char *text, double *out) {
    char *end = NULL;
    if (!*text || *text == '"') return 0;
    *out = strtod(text, &end);
    return end && *end == '\0' && end != text;
}

int ol_distribution_equal(const ol_distribution *a, const ol_distribution *b) {
    if (a->kind != b->kind) return 0;
    if (a->kind == OL_DIST_CATEGORICAL) {
        if (a->n_choices != b->n_choices) return 0;
        for (size_t i = 0; i < a->n_choices; i++) {
            if (!strcmp(a->choices_json[i], b->choices_json[i])) continue;
            /* as in Python, 16 == 16.0: Optuna's JSON writes a float choice "16.0",
               which reads back as the number 16 */
            double x, y;
            if (!choice_number(a->choices_json[i], &x) || !choice_number(b->choices_json[i], &y) || x != y) return 0;
        }
        return 1;
    }
    return a->low == b->low && a->high == b->high && a->log == b->log && a->step == b->step;
}

int ol_distribution_contains(const ol_distribution *d, double v) {
    if (!isfinite(v)) return 0;
    if (d->kind == OL_DIST_CATEGORICAL) return v >= 0 && v < (double)d->n_choices && v == floor(v);
    if (v < d->low || v > d->high) return 0;
    if (d->step > 0) {
        double k = (v - d->low) / d->step;
        return fabs(k - round(k)) <= 1e-8 * fmax(1.0, fabs(k));
    }
    return 1;
}
