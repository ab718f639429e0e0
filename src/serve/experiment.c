/*
 * experiment.c — the JSON of `optlab serve`'s experiment page: what `optlab
 * report` concludes about one experiment (the optimizers' studies
 * "EXP/OPT", "EXP#rR/OPT"), computed by the report's own code. The experiment
 * is loaded by the report's model (rp_load), the single-run verdict comes from
 * rp_single_analyse and the repeated-experiment one from rp_rep_verdict (mean
 * and 95 % CI per optimizer, paired t and sign-flip tests with Holm's
 * adjustment), so the page and the report cannot disagree. Only the numbers
 * travel; the page words them.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "../report/report_internal.h"
#include "optlab/serve.h"

static cJSON *num_or_null(double v) { return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull(); }

static const char *const OUTCOME_NAMES[RP_N_OUTCOMES] = {"ok",     "never_learned", "diverged",
                                                         "failed", "pruned",        "unfinished"};

/* one optimizer's study: its best trial as the report's results table shows it */
static cJSON *study_object(const rp_study *s) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "study", s->study_name);
    cJSON_AddStringToObject(o, "label", s->label);
    cJSON_AddNumberToObject(o, "n_trials", (double)s->n_trials);
    cJSON *outcomes = cJSON_AddObjectToObject(o, "outcomes");
    for (int k = 0; k < RP_N_OUTCOMES; k++) cJSON_AddNumberToObject(outcomes, OUTCOME_NAMES[k], s->counts[k]);
    if (s->best < 0) {
        cJSON_AddNullToObject(o, "best");
        return o;
    }
    const rp_trial *t = &s->trials[s->best];
    cJSON *best = cJSON_AddObjectToObject(o, "best");
    cJSON_AddNumberToObject(best, "number", t->number);
    cJSON_AddItemToObject(best, "valid", num_or_null(t->value));
    cJSON_AddItemToObject(best, "test", t->has_test ? num_or_null(t->test_accuracy) : cJSON_CreateNull());
    cJSON *params = cJSON_AddObjectToObject(best, "params");
    for (size_t p = 0; p < s->n_params; p++) {
        char v[64];
        cJSON_AddStringToObject(params, s->params[p].name, rp_format_param(v, sizeof v, &s->params[p], t->params[p]));
    }
    return o;
}

/* one run: ranked by the best trial's test (or valid-trial) accuracy, each against the first by binomial noise */
static cJSON *single_verdict(const rp_experiment *ex) {
    rp_single_verdict *v = malloc(sizeof *v);
    if (!v) return NULL;
    rp_single_analyse(ex, v);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "kind", "single");
    cJSON_AddStringToObject(o, "metric", v->all_test ? "test" : "valid");
    cJSON_AddNumberToObject(o, "n_images", v->nref);
    cJSON *ranking = cJSON_AddArrayToObject(o, "ranking");
    for (size_t i = 0; i < v->n; i++) {
        cJSON *r = cJSON_CreateObject();
        cJSON_AddStringToObject(r, "label", ex->studies[v->study[i]].label);
        cJSON_AddItemToObject(r, "accuracy", num_or_null(v->key[i]));
        if (i > 0) {
            cJSON_AddItemToObject(r, "gap", num_or_null(v->diff[i]));
            cJSON_AddItemToObject(r, "noise", num_or_null(v->noise[i]));
            cJSON_AddBoolToObject(r, "within_noise", v->within[i]);
        }
        cJSON_AddItemToArray(ranking, r);
    }
    cJSON_AddNumberToObject(o, "n_beyond_noise", v->n_beyond);
    free(v);
    return o;
}

/* One analysed metric over the repetitions: mean ± 95 % CI per optimizer (best first, each against the
   first as the report's conclusion words it), and every pair's paired tests (Holm-adjusted). */
