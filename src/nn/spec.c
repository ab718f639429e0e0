/*
 * Model spec parser: turns "conv32k3p1 relu maxpool2 ... linear10 softmax"
 * into a list of layers with their input/output shapes and their offsets in
 * the one parameter buffer (state_dict order: weight then bias per layer).
 * Every error names the token, its position and what was expected, so a user
 * trying another architecture sees at once what to change.
 */
#include "nn_internal.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SPEC_MAX_LAYERS 256
#define SPEC_MAX_DIM 65536

/* Parse a decimal number at *p (1..SPEC_MAX_DIM); advances *p. 0 on failure. */
static int parse_dim(const char **p) {
    if (!isdigit((unsigned char)**p)) return 0;
    long v = 0;
    while (isdigit((unsigned char)**p)) {
        v = v * 10 + (**p - '0');
        if (v > SPEC_MAX_DIM) return 0;
        (*p)++;
    }
    return (int)v;
}

/* Parse one token into L's kind/hyper-parameters (shapes are set later). */
static int parse_token(const char *tok, nn_layer *L) {
    const char *p;
    memset(L, 0, sizeof *L);
    snprintf(L->token, sizeof L->token, "%s", tok);
    if (!strcmp(tok, "relu")) { L->kind = OL_LAYER_RELU; return 1; }
    if (!strcmp(tok, "sigmoid")) { L->kind = OL_LAYER_SIGMOID; return 1; }
    if (!strcmp(tok, "tanh")) { L->kind = OL_LAYER_TANH; return 1; }
    if (!strcmp(tok, "flatten")) { L->kind = OL_LAYER_FLATTEN; return 1; }
    if (!strcmp(tok, "softmax")) { L->kind = OL_LAYER_SOFTMAX; return 1; }
    if (!strcmp(tok, "maxpool2")) { L->kind = OL_LAYER_MAXPOOL; return 1; }
    if (!strncmp(tok, "linear", 6)) {
        p = tok + 6;
        L->kind = OL_LAYER_LINEAR;
        L->out_c = parse_dim(&p);
        return L->out_c > 0 && *p == 0;
    }
    if (!strncmp(tok, "conv", 4)) {
        p = tok + 4;
        L->kind = OL_LAYER_CONV;
        L->out_c = parse_dim(&p);
        if (L->out_c <= 0 || *p++ != 'k') return 0;
        L->k = parse_dim(&p);
        if (L->k <= 0) return 0;
        if (*p == 'p') {
            p++;
            if (*p == '0' && isdigit((unsigned char)p[1])) return 0;
            if (*p == '0') { p++; L->pad = 0; }
            else if ((L->pad = parse_dim(&p)) <= 0) return 0;
        }
        return *p == 0;
    }
    return -1; /* unknown word */
}

static const char *expected_form(const char *tok) {
    if (!strncmp(tok, "conv", 4)) return "convNkK or convNkKpP, e.g. conv32k3p1";
    if (!strncmp(tok, "linear", 6)) return "linearN, e.g. linear64";
    return "one of convNkK[pP], maxpool2, relu, sigmoid, tanh, flatten, linearN, softmax";
}

