/*
 * shapes.c — text form of parameter-tensor shapes: "3x4 3 5x3@muon 5@adamw",
 * one token per tensor in the group's order, ROWSxCOLS for a 2-D tensor or N
 * for a 1-D one, with an optional @muon / @adamw role for Muon's rule. The
 * replay format's `shape` line and anything else that states shapes as text
 * read it through ol_tensor_shapes_parse (optim.h).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "optim_internal.h"

static int parse_size(const char *s, const char *end, size_t *out) {
    if (s == end || !isdigit((unsigned char)*s)) return 0;
    size_t v = 0;
    for (; s < end; s++) {
        if (!isdigit((unsigned char)*s)) return 0;
        size_t digit = (size_t)(*s - '0');
        if (v > (SIZE_MAX - digit) / 10) return 0;
        v = v * 10 + digit;
    }
    *out = v;
    return v > 0;
}

ol_status ol_tensor_shapes_parse(const char *text, ol_tensor_shape *out, size_t max, size_t *count, ol_error *err) {
    if (!text || !out || !count) return ol_fail(err, OL_EINVAL, "tensor shapes: NULL argument");
    size_t k = 0;
    const char *s = text;
    for (;;) {
        while (*s && isspace((unsigned char)*s)) s++;
        if (!*s) break;
        const char *tok = s;
        while (*s && !isspace((unsigned char)*s)) s++;
        const char *end = s, *at = memchr(tok, '@', (size_t)(end - tok));
        int len = (int)(end - tok);
        if (k == max) return ol_fail(err, OL_EINVAL, "tensor shapes: more than %zu tensors (at '%.*s')", max, len, tok);
        ol_tensor_shape sh = {.role = OL_TENSOR_AUTO};
        if (at) {
            size_t rl = (size_t)(end - at - 1);
            if (rl == 4 && !strncmp(at + 1, "muon", 4)) sh.role = OL_TENSOR_MATRIX;
            else if (rl == 5 && !strncmp(at + 1, "adamw", 5)) sh.role = OL_TENSOR_VECTOR;
            else return ol_fail(err, OL_EINVAL, "tensor shapes: '%.*s': the role after @ must be muon or adamw", len, tok);
            end = at;
        }
        const char *x = memchr(tok, 'x', (size_t)(end - tok));
        int ok = x ? parse_size(tok, x, &sh.rows) && parse_size(x + 1, end, &sh.cols) : parse_size(tok, end, &sh.rows);
        if (!ok)
            return ol_fail(err, OL_EINVAL, "tensor shapes: '%.*s' is not ROWSxCOLS or N (positive whole numbers)", len, tok);
        snprintf(sh.name, sizeof sh.name, "#%zu (%.*s)", k, (int)(end - tok), tok);
        out[k++] = sh;
    }
    if (k == 0) return ol_fail(err, OL_EINVAL, "tensor shapes: none given");
    *count = k;
    return OL_OK;
}