static cJSON *repetition_stats(const rp_experiment *ex, const rp_rep_stats *rs, const int *order, const char *kind,
                               const char *metric) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "kind", kind);
    cJSON_AddStringToObject(o, "metric", metric);
    cJSON_AddNumberToObject(o, "n", rs->n);
    cJSON_AddNumberToObject(o, "alpha", RP_ALPHA);
    cJSON *ranking = cJSON_AddArrayToObject(o, "ranking");
    for (size_t i = 0; i < rs->n_opt; i++) {
        int k = order[i];
        cJSON *r = cJSON_CreateObject();
        cJSON_AddStringToObject(r, "label", ex->studies[k].label);
        cJSON_AddItemToObject(r, "mean", num_or_null(rs->mean[k]));
        cJSON_AddItemToObject(r, "half", num_or_null(rs->half[k]));
        cJSON_AddNumberToObject(r, "first", rs->first[k]);
        if (i > 0) {
            int q = rp_rep_pair(rs, order[0], k);
            if (q >= 0) {
                cJSON_AddItemToObject(r, "below_first", num_or_null(rs->pa[q] == order[0] ? rs->diff[q] : -rs->diff[q]));
                cJSON_AddBoolToObject(r, "significant", rs->p_t_holm[q] < RP_ALPHA);
            }
        }
        cJSON_AddItemToArray(ranking, r);
    }
    /* the stored repetitions not in these statistics because a study of theirs has not finished (a run
       still going): how far each such study has got, as the report's "Not in these statistics" line */
    cJSON *left = cJSON_AddArrayToObject(o, "left_out");
    int reeval = rs->metric == RP_METRIC_REEVAL_TEST || rs->metric == RP_METRIC_REEVAL_VALID;
    for (int k = 0; k < ex->n_reps; k++) {
        if (rp_rep_stats_uses(rs, k)) continue;
        cJSON *rep = NULL, *st = NULL;
        for (size_t i = 0; i < rs->n_opt; i++) {
            const rp_rep_cell *c = rp_cell(ex, k, i);
            static const char *const stage_name[] = {[RP_STAGE_NOT_STARTED] = "not_started",
                                                     [RP_STAGE_SEARCH] = "search",
                                                     [RP_STAGE_REEVAL] = "reevaluation"};
            rp_rep_stage stage = rp_rep_cell_stage(c, reeval);
            if (stage == RP_STAGE_DONE) continue;
            if (!rep) {
                rep = cJSON_CreateObject();
                cJSON_AddNumberToObject(rep, "repetition", ex->rep_index[k]);
                /* `optlab run --repeat R` stores every repetition's studies before it starts: "not started"
                   as a whole, as the report's line says it */
                cJSON_AddBoolToObject(rep, "not_started", rp_rep_untouched(ex, k));
                st = cJSON_AddArrayToObject(rep, "studies");
                cJSON_AddItemToArray(left, rep);
            }
            cJSON *x = cJSON_CreateObject();
            cJSON_AddStringToObject(x, "label", ex->studies[i].label);
            cJSON_AddStringToObject(x, "stage", stage_name[stage]);
            int search = stage == RP_STAGE_SEARCH;
            cJSON_AddNumberToObject(x, "done", search ? c->search_done : c->reeval_done);
            if (search) cJSON_AddNumberToObject(x, "of", c->budget);
            else if (c->reeval_expected > 0) cJSON_AddNumberToObject(x, "of", c->reeval_expected);
            cJSON_AddItemToArray(st, x);
        }
    }
    cJSON *pairs = cJSON_AddArrayToObject(o, "pairs");
    for (int q = 0; q < rs->n_pairs; q++) {
        cJSON *p = cJSON_CreateObject();
        cJSON_AddStringToObject(p, "a", ex->studies[rs->pa[q]].label);
        cJSON_AddStringToObject(p, "b", ex->studies[rs->pb[q]].label);
        cJSON_AddItemToObject(p, "diff", num_or_null(rs->diff[q]));
        cJSON_AddItemToObject(p, "half", num_or_null(rs->diff_half[q]));
        cJSON_AddItemToObject(p, "t", num_or_null(rs->t[q]));
        cJSON_AddItemToObject(p, "p_t", num_or_null(rs->p_t[q]));
        cJSON_AddItemToObject(p, "p_t_holm", num_or_null(rs->p_t_holm[q]));
        cJSON_AddItemToObject(p, "p_flip", num_or_null(rs->p_flip[q]));
        cJSON_AddItemToObject(p, "p_flip_holm", num_or_null(rs->p_flip_holm[q]));
        cJSON_AddItemToArray(pairs, p);
    }
    return o;
}

