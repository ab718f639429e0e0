/*
 * space.c — one parser for parameter search spaces (optlab/experiment.h,
 * ol_param_spec): the word form of experiment files (`log 1e-4 1e-2`,
 * `int 1 8`, `choice 0 1`, a bare value) and the colon form of `optlab ask
 * --param` (`float:1e-4:1e-2:log`, `int:16:128`, `cat:relu,tanh`) both end
 * in an hpo ol_distribution built by hpo's own constructors, so the two
 * surfaces cannot drift apart. Registry checks (valid ranges of an
 * optimizer's hyperparameters) are the experiment file's business, not
 * this file's.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "optlab/experiment.h"

/* Longest spec text parsed (an experiment line or a --param value). */
#define SPEC_TEXT_MAX 1024
/* `optlab ask` takes more string choices than an experiment file's `choice` line. */
#define SPEC_MAX_CAT 64

static int parse_double(const char *s, double *out) {
    if (!*s) return 0;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (*end || errno == ERANGE || !isfinite(v)) return 0;
    *out = v;
    return 1;
}

/* A number, or true/false as 1/0 (booleans of the registry). */
static int parse_value(const char *s, double *out) {
    if (!strcmp(s, "true")) return *out = 1, 1;
    if (!strcmp(s, "false")) return *out = 0, 1;
    return parse_double(s, out);
}

/* Numeric choices as a categorical whose JSON texts are Python reprs ("0.0", "1e-08"). */
static ol_status numeric_categorical(ol_distribution *d, const double *v, int n, ol_error *err) {
    *d = (ol_distribution){.kind = OL_DIST_CATEGORICAL};
    d->choices_json = calloc((size_t)n, sizeof *d->choices_json);
    if (!d->choices_json) return ol_fail(err, OL_ENOMEM, "out of memory");
    d->n_choices = (size_t)n;
    for (int i = 0; i < n; i++) {
        char text[40];
        ol_format_pyfloat(text, sizeof text, v[i]);
        d->choices_json[i] = strdup(text);
        if (!d->choices_json[i]) {
            ol_distribution_free(d);
            return ol_fail(err, OL_ENOMEM, "out of memory");
        }
    }
    return OL_OK;
}

/* Largest magnitude an int bound or step may have: every such integer is exact in a double. */
#define SPEC_INT_MAX 9007199254740992.0 /* 2^53 */

/* An int field: a whole number within +-2^53, else a message naming `what` and the text.
 * Plain digits are read as integers (a double would round 2^53+1 into range). */
static ol_status parse_int_field(const char *s, const char *what, int64_t *out, ol_error *err) {
    const char *digits = s + (*s == '+' || *s == '-');
    if (*digits && !digits[strspn(digits, "0123456789")]) {
        errno = 0;
        long long v = strtoll(s, NULL, 10);
        if (errno == ERANGE || v > (long long)SPEC_INT_MAX || v < -(long long)SPEC_INT_MAX)
            return ol_fail(err, OL_EINVAL,
                           "int %s '%s' is out of range (at most 2^53 = 9007199254740992 in magnitude)", what, s);
        *out = (int64_t)v;
        return OL_OK;
    }
    double v;
    if (!parse_double(s, &v)) return ol_fail(err, OL_EINVAL, "int %s '%s' is not a number", what, s);
    if (fabs(v) > SPEC_INT_MAX)
        return ol_fail(err, OL_EINVAL, "int %s '%s' is out of range (at most 2^53 = 9007199254740992 in magnitude)",
                       what, s);
    if (v != floor(v)) return ol_fail(err, OL_EINVAL, "int %s '%s' is not a whole number", what, s);
    *out = (int64_t)v;
    return OL_OK;
}

/* Choices of `cat:`: a choice that reads as a JSON number, true, false or null keeps that type
 * (as Optuna's CLI stores it); anything else is a string. */
static ol_status typed_categorical(ol_distribution *d, char **choices, size_t n, ol_error *err) {
    cJSON *dist = cJSON_CreateObject(), *attrs = cJSON_AddObjectToObject(dist, "attributes");
    cJSON_AddStringToObject(dist, "name", "CategoricalDistribution");
    cJSON *arr = cJSON_AddArrayToObject(attrs, "choices");
    for (size_t i = 0; i < n && arr; i++) {
        cJSON *c = cJSON_Parse(choices[i]);
        if (!c || cJSON_IsObject(c) || cJSON_IsArray(c) || cJSON_IsString(c)) {
            cJSON_Delete(c);
            c = cJSON_CreateString(choices[i]);
        }
        cJSON_AddItemToArray(arr, c);
    }
    char *json = arr ? cJSON_PrintUnformatted(dist) : NULL;
    cJSON_Delete(dist);
    if (!json) return ol_fail(err, OL_ENOMEM, "out of memory");
    ol_status st = ol_distribution_from_json(d, json, err);
    free(json);
    return st;
}

