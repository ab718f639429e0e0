/*
 * joint_cache.c — the cache joint samplers (GP, multivariate TPE) keep of one
 * trial's choice (hpo_internal.h says why and how it is keyed).
 */
#include <stdlib.h>
#include <string.h>

#include "hpo_internal.h"

const ol_param_rec *ol_hpo_find_param(const ol_trial_rec *t, const char *name) {
    for (size_t k = 0; k < t->n_params; k++)
        if (!strcmp(t->params[k].name, name)) return &t->params[k];
    return NULL;
}

ol_status ol_hpo_intersection_space(const ol_sample_ctx *ctx, int (*keep)(const ol_trial_rec *),
                                    const ol_param_rec ***out, size_t *n, const ol_trial_rec **first_out,
                                    ol_error *err) {
    *out = NULL;
    *n = 0;
    const ol_trial_rec *first = NULL;
    for (size_t i = 0; i < ctx->n_trials && !first; i++)
        if (keep(&ctx->trials[i])) first = &ctx->trials[i];
    if (first_out) *first_out = first;
    if (!first || !first->n_params) return OL_OK;
    const ol_param_rec **ps = malloc(first->n_params * sizeof *ps);
    if (!ps) return ol_fail(err, OL_ENOMEM, "out of memory");
    for (size_t k = 0; k < first->n_params; k++) {
        const ol_param_rec *p = &first->params[k];
        int everywhere = 1;
        for (size_t i = 0; i < ctx->n_trials && everywhere; i++) {
            const ol_trial_rec *t = &ctx->trials[i];
            if (!keep(t)) continue;
            const ol_param_rec *q = k < t->n_params && !strcmp(t->params[k].name, p->name) ? &t->params[k]
                                                                                           : ol_hpo_find_param(t, p->name);
            everywhere = q && !strcmp(q->distribution_json, p->distribution_json);
        }
        if (everywhere) ps[(*n)++] = p;
    }
    if (*n) *out = ps;
    else free(ps);
    return OL_OK;
}

/* A 64-bit digest step over n bytes, eight at a time (the key is hashed at every suggest of a joint
 * sampler, over the whole history: byte-at-a-time FNV took most of a CMA-ES ask at 1,000 trials). */
static uint64_t fnv(uint64_t h, const void *p, size_t n) {
    const unsigned char *b = p;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, b + i, 8);
        h = (h ^ w) * 0x9E3779B97F4A7C15ULL;
        h ^= h >> 29;
    }
    for (; i < n; i++) h = (h ^ b[i]) * 1099511628211ULL;
    return h ^ (uint64_t)n;
}

uint64_t ol_hpo_history_key(const ol_sample_ctx *ctx) {
    if (ctx->history_key_memo && *ctx->history_key_memo) return *ctx->history_key_memo;
    uint64_t h = 14695981039346656037ULL;
    h = fnv(h, &ctx->seed, sizeof ctx->seed);
    h = fnv(h, &ctx->trial_number, sizeof ctx->trial_number);
    h = fnv(h, &ctx->maximize, sizeof ctx->maximize);
    for (size_t i = 0; i < ctx->n_trials; i++) {
        const ol_trial_rec *t = &ctx->trials[i];
        if (t->number == ctx->trial_number) continue;
        h = fnv(h, &t->number, sizeof t->number);
        h = fnv(h, &t->state, sizeof t->state);
        h = fnv(h, &t->has_value, sizeof t->has_value);
        if (t->has_value) h = fnv(h, &t->value, sizeof t->value);
        for (size_t k = 0; k < t->n_params; k++) {
            h = fnv(h, t->params[k].name, strlen(t->params[k].name) + 1);
            h = fnv(h, &t->params[k].value, sizeof t->params[k].value);
            h = fnv(h, t->params[k].distribution_json, strlen(t->params[k].distribution_json) + 1);
        }
        /* PRUNED trials rank by their last intermediate value (multivariate TPE) */
        if (t->n_intermediate) h = fnv(h, &t->intermediate[t->n_intermediate - 1], sizeof t->intermediate[0]);
    }
    if (ctx->history_key_memo) *ctx->history_key_memo = h;
    return h;
}

void ol_hpo_joint_cache_init(ol_hpo_joint_cache *c) {
    memset(c, 0, sizeof *c);
    pthread_mutex_init(&c->lock, NULL);
}

static void clear(ol_hpo_joint_cache *c) {
    for (size_t i = 0; i < c->n; i++) free(c->names[i]);
    free(c->names);
    free(c->values);
    c->names = NULL;
    c->values = NULL;
    c->n = 0;
    c->valid = 0;
}

void ol_hpo_joint_cache_destroy(ol_hpo_joint_cache *c) {
    clear(c);
    pthread_mutex_destroy(&c->lock);
}

int ol_hpo_joint_cache_get(ol_hpo_joint_cache *c, uint64_t key, const char *name, double *v) {
    pthread_mutex_lock(&c->lock);
    int r = -1;
    if (c->valid && c->key == key) {
        r = 0;
        for (size_t i = 0; i < c->n && !r; i++)
            if (!strcmp(c->names[i], name)) {
                *v = c->values[i];
                r = 1;
            }
    }
    pthread_mutex_unlock(&c->lock);
    return r;
}

void ol_hpo_joint_cache_put(ol_hpo_joint_cache *c, uint64_t key, const char *const *names, const double *values,
                            size_t n) {
    pthread_mutex_lock(&c->lock);
    clear(c);
    c->names = calloc(n ? n : 1, sizeof *c->names);
    c->values = malloc((n ? n : 1) * sizeof *c->values);
    int ok = c->names && c->values;
    for (size_t i = 0; i < n && ok; i++) {
        c->names[i] = strdup(names[i]);
        c->values[i] = values[i];
        ok = c->names[i] != NULL;
        c->n = i + 1;
    }
    if (ok) {
        c->valid = 1;
        c->key = key;
    } else
        clear(c);
    pthread_mutex_unlock(&c->lock);
}