ol_status nn_parse_spec(const char *spec, int in_c, int in_h, int in_w, nn_layer **layers_out,
                        int *n_out, size_t *n_params_out, ol_error *err) {
    *layers_out = NULL;
    *n_out = 0;
    *n_params_out = 0;
    if (!spec) return ol_fail(err, OL_EINVAL, "model spec: is NULL");
    if (in_c <= 0 || in_h <= 0 || in_w <= 0 || in_c > SPEC_MAX_DIM || in_h > SPEC_MAX_DIM ||
        in_w > SPEC_MAX_DIM)
        return ol_fail(err, OL_EINVAL, "model input shape %dx%dx%d: every dimension must be 1..%d",
                       in_c, in_h, in_w, SPEC_MAX_DIM);
    nn_layer *layers = calloc(SPEC_MAX_LAYERS, sizeof *layers);
    if (!layers) return ol_fail(err, OL_ENOMEM, "model spec: out of memory");
    int n = 0;
    int c = in_c, h = in_h, w = in_w, flat = 0;
    size_t off = 0;
    const char *p = spec;
    char tok[sizeof layers[0].token];
    ol_status st = OL_OK;
    for (;;) {
        while (*p && (isspace((unsigned char)*p) || *p == '#')) {
            if (*p == '#')
                while (*p && *p != '\n') p++;
            else
                p++;
        }
        if (!*p) break;
        size_t len = 0;
        while (p[len] && !isspace((unsigned char)p[len]) && p[len] != '#') len++;
        int pos = n + 1;
        if (len >= sizeof tok) {
            st = ol_fail(err, OL_EINVAL, "model spec: token %d '%.20s...' is too long", pos, p);
            goto fail;
        }
        memcpy(tok, p, len);
        tok[len] = 0;
        p += len;
        for (char *q = tok; *q; q++) *q = (char)tolower((unsigned char)*q);
        if (n == SPEC_MAX_LAYERS) {
            st = ol_fail(err, OL_EINVAL, "model spec: token %d '%s': more than %d layers", pos, tok,
                         SPEC_MAX_LAYERS);
            goto fail;
        }
        nn_layer *L = &layers[n];
        int ok = parse_token(tok, L);
        if (ok <= 0) {
            st = ol_fail(err, OL_EINVAL, "model spec: token %d '%s' %s; expected %s", pos, tok,
                         ok < 0 ? "is not a layer" : "is malformed", expected_form(tok));
            goto fail;
        }
        L->in_c = c; L->in_h = h; L->in_w = w; L->in_flat = flat;
        switch (L->kind) {
        case OL_LAYER_CONV: {
            if (flat) {
                st = ol_fail(err, OL_EINVAL,
                             "model spec: token %d '%s': a convolution needs a C×H×W input, "
                             "but the input here is flat (after flatten or linear)", pos, tok);
                goto fail;
            }
            int oh = h + 2 * L->pad - L->k + 1, ow = w + 2 * L->pad - L->k + 1;
            if (oh <= 0 || ow <= 0) {
                st = ol_fail(err, OL_EINVAL,
                             "model spec: token %d '%s': kernel %d with padding %d does not fit "
                             "the %dx%d input", pos, tok, L->k, L->pad, h, w);
                goto fail;
            }
            L->w_off = off;
            off += (size_t)L->out_c * c * L->k * L->k;
            L->b_off = off;
            off += (size_t)L->out_c;
            L->n_params = off - L->w_off;
            c = L->out_c; h = oh; w = ow;
            break;
        }
        case OL_LAYER_MAXPOOL:
            if (flat || h < 2 || w < 2) {
                st = ol_fail(err, OL_EINVAL,
                             "model spec: token %d '%s': needs a C×H×W input of at least 2×2, "
                             "got %s %dx%dx%d", pos, tok, flat ? "flat" : "", c, h, w);
                goto fail;
            }
            h /= 2; w /= 2;
            break;
        case OL_LAYER_FLATTEN:
            if (!flat) {
                if ((long long)c * h * w > INT_MAX) {
                    st = ol_fail(err, OL_EINVAL, "model spec: token %d '%s': %dx%dx%d = %lld features, more than %d",
                                 pos, tok, c, h, w, (long long)c * h * w, INT_MAX);
                    goto fail;
                }
                c = c * h * w; h = w = 1; flat = 1;
            }
            break;
        case OL_LAYER_LINEAR:
            if (!flat) {
                st = ol_fail(err, OL_EINVAL,
                             "model spec: token %d '%s': a linear layer needs a flat input; "
                             "add 'flatten' before it (input here is %dx%dx%d)", pos, tok, c, h, w);
                goto fail;
            }
            L->w_off = off;
            off += (size_t)L->out_c * c;
            L->b_off = off;
            off += (size_t)L->out_c;
            L->n_params = off - L->w_off;
            c = L->out_c;
            break;
        case OL_LAYER_SOFTMAX:
            if (!flat) {
                st = ol_fail(err, OL_EINVAL,
                             "model spec: token %d '%s': softmax needs a flat input; add 'flatten' "
                             "before it", pos, tok);
                goto fail;
            }
            break;
        default: /* elementwise: shape unchanged */
            break;
        }
        L->out_c = c; L->out_h = h; L->out_w = w; L->out_flat = flat;
        L->in_size = (size_t)L->in_c * L->in_h * L->in_w;
        L->out_size = (size_t)c * h * w;
        n++;
    }
    if (n == 0) {
        st = ol_fail(err, OL_EINVAL, "model spec: is empty; e.g. \"%s\"", OL_SEED_CNN_SPEC);
        goto fail;
    }
    if (!flat) {
        st = ol_fail(err, OL_EINVAL,
                     "model spec: the last layer '%s' (token %d) outputs %dx%dx%d; the output must "
                     "be flat class scores (end with flatten/linearN)", layers[n - 1].token, n, c,
                     h, w);
        goto fail;
    }
    if (c < 2) {
        st = ol_fail(err, OL_EINVAL,
                     "model spec: the last layer '%s' (token %d) has %d output; a classifier needs "
                     "at least 2 classes", layers[n - 1].token, n, c);
        goto fail;
    }
    *layers_out = layers;
    *n_out = n;
    *n_params_out = off;
    return OL_OK;
fail:
    free(layers);
    return st;
}
