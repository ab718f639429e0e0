/*
 * sampler.c — the sampler interface's common parts and the random sampler.
 * A sampler draws one parameter's internal value from the study history in
 * an ol_sample_ctx; its randomness comes from a stream derived from
 * (study seed, trial number, parameter name), never from sampler state, so
 * the same study replays the same draws in any process, after any resume.
 *
 * The random sampler follows Optuna's RandomSampler: uniform in [low, high]
 * (in log space for log distributions); grids (int, float with a step) draw
 * uniformly over [low - step/2, high + step/2] and round to the grid, so each
 * grid point is equally likely; categorical draws an index.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "hpo_internal.h"

double ol_hpo_random_internal(const ol_distribution *d, ol_rng *rng) {
    double u = ol_rng_uniform(rng);
    if (d->kind == OL_DIST_CATEGORICAL) return (double)ol_rng_below(rng, d->n_choices);
    if (d->kind == OL_DIST_INT) {
        if (d->log) {
            double lo = log(d->low - 0.5), hi = log(d->high + 0.5);
            double v = round(exp(lo + u * (hi - lo)));
            return fmin(fmax(v, d->low), d->high);
        }
        double lo = d->low - 0.5 * d->step, hi = d->high + 0.5 * d->step;
        return ol_hpo_round_to_grid(d, lo + u * (hi - lo));
    }
    if (d->log) {
        double lo = log(d->low), hi = log(d->high);
        return fmin(fmax(exp(lo + u * (hi - lo)), d->low), d->high);
    }
    if (d->step > 0) {
        double lo = d->low - 0.5 * d->step, hi = d->high + 0.5 * d->step;
        return ol_hpo_round_to_grid(d, lo + u * (hi - lo));
    }
    return fmin(d->low + u * (d->high - d->low), d->high);
}

double ol_hpo_round_to_grid(const ol_distribution *d, double x) {
    double v = round((x - d->low) / d->step) * d->step + d->low;
    return fmin(fmax(v, d->low), d->high);
}

void ol_hpo_param_rng(ol_rng *rng, uint64_t seed, const char *sampler, int number, const char *param) {
    char name[512];
    snprintf(name, sizeof name, "%s/%d/%s", sampler, number, param);
    ol_rng_derive(rng, seed, name);
}

static ol_status random_sample(const ol_sampler *self, const ol_sample_ctx *ctx, double *internal, ol_error *err) {
    ol_rng rng;
    ol_hpo_param_rng(&rng, ctx->seed, "random", ctx->trial_number, ctx->param_name);
    *internal = ol_hpo_random_internal(ctx->dist, &rng);
    return OL_OK;
}

static void plain_destroy(ol_sampler *s) {
    free(s->state);
    free(s);
}

ol_status ol_sampler_random_new(ol_sampler **out, ol_error *err) {
    ol_sampler *s = calloc(1, sizeof *s);
    if (!s) return ol_fail(err, OL_ENOMEM, "out of memory");
    s->name = "random";
    s->sample = random_sample;
    s->destroy = plain_destroy;
    *out = s;
    return OL_OK;
}

ol_status ol_sampler_new_by_name(ol_sampler **out, const char *name, ol_error *err) {
    *out = NULL;
    if (name && !strcmp(name, "random")) return ol_sampler_random_new(out, err);
    if (name && !strcmp(name, "tpe")) return ol_sampler_tpe_new(out, NULL, err);
    if (name && !strcmp(name, "gp")) return ol_sampler_gp_new(out, NULL, err);
    if (name && !strcmp(name, "mvtpe")) return ol_sampler_mvtpe_new(out, NULL, err);
    if (name && !strcmp(name, "cmaes")) return ol_sampler_cmaes_new(out, NULL, err);
    return ol_fail(err, OL_EINVAL, "unknown sampler '%s' (known: tpe, random, gp, mvtpe, cmaes)", name ? name : "(null)");
}

/* cmaes by kwargs; its source_study read from st (NULL: refused, or with check_only, not looked up) */
static ol_status cmaes_from_kwargs(ol_sampler **out, const char *kwargs_json, ol_storage *st, int check_only,
                                   ol_error *err) {
    ol_cmaes_options o = ol_cmaes_defaults();
    char *x0 = NULL, **names = NULL;
    size_t n_names = 0, n_loaded = 0;
    ol_cmaes_source *src = NULL;
    ol_status rc = ol_cmaes_options_from_json(kwargs_json, &o, &x0, err);
    if (!rc) rc = ol_cmaes_source_names(kwargs_json, &names, &n_names, err);
    if (!rc && n_names && !st && !check_only)
        rc = ol_fail(err, OL_EINVAL, "CMA-ES options: source_study needs the storage the studies are in "
                                     "(ol_sampler_new_in_storage)");
    if (!rc && n_names && st) {
        src = calloc(n_names, sizeof *src);
        if (!src) rc = ol_fail(err, OL_ENOMEM, "out of memory");
        for (size_t i = 0; i < n_names && !rc; i++) {
            int64_t id;
            int maximize = 0;
            rc = ol_storage_find_study(st, names[i], &id, &maximize, err);
            if (rc == OL_ENOTFOUND)
                rc = ol_fail(err, OL_EINVAL, "CMA-ES options: source_study \"%s\": no such study in %s", names[i],
                             ol_storage_url(st));
            if (!rc) rc = ol_storage_get_trials(st, id, (ol_trial_rec **)&src[i].trials, &src[i].n_trials, err);
            if (!rc) {
                src[i].name = names[i];
                src[i].maximize = maximize;
                n_loaded = i + 1;
            }
        }
        o.sources = src;
        o.n_sources = n_names;
    }
    if (!rc && check_only) { /* everything but the sources: made without them, then dropped */
        o.sources = NULL;
        o.n_sources = 0;
        if (n_names) o.x0_json = NULL, o.sigma0 = 0; /* refused above when combined */
    }
    if (!rc) rc = ol_sampler_cmaes_new(out, &o, err);
    for (size_t i = 0; i < n_loaded; i++) ol_trials_free((ol_trial_rec *)src[i].trials, src[i].n_trials);
    free(src);
    for (size_t i = 0; i < n_names; i++) free(names[i]);
    free(names);
    free(x0);
    return rc;
}

