/*
 * validate.c — what every backend would otherwise check on its own, written
 * once: the checks storage.c makes on the public calls before any backend
 * sees them (names of 1-512 bytes of valid UTF-8, JSON attribute values and
 * distributions, finite parameter values, step ranges, no NaN objective), and
 * Optuna's (value, value_type) encoding of floats with its reverse, which
 * refuses what a tampered database may hold (NULL or text where a number
 * belongs, unknown types, numbers out of range, unknown directions) with a
 * message naming the row, instead of reading it as 0.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <math.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "validate.h"

int ol_utf8_valid(const char *str) {
    const unsigned char *s = (const unsigned char *)str;
    if (!s) return 0;
    while (*s) {
        unsigned c = *s;
        if (c < 0x80) {
            s++;
            continue;
        }
        int len;
        unsigned cp;
        if (c >= 0xC2 && c <= 0xDF) len = 2, cp = c & 0x1F;
        else if (c >= 0xE0 && c <= 0xEF) len = 3, cp = c & 0x0F;
        else if (c >= 0xF0 && c <= 0xF4) len = 4, cp = c & 0x07;
        else return 0; /* continuation byte first, overlong lead C0/C1, or F5..FF */
        for (int i = 1; i < len; i++) {
            if ((s[i] & 0xC0) != 0x80) return 0; /* also catches the terminating 0 */
            cp = (cp << 6) | (s[i] & 0x3F);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF))) return 0; /* overlong */
        if (cp >= 0xD800 && cp <= 0xDFFF) return 0;                                         /* surrogate */
        s += len;
    }
    return 1;
}

ol_status ol_check_name(const char *what, const char *name, ol_error *err) {
    if (!name || !*name) return ol_fail(err, OL_EINVAL, "%s is empty", what);
    size_t n = strlen(name);
    if (n > OL_STORAGE_MAX_NAME)
        return ol_fail(err, OL_EINVAL, "%s '%.40s...' is %zu bytes, longer than %d (Optuna's limit)", what, name, n,
                       OL_STORAGE_MAX_NAME);
    if (!ol_utf8_valid(name)) {
        /* show the name with its bad bytes escaped: the terminal may not print them */
        char shown[200];
        size_t o = 0;
        for (const unsigned char *c = (const unsigned char *)name; *c && o + 5 < sizeof shown; c++) {
            if (*c >= 0x20 && *c < 0x7F) shown[o++] = (char)*c;
            else o += (size_t)snprintf(shown + o, sizeof shown - o, "\\x%02x", *c);
        }
        shown[o] = 0;
        return ol_fail(err, OL_EINVAL, "%s '%s' is not valid UTF-8 (Optuna could not read the storage)", what, shown);
    }
    return OL_OK;
}

ol_status ol_check_json(const char *what, const char *key, const char *json, ol_error *err) {
    if (!json) return ol_fail(err, OL_EINVAL, "%s '%s' has no value", what, key);
    cJSON *parsed = cJSON_Parse(json);
    if (!parsed) return ol_fail(err, OL_EINVAL, "%s '%s': value is not valid JSON: %.80s", what, key, json);
    cJSON_Delete(parsed);
    if (!ol_utf8_valid(json)) return ol_fail(err, OL_EINVAL, "%s '%s': value is not valid UTF-8", what, key);
    return OL_OK;
}

const char *ol_float_type(double v) {
    if (isnan(v)) return "NAN";
    if (isinf(v)) return v > 0 ? "INF_POS" : "INF_NEG";
    return "FINITE";
}

/* The row named by fmt/ap, formatted only when something is wrong. */
#define WHERE_FROM_ARGS(where, fmt)                                                                               \
    char where[1200];                                                                                             \
    do {                                                                                                          \
        va_list ap_;                                                                                              \
        va_start(ap_, fmt);                                                                                       \
        vsnprintf(where, sizeof where, fmt, ap_);                                                                 \
        va_end(ap_);                                                                                              \
    } while (0)

ol_status ol_float_decode(const char *type, int has_number, double number, int allow_nan, double *out,
                          ol_error *err, const char *fmt, ...) {
    if (has_number && type && type[0] == 'F' && !strcmp(type, "FINITE") && isfinite(number)) {
        *out = number; /* the usual case, without formatting the row's name */
        return OL_OK;
    }
    WHERE_FROM_ARGS(where, fmt);
    if (!type) return ol_fail(err, OL_EFORMAT, "%s has no value type (NULL)", where);
    if (!strcmp(type, "FINITE")) {
        if (!has_number) return ol_fail(err, OL_EFORMAT, "%s is FINITE but holds no number (NULL or text)", where);
        if (!isfinite(number)) return ol_fail(err, OL_EFORMAT, "%s is FINITE but holds %g", where, number);
        *out = number;
    } else if (!strcmp(type, "INF_POS")) {
        *out = INFINITY;
    } else if (!strcmp(type, "INF_NEG")) {
        *out = -INFINITY;
    } else if (!strcmp(type, "NAN") && allow_nan) {
        *out = NAN;
    } else {
        return ol_fail(err, OL_EFORMAT, "%s has value type '%.20s', which %s", where, type,
                       !strcmp(type, "NAN") ? "Optuna never stores for a trial's value" : "is not Optuna's");
    }
    return OL_OK;
}

ol_status ol_number_decode(int is_null, long long number, int *out, ol_error *err, const char *fmt, ...) {
    if (!is_null && number >= 0 && number <= INT_MAX) {
        *out = (int)number;
        return OL_OK;
    }
    WHERE_FROM_ARGS(where, fmt);
    if (is_null) return ol_fail(err, OL_EFORMAT, "%s has no number (NULL)", where);
    if (number < 0 || number > INT_MAX)
        return ol_fail(err, OL_EFORMAT, "%s has number %lld, outside 0..%d", where, number, INT_MAX);
    *out = (int)number;
    return OL_OK;
}

ol_status ol_direction_decode(const char *text, int *maximize, ol_error *err, const char *fmt, ...) {
    WHERE_FROM_ARGS(where, fmt);
    if (!text) return ol_fail(err, OL_EFORMAT, "%s has no direction (no study_directions row)", where);
    if (!strcmp(text, "MAXIMIZE")) *maximize = 1;
    else if (!strcmp(text, "MINIMIZE")) *maximize = 0;
    else return ol_fail(err, OL_EFORMAT, "%s has direction '%.20s' (not MAXIMIZE or MINIMIZE)", where, text);
    return OL_OK;
}