/* repetitions: the verdict by the best trials' accuracy (the report's conclusion) */
static cJSON *repeated_verdict(const rp_experiment *ex) {
    rp_rep_stats *rs = malloc(sizeof *rs);
    if (!rs) return NULL;
    int order[RP_MAX_OPT] = {0};
    rp_rep_verdict(ex, rs, order);
    cJSON *o = repetition_stats(ex, rs, order, "repetitions", rs->metric == RP_METRIC_TEST ? "test" : "valid");
    free(rs);
    return o;
}

/* issue 17.5: the same over the repetitions' re-evaluated results (mean test accuracy over seeds of
   each repetition's re-evaluated configuration); NULL unless 2 or more repetitions have them */
static cJSON *reevaluated_verdict(const rp_experiment *ex) {
    rp_rep_stats *rs = malloc(sizeof *rs);
    if (!rs) return NULL;
    cJSON *o = NULL;
    if (rp_rep_analyse(ex, RP_METRIC_REEVAL_TEST, rs) >= 2) {
        int order[RP_MAX_OPT] = {0};
        rp_rep_order(rs, order);
        o = repetition_stats(ex, rs, order, "reevaluated", "reevaluated_test");
    }
    free(rs);
    return o;
}

/* one quantity of one optimizer against the baseline (rp_baseline_vs): each side's mean and CI, the paired
   difference this − baseline and its tests */
static cJSON *vs_object(const rp_vs *v) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "mean", num_or_null(v->mean));
    cJSON_AddItemToObject(o, "half", num_or_null(v->half));
    cJSON_AddItemToObject(o, "base_mean", num_or_null(v->base_mean));
    cJSON_AddItemToObject(o, "base_half", num_or_null(v->base_half));
    cJSON_AddItemToObject(o, "diff", num_or_null(v->diff));
    cJSON_AddItemToObject(o, "diff_half", num_or_null(v->diff_half));
    cJSON_AddItemToObject(o, "p_t", num_or_null(v->p_t));
    cJSON_AddItemToObject(o, "p_flip", num_or_null(v->p_flip));
    return o;
}

/* the report's "Against the baseline" numbers: per optimizer paired with the baseline's study of the same
   optimizer, repetition by repetition, the best trial's test and valid-trial accuracy, the trials to come
   within 0.1 points of the search's own best, and what those repetitions cost (the report's "Cost" table) */