ol_status ol_sampler_new_in_storage(ol_sampler **out, const char *name, const char *kwargs_json, ol_storage *st,
                                    ol_error *err) {
    *out = NULL;
    if (name && !strcmp(name, "cmaes")) return cmaes_from_kwargs(out, kwargs_json, st, 0, err);
    return ol_sampler_new_by_name_kwargs(out, name, kwargs_json, err);
}

ol_status ol_sampler_check_kwargs(const char *name, const char *kwargs_json, ol_error *err) {
    ol_sampler *s = NULL;
    ol_status rc = name && !strcmp(name, "cmaes") ? cmaes_from_kwargs(&s, kwargs_json, NULL, 1, err)
                                                   : ol_sampler_new_by_name_kwargs(&s, name, kwargs_json, err);
    ol_sampler_free(s);
    return rc;
}

ol_status ol_sampler_new_by_name_kwargs(ol_sampler **out, const char *name, const char *kwargs_json, ol_error *err) {
    *out = NULL;
    if (name && !strcmp(name, "cmaes")) return cmaes_from_kwargs(out, kwargs_json, NULL, 0, err);
    if (kwargs_json && *kwargs_json) {
        cJSON *root = cJSON_Parse(kwargs_json);
        const char *bad = NULL;
        int object = cJSON_IsObject(root);
        for (const cJSON *c = object ? root->child : NULL; c && !bad; c = c->next)
            if (strcmp(c->string, "seed")) bad = c->string;
        ol_status rc = OL_OK;
        if (!object) rc = ol_fail(err, OL_EINVAL, "sampler options: not a JSON object: %s", kwargs_json);
        else if (bad) rc = ol_fail(err, OL_EINVAL, "sampler %s takes no option '%s' (only cmaes has options)", name ? name : "(null)", bad);
        cJSON_Delete(root);
        if (rc) return rc;
    }
    return ol_sampler_new_by_name(out, name, err);
}

void ol_sampler_set_log(ol_sampler *s, ol_sampler_log_fn log, void *log_ctx) {
    if (!s || !s->name) return;
    if (!strcmp(s->name, "gp")) ol_sampler_gp_set_log(s, log, log_ctx);
    else if (!strcmp(s->name, "cmaes")) ol_hpo_cmaes_set_log(s, log, log_ctx);
}

void ol_sampler_free(ol_sampler *s) {
    if (s && s->destroy) s->destroy(s);
}