/* VALUE | LOW HIGH | log LOW HIGH | int [log] LOW HIGH | choice A B ... */
static ol_status parse_words(const char *text, int fixed_ok, ol_param_spec *out, ol_error *err) {
    char buf[SPEC_TEXT_MAX];
    if (strlen(text) >= sizeof buf) return ol_fail(err, OL_EINVAL, "longer than %d characters", SPEC_TEXT_MAX - 1);
    memcpy(buf, text, strlen(text) + 1);
    char *tok[OL_EXP_MAX_CHOICES + 4];
    int nt = 0;
    for (char *save = NULL, *t = strtok_r(buf, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
        if (nt == OL_EXP_MAX_CHOICES + 4) return ol_fail(err, OL_EINVAL, "too many words");
        tok[nt++] = t;
    }
    if (nt == 0) return ol_fail(err, OL_EINVAL, "no value");
    if (!strcmp(tok[0], "choice")) {
        if (nt < 3) return ol_fail(err, OL_EINVAL, "'choice' needs at least two values (or write one fixed value)");
        if (nt - 1 > OL_EXP_MAX_CHOICES) return ol_fail(err, OL_EINVAL, "at most %d choices", OL_EXP_MAX_CHOICES);
        double v[OL_EXP_MAX_CHOICES];
        int n = 0;
        for (int i = 1; i < nt; i++) {
            if (!parse_value(tok[i], &v[n])) return ol_fail(err, OL_EINVAL, "'%s' is not a number", tok[i]);
            for (int j = 0; j < n; j++)
                if (v[j] == v[n]) return ol_fail(err, OL_EINVAL, "choice %s is listed twice", tok[i]);
            n++;
        }
        out->numeric_choices = 1;
        return numeric_categorical(&out->dist, v, n, err);
    }
    int i = 0, is_int = 0, log = 0;
    if (!strcmp(tok[i], "int")) is_int = 1, i++;
    if (i < nt && !strcmp(tok[i], "log")) log = 1, i++;
    int nnum = nt - i;
    if (nnum == 1 && !is_int && !log && fixed_ok) {
        if (!parse_value(tok[i], &out->value))
            return ol_fail(err, OL_EINVAL,
                           "'%s' is not a number (write a value, LOW HIGH, log LOW HIGH, int LOW HIGH or choice A B ...)",
                           tok[i]);
        out->fixed = 1;
        return OL_OK;
    }
    if (nnum != 2)
        return ol_fail(err, OL_EINVAL, "expected %sLOW HIGH, log LOW HIGH, int [log] LOW HIGH or choice A B ...",
                       fixed_ok ? "VALUE, " : "");
    if (is_int) {
        int64_t lo, hi;
        ol_status st = parse_int_field(tok[i], "low", &lo, err);
        if (!st) st = parse_int_field(tok[i + 1], "high", &hi, err);
        if (st) return st;
        if (lo >= hi) return ol_fail(err, OL_EINVAL, "low %s must be below high %s", tok[i], tok[i + 1]);
        if (log && lo <= 0) return ol_fail(err, OL_EINVAL, "a log scale needs low > 0 (low is %s)", tok[i]);
        return ol_dist_int(&out->dist, lo, hi, log, 1, err);
    }
    double lo, hi;
    if (!parse_double(tok[i], &lo)) return ol_fail(err, OL_EINVAL, "low '%s' is not a number", tok[i]);
    if (!parse_double(tok[i + 1], &hi)) return ol_fail(err, OL_EINVAL, "high '%s' is not a number", tok[i + 1]);
    if (lo >= hi) return ol_fail(err, OL_EINVAL, "low %g must be below high %g", lo, hi);
    if (log && lo <= 0) return ol_fail(err, OL_EINVAL, "a log scale needs low > 0 (low is %g)", lo);
    return ol_dist_float(&out->dist, lo, hi, log, 0, err);
}

/* float:LOW:HIGH[:log][:step=S] | int:LOW:HIGH[:log][:step=S] | cat:A,B,C */
static ol_status parse_colon(const char *text, ol_param_spec *out, ol_error *err) {
    char buf[SPEC_TEXT_MAX];
    if (strlen(text) >= sizeof buf) return ol_fail(err, OL_EINVAL, "longer than %d characters", SPEC_TEXT_MAX - 1);
    memcpy(buf, text, strlen(text) + 1);
    char *kind = buf, *rest = strchr(buf, ':');
    if (!rest) return ol_fail(err, OL_EINVAL, "expected KIND:... (float, int or cat)");
    *rest++ = '\0';
    if (!strcmp(kind, "cat")) {
        char *choices[SPEC_MAX_CAT];
        size_t n = 0;
        for (char *save = NULL, *t = strtok_r(rest, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            if (n == SPEC_MAX_CAT) return ol_fail(err, OL_EINVAL, "at most %d choices", SPEC_MAX_CAT);
            choices[n++] = t;
        }
        if (n == 0) return ol_fail(err, OL_EINVAL, "cat needs at least one choice (cat:A,B,C)");
        return typed_categorical(&out->dist, choices, n, err);
    }
    if (strcmp(kind, "float") && strcmp(kind, "int"))
        return ol_fail(err, OL_EINVAL, "unknown kind '%s' (float, int or cat)", kind);
    int is_int = !strcmp(kind, "int"), log = 0;
    char *fields[8];
    int nf = 0;
    for (char *save = NULL, *t = strtok_r(rest, ":", &save); t; t = strtok_r(NULL, ":", &save)) {
        if (nf == 8) return ol_fail(err, OL_EINVAL, "too many ':' fields");
        fields[nf++] = t;
    }
    if (nf < 2) return ol_fail(err, OL_EINVAL, "expected %s:LOW:HIGH with numbers", kind);
    const char *step_text = NULL;
    for (int i = 2; i < nf; i++) {
        if (!strcmp(fields[i], "log")) log = 1;
        else if (!strncmp(fields[i], "step=", 5)) step_text = fields[i] + 5;
        else return ol_fail(err, OL_EINVAL, "unknown option '%s' (log or step=S)", fields[i]);
    }
    if (is_int) {
        int64_t lo, hi, step = 1;
        ol_status st = parse_int_field(fields[0], "low", &lo, err);
        if (!st) st = parse_int_field(fields[1], "high", &hi, err);
        if (!st && step_text) st = parse_int_field(step_text, "step", &step, err);
        if (st) return st;
        if (step_text && step <= 0)
            return ol_fail(err, OL_EINVAL, "step=%s must be a positive whole number", step_text);
        return ol_dist_int(&out->dist, lo, hi, log, step, err);
    }
    double lo, hi, step = 0;
    if (!parse_double(fields[0], &lo) || !parse_double(fields[1], &hi))
        return ol_fail(err, OL_EINVAL, "expected %s:LOW:HIGH with numbers", kind);
    if (step_text && !parse_double(step_text, &step))
        return ol_fail(err, OL_EINVAL, "step '%s' is not a number", step_text);
    if (step_text && !(step > 0)) return ol_fail(err, OL_EINVAL, "step=%s must be positive", step_text);
    return ol_dist_float(&out->dist, lo, hi, log, step, err);
}

ol_status ol_param_spec_parse(const char *text, int fixed_ok, ol_param_spec *out, ol_error *err) {
    memset(out, 0, sizeof *out);
    if (!text) return ol_fail(err, OL_EINVAL, "no value");
    /* the colon form names its kind first; the word form never holds ':' */
    ol_status st = strchr(text, ':') ? parse_colon(text, out, err) : parse_words(text, fixed_ok, out, err);
    /* what parses is a valid distribution (e.g. no choice listed twice): the caller names the parameter */
    if (!st && !out->fixed) st = ol_distribution_check(&out->dist, NULL, err);
    if (st) ol_param_spec_free(out);
    return st;
}

double ol_param_spec_choice_value(const ol_param_spec *p, size_t index) {
    if (p->dist.kind != OL_DIST_CATEGORICAL || index >= p->dist.n_choices) return NAN;
    return strtod(p->dist.choices_json[index], NULL);
}

void ol_param_spec_free(ol_param_spec *p) {
    if (!p) return;
    ol_distribution_free(&p->dist);
    memset(p, 0, sizeof *p);
}