static cJSON *baseline_object(const rp_experiment *ex) {
    const rp_experiment *base = ex->baseline;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "experiment", base->experiment);
    cJSON_AddItemToObject(o, "sampler", base->sampler ? cJSON_CreateString(base->sampler) : cJSON_CreateNull());
    cJSON *opts = cJSON_AddArrayToObject(o, "optimizers");
    static const char *const key[3] = {[RP_VS_TEST] = "test", [RP_VS_VALID] = "valid", [RP_VS_TO_BEST] = "to_best"};
    for (size_t i = 0; i < ex->n_studies; i++) {
        rp_pair_set ps;
        if (rp_pruning_pairs(ex, i, &ps) == 0) continue;
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "label", ex->studies[i].label);
        cJSON_AddNumberToObject(x, "n", ps.n);
        for (int q = RP_VS_TEST; q <= RP_VS_TO_BEST; q++) {
            rp_vs v;
            rp_pairs_vs(ex, &ps, (rp_vs_quantity)q, &v);
            cJSON_AddItemToObject(x, key[q], vs_object(&v));
        }
        /* the report's "Cost" row: what the paired repetitions trained on each side */
        cJSON *cost = cJSON_AddObjectToObject(x, "cost");
        cJSON_AddNumberToObject(cost, "pruned", ps.pruned);
        cJSON_AddNumberToObject(cost, "trials", ps.trials);
        cJSON_AddNumberToObject(cost, "epochs", (double)ps.epochs);
        cJSON_AddNumberToObject(cost, "base_epochs", (double)ps.base_epochs);
        cJSON_AddNumberToObject(cost, "seconds", ps.seconds);
        cJSON_AddNumberToObject(cost, "base_seconds", ps.base_seconds);
        cJSON_AddItemToArray(opts, x);
    }
    return o;
}

ol_status ol_serve_experiment_json(ol_storage *st, const char *experiment, char **json, ol_error *err) {
    return ol_serve_experiment_vs_json(st, experiment, NULL, json, err);
}

ol_status ol_serve_experiment_vs_json(ol_storage *st, const char *experiment, const char *baseline, char **json,
                                      ol_error *err) {
    *json = NULL;
    ol_report_options opt = {.experiment = experiment};
    rp_experiment ex;
    ol_status rc = rp_load(st, &opt, &ex, err);
    if (rc != OL_OK) return rc;
    if (ex.generic || strcmp(ex.experiment, experiment)) {
        rp_free(&ex);
        return ol_fail(err, OL_ENOTFOUND, "serve: no experiment named '%s' (studies made by `optlab run` name one)",
                       experiment);
    }
    if (baseline && *baseline) {
        rc = rp_load_baseline(st, &opt, &ex, baseline, err);
        if (rc == OL_OK && (ex.baseline->generic || strcmp(ex.baseline->experiment, baseline)))
            rc = ol_fail(err, OL_ENOTFOUND, "serve: no experiment named '%s' to compare with (the baseline)",
                         baseline);
        if (rc != OL_OK) {
            rp_free(&ex);
            return rc;
        }
    }
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "experiment", ex.experiment);
    cJSON_AddNumberToObject(root, "repetition", ex.repetition);
    cJSON_AddNumberToObject(root, "n_repetitions", ex.n_repetitions);
    cJSON_AddNumberToObject(root, "n_test", ex.n_test);
    cJSON_AddNumberToObject(root, "n_valid_trial", ex.n_valid_trial);
    cJSON_AddItemToObject(root, "dataset", ex.dataset ? cJSON_CreateString(ex.dataset) : cJSON_CreateNull());
    cJSON_AddItemToObject(root, "sampler", ex.sampler ? cJSON_CreateString(ex.sampler) : cJSON_CreateNull());
    cJSON *studies = cJSON_AddArrayToObject(root, "studies");
    for (size_t i = 0; i < ex.n_studies; i++) cJSON_AddItemToArray(studies, study_object(&ex.studies[i]));
    cJSON *verdict = rp_has_repetitions(&ex) ? repeated_verdict(&ex) : single_verdict(&ex);
    if (verdict) cJSON_AddItemToObject(root, "verdict", verdict);
    cJSON *reevaluated = verdict && ex.n_reps >= 2 ? reevaluated_verdict(&ex) : NULL;
    if (reevaluated) cJSON_AddItemToObject(root, "reevaluated", reevaluated);
    if (verdict && ex.baseline) cJSON_AddItemToObject(root, "baseline", baseline_object(&ex));
    rp_free(&ex);
    *json = verdict ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    return *json ? OL_OK : ol_fail(err, OL_ENOMEM, "serve: out of memory building JSON");
}
