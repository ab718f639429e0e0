/*
 * Learning-rate schedules (src/optim/schedule.c, schedule_json.c): bad input, as
 * JSON or as an ol_schedule_params struct, is refused before
 * anything runs, with a message naming the value; the shapes torch documents
 * (warm-up then cosine, OneCycleLR's momentum cycling, the end of a OneCycleLR,
 * ReduceLROnPlateau's patience) hold. Exactness to torch is
 * tests/optim/replay_schedules.sh.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "optlab/optim.h"

static float params[4], grads[4] = {0.1f, -0.2f, 0.3f, -0.4f};

static ol_optimizer *make(const char *name, const char *settings) {
    ol_optimizer *o = NULL;
    ol_error err;
    cr_assert_eq(ol_optimizer_create(&o, name, &err), OL_OK, "%s", err.msg);
    if (settings) cr_assert_eq(ol_optimizer_set_from_string(o, settings, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(ol_optimizer_add_group(o, params, grads, 4, &err), OL_OK, "%s", err.msg);
    return o;
}

/* Creating name/json must fail, and the message must contain each of the words. */
static void refused(const char *name, const char *json, const char *w1, const char *w2) {
    ol_error err = {0};
    cr_assert_neq(ol_schedule_check(name, json, &err), OL_OK, "%s %s was accepted", name, json);
    cr_assert(strstr(err.msg, w1), "%s %s: message '%s' does not name '%s'", name, json, err.msg, w1);
    if (w2) cr_assert(strstr(err.msg, w2), "%s %s: message '%s' does not name '%s'", name, json, err.msg, w2);
    ol_optimizer *o = make("sgd", "lr=0.1");
    ol_schedule *s = (ol_schedule *)1;
    cr_assert_neq(ol_schedule_create(&s, o, name, json, &err), OL_OK);
    cr_assert_null(s);
    double lr;
    ol_optimizer_get(o, "lr", &lr, &err);
    cr_assert_eq(lr, 0.1, "a refused schedule changed the learning rate to %g", lr);
    ol_optimizer_free(o);
}

Test(bad_input, unknown_names_and_keywords) {
    refused("CosineLR", "{}", "CosineLR", "CosineAnnealingLR");
    refused("", "{}", "unknown schedule", NULL);
    refused("StepLR", "{\"step_size\": 3, \"gama\": 0.5}", "gama", "gamma");
    refused("StepLR", "{\"step_size\": 3,", "not valid JSON", NULL);
    refused("StepLR", "[1, 2]", "not a JSON object", NULL);
    refused("ExponentialLR", "{\"gamma\": 0.9, \"last_epoch\": 5}", "last_epoch", NULL);
}

Test(bad_input, out_of_range_values_name_the_value) {
    refused("StepLR", "{}", "step_size", "required");
    refused("StepLR", "{\"step_size\": 0}", "step_size = 0", NULL);
    refused("StepLR", "{\"step_size\": 2.5}", "step_size = 2.5", "integer");
    refused("StepLR", "{\"step_size\": 2, \"gamma\": -1}", "gamma = -1", NULL);
    refused("MultiStepLR", "{\"milestones\": [3, -1]}", "milestones", NULL);
    refused("ExponentialLR", "{}", "gamma", "required");
    refused("CosineAnnealingLR", "{\"T_max\": -5}", "T_max = -5", NULL);
    refused("CosineAnnealingLR", "{\"T_max\": 5, \"eta_min\": \"small\"}", "eta_min", "number");
    refused("CosineAnnealingWarmRestarts", "{\"T_0\": 10, \"T_mult\": 0}", "T_mult = 0", NULL);
    refused("LinearLR", "{\"start_factor\": 1.5}", "start_factor = 1.5", NULL);
    refused("LinearLR", "{\"start_factor\": 0}", "start_factor = 0", NULL);
    refused("PolynomialLR", "{\"total_iters\": 0}", "total_iters = 0", NULL);
    refused("OneCycleLR", "{\"max_lr\": 0.1}", "total_steps", "epochs");
    refused("OneCycleLR", "{\"max_lr\": 0.1, \"total_steps\": 10, \"pct_start\": 1.5}", "pct_start = 1.5", NULL);
    refused("OneCycleLR", "{\"max_lr\": 0.1, \"total_steps\": 10, \"anneal_strategy\": \"cosine\"}", "cosine", "linear");
    refused("OneCycleLR", "{\"max_lr\": 0.1, \"total_steps\": 10, \"max_momentum\": 1.2}", "max_momentum = 1.2", NULL);
    refused("ReduceLROnPlateau", "{\"factor\": 1.0}", "factor = 1", NULL);
    refused("ReduceLROnPlateau", "{\"mode\": \"maximum\"}", "maximum", NULL);
    refused("ReduceLROnPlateau", "{\"patience\": -1}", "patience = -1", NULL);
    refused("SequentialLR", "{\"schedulers\": [[\"LinearLR\", {}], [\"StepLR\", {\"step_size\": 2}]], \"milestones\": []}",
            "milestones", "2 schedulers");
    refused("SequentialLR", "{\"schedulers\": [[\"LinearLR\", {}], [\"ReduceLROnPlateau\", {}]], \"milestones\": [4]}",
            "ReduceLROnPlateau", NULL);
    refused("SequentialLR", "{\"schedulers\": [[\"LinearLR\", {}], [\"StepLR\", {}]], \"milestones\": [4]}", "step_size",
            NULL);
    refused("SequentialLR", "{\"schedulers\": [[\"Linear\", {}], [\"StepLR\", {\"step_size\": 1}]], \"milestones\": [4]}",
            "Linear", NULL);
}

Test(bad_input, schedules_the_optimizer_cannot_take) {
    ol_error err = {0};
    ol_schedule *s = NULL;
    /* OneCycleLR cycles momentum by default: Adagrad has none (torch raises too) */
    ol_optimizer *o = make("adagrad", NULL);
    cr_assert_neq(ol_schedule_create(&s, o, "OneCycleLR", "{\"max_lr\": 0.1, \"total_steps\": 10}", &err), OL_OK);
    cr_assert(strstr(err.msg, "cycle_momentum") && strstr(err.msg, "adagrad"), "%s", err.msg);
    cr_assert_eq(ol_schedule_create(&s, o, "OneCycleLR", "{\"max_lr\": 0.1, \"total_steps\": 10, \"cycle_momentum\": false}",
                                    &err), OL_OK, "%s", err.msg);
    ol_schedule_free(s);
    /* ReduceLROnPlateau without a metric */
    cr_assert_eq(ol_schedule_create(&s, o, "ReduceLROnPlateau", "{}", &err), OL_OK, "%s", err.msg);
    cr_assert(ol_schedule_needs_metric(s));
    cr_assert_neq(ol_schedule_step(s, NAN, &err), OL_OK);
    cr_assert(strstr(err.msg, "metric"), "%s", err.msg);
    ol_schedule_free(s);
    ol_optimizer_free(o);
    cr_assert_neq(ol_schedule_create(&s, NULL, "StepLR", "{\"step_size\": 1}", &err), OL_OK);
}

Test(schedule, warmup_then_cosine) {
    ol_error err;
    ol_optimizer *o = make("adamw", "lr=0.01");
    ol_schedule *s;
    cr_assert_eq(ol_schedule_create(&s, o, "sequentiallr",
                                    "{\"schedulers\": [[\"LinearLR\", {\"start_factor\": 0.1, \"total_iters\": 10}],"
                                    " [\"CosineAnnealingLR\", {\"T_max\": 20}]], \"milestones\": [10]}", &err), OL_OK, "%s", err.msg);
    cr_assert_str_eq(ol_schedule_name(s), "SequentialLR");
    double lr;
    ol_optimizer_get(o, "lr", &lr, &err);
    cr_assert_float_eq(lr, 0.001, 1e-15, "first step's lr %g", lr); /* set when the schedule is made */
    double prev = lr;
    for (int t = 1; t <= 30; t++) {
        cr_assert_eq(ol_optimizer_step(o, &err), OL_OK);
        cr_assert_eq(ol_schedule_step(s, 0, &err), OL_OK, "%s", err.msg);
        ol_optimizer_get(o, "lr", &lr, &err);
        cr_assert_eq(lr, ol_schedule_lr(s));
        if (t < 10) cr_assert_gt(lr, prev, "warm-up rises at %d", t);
        if (t == 10) cr_assert_float_eq(lr, 0.01, 1e-12, "peak %g", lr);
        if (t > 10) cr_assert_lt(lr, prev, "cosine falls at %d", t);
        prev = lr;
    }
    cr_assert_float_eq(lr, 0.0, 1e-12, "cosine ends at eta_min: %g", lr);
    ol_schedule_free(s);
    ol_optimizer_free(o);
}

Test(schedule, onecycle_cycles_beta1_and_stops_at_total_steps) {
    ol_error err;
    ol_optimizer *o = make("adam", NULL);
    ol_schedule *s;
    cr_assert_eq(ol_schedule_create(&s, o, "OneCycleLR", "{\"max_lr\": 0.1, \"total_steps\": 20}", &err), OL_OK, "%s",
                 err.msg);
    cr_assert(ol_schedule_per_batch(s));
    double lr, b1;
    ol_optimizer_get(o, "lr", &lr, &err);
    ol_optimizer_get(o, "beta1", &b1, &err);
    cr_assert_float_eq(lr, 0.1 / 25, 1e-15);
    cr_assert_float_eq(b1, 0.95, 1e-15);
    double top = 0, low_beta = 1;
    for (int t = 1; t <= 20; t++) {
        cr_assert_eq(ol_schedule_step(s, 0, &err), OL_OK, "step %d: %s", t, err.msg);
        ol_optimizer_get(o, "lr", &lr, &err);
        ol_optimizer_get(o, "beta1", &b1, &err);
        if (lr > top) top = lr;
        if (b1 < low_beta) low_beta = b1;
    }
    cr_assert_float_eq(top, 0.1, 1e-12, "peak lr %g", top);
    cr_assert_float_eq(low_beta, 0.85, 1e-12, "lowest beta1 %g", low_beta);
    cr_assert_eq(ol_schedule_step(s, 0, &err), OL_ESTATE, "a 21st step of a 20-step cycle");
    cr_assert(strstr(err.msg, "total_steps is 20"), "%s", err.msg);
    ol_schedule_free(s);
    ol_optimizer_free(o);
}

Test(schedule, plateau_waits_patience_then_cuts) {
    ol_error err;
    ol_optimizer *o = make("sgd", "lr=1");
    ol_schedule *s;
    cr_assert_eq(ol_schedule_create(&s, o, "ReduceLROnPlateau", "{\"mode\": \"max\", \"patience\": 2, \"factor\": 0.5}", &err),
                 OL_OK, "%s", err.msg);
    cr_assert(ol_schedule_maximizes(s));
    const double metric[] = {0.5, 0.6, 0.6, 0.6, 0.6, 0.7, 0.7, 0.7, 0.7};
    const double want[] = {1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.25};
    for (size_t i = 0; i < sizeof metric / sizeof metric[0]; i++) {
        cr_assert_eq(ol_schedule_step(s, metric[i], &err), OL_OK, "%s", err.msg);
        cr_assert_eq(ol_schedule_lr(s), want[i], "epoch %zu: lr %g, want %g", i + 1, ol_schedule_lr(s), want[i]);
    }
    ol_schedule_free(s);
    ol_optimizer_free(o);
}

Test(schedule, kinds_are_listed) {
    cr_assert_eq(ol_schedule_kind_count(), 10);
    for (size_t i = 0; i < ol_schedule_kind_count(); i++) {
        ol_error err;
        const char *n = ol_schedule_kind_name(i);
        cr_assert_not_null(n);
        /* each kind is known by name (its check fails for a missing keyword, never for the name) */
        if (ol_schedule_check(n, "{}", &err) != OL_OK) cr_assert_null(strstr(err.msg, "unknown schedule"), "%s", err.msg);
    }
    cr_assert_null(ol_schedule_kind_name(10));
}

/* ---- the struct API (ol_schedule_params), the one liboptlab-optim has ---- */

/* Step a schedule made from JSON and one made from the struct side by side: the rates must be the same doubles. */
static void same_rates(const char *name, const char *json, const ol_schedule_params *p, const char *opt, int steps) {
    ol_error err = {0};
    ol_optimizer *a = make(opt, "lr=0.1"), *b = make(opt, "lr=0.1");
    ol_schedule *from_json, *from_struct;
    cr_assert_eq(ol_schedule_create(&from_json, a, name, json, &err), OL_OK, "%s %s: %s", name, json, err.msg);
    cr_assert_eq(ol_schedule_create_from(&from_struct, b, p, &err), OL_OK, "%s (struct): %s", name, err.msg);
    for (int s = 0; s < steps; s++) {
        cr_assert_eq(ol_schedule_lr(from_json), ol_schedule_lr(from_struct), "%s step %d: %.17g (JSON) vs %.17g (struct)",
                     name, s, ol_schedule_lr(from_json), ol_schedule_lr(from_struct));
        double metric = 1.0 / (1 + s % 5);
        cr_assert_eq(ol_schedule_step(from_json, metric, &err), OL_OK, "%s", err.msg);
        cr_assert_eq(ol_schedule_step(from_struct, metric, &err), OL_OK, "%s", err.msg);
    }
    ol_schedule_free(from_json);
    ol_schedule_free(from_struct);
    ol_optimizer_free(a);
    ol_optimizer_free(b);
}

Test(params, struct_and_json_give_the_same_rates) {
    ol_schedule_params p;
    ol_schedule_params_init(&p, OL_SCHED_STEP);
    p.step_size = 3, p.gamma = 0.5;
    same_rates("StepLR", "{\"step_size\": 3, \"gamma\": 0.5}", &p, "sgd", 20);
    ol_schedule_params_init(&p, OL_SCHED_WARM_RESTARTS);
    p.t_0 = 4, p.t_mult = 2, p.eta_min = 1e-4;
    same_rates("CosineAnnealingWarmRestarts", "{\"T_0\": 4, \"T_mult\": 2, \"eta_min\": 1e-4}", &p, "sgd", 40);
    ol_schedule_params_init(&p, OL_SCHED_ONE_CYCLE);
    p.max_lr = 0.5, p.epochs = 3, p.steps_per_epoch = 10, p.anneal_linear = 1;
    same_rates("OneCycleLR", "{\"max_lr\": 0.5, \"epochs\": 3, \"steps_per_epoch\": 10, \"anneal_strategy\": \"linear\"}",
               &p, "adam", 25);
    ol_schedule_params_init(&p, OL_SCHED_PLATEAU);
    p.mode_max = 1, p.patience = 1, p.factor = 0.5;
    same_rates("ReduceLROnPlateau", "{\"mode\": \"max\", \"patience\": 1, \"factor\": 0.5}", &p, "sgd", 20);
    ol_schedule_params kids[2];
    ol_schedule_params_init(&kids[0], OL_SCHED_LINEAR);
    kids[0].start_factor = 0.1, kids[0].total_iters = 4;
    ol_schedule_params_init(&kids[1], OL_SCHED_COSINE);
    kids[1].t_max = 10;
    ol_schedule_params_init(&p, OL_SCHED_SEQUENTIAL);
    p.schedulers = kids, p.n_schedulers = 2, p.milestones[0] = 4, p.n_milestones = 1;
    same_rates("SequentialLR",
               "{\"schedulers\": [[\"LinearLR\", {\"start_factor\": 0.1, \"total_iters\": 4}], "
               "[\"CosineAnnealingLR\", {\"T_max\": 10}]], \"milestones\": [4]}",
               &p, "sgd", 16);
}

/* The struct must be refused with a message containing the word. */
static void struct_refused(const ol_schedule_params *p, const char *word) {
    ol_error err = {0};
    cr_assert_neq(ol_schedule_params_check(p, &err), OL_OK, "settings accepted (expected a message naming '%s')", word);
    cr_assert(strstr(err.msg, word), "message '%s' does not name '%s'", err.msg, word);
    ol_optimizer *o = make("sgd", "lr=0.1");
    ol_schedule *s = (ol_schedule *)1;
    cr_assert_neq(ol_schedule_create_from(&s, o, p, &err), OL_OK);
    cr_assert_null(s);
    ol_optimizer_free(o);
}

Test(params, bad_settings_are_refused_naming_the_field) {
    ol_schedule_params p;
    ol_schedule_params_init(&p, OL_SCHED_EXPONENTIAL); /* gamma has no default */
    struct_refused(&p, "'gamma' is required");
    p.gamma = INFINITY;
    struct_refused(&p, "gamma must be a finite number");
    ol_schedule_params_init(&p, OL_SCHED_STEP); /* step_size has no default */
    struct_refused(&p, "step_size = 0");
    ol_schedule_params_init(&p, OL_SCHED_ONE_CYCLE);
    struct_refused(&p, "'max_lr' is required");
    p.max_lr = 0.1;
    struct_refused(&p, "give total_steps, or epochs and steps_per_epoch");
    p.epochs = 1L << 40, p.steps_per_epoch = 1L << 40;
    struct_refused(&p, "too large");
    ol_schedule_params_init(&p, OL_SCHED_MULTISTEP);
    p.milestones[0] = -2, p.n_milestones = 1;
    struct_refused(&p, "milestones entry 0");
    p.n_milestones = OL_SCHEDULE_MAX_LIST + 1;
    struct_refused(&p, "at most");
    ol_schedule_params_init(&p, (ol_schedule_kind)OL_SCHED_KIND_COUNT);
    struct_refused(&p, "not an ol_schedule_kind");
    struct_refused(NULL, "NULL");
    ol_schedule_params kid;
    ol_schedule_params_init(&kid, OL_SCHED_PLATEAU);
    ol_schedule_params_init(&p, OL_SCHED_SEQUENTIAL);
    p.schedulers = &kid, p.n_schedulers = 1;
    struct_refused(&p, "ReduceLROnPlateau cannot be one of its schedules");
    ol_schedule_params_init(&p, OL_SCHED_SEQUENTIAL);
    struct_refused(&p, "non-empty list");
}

Test(params, defaults_are_torchs) {
    ol_schedule_params p;
    ol_schedule_params_init(&p, OL_SCHED_LINEAR);
    cr_assert_eq(p.kind, OL_SCHED_LINEAR);
    cr_assert_float_eq(p.start_factor, 1.0 / 3, 1e-15);
    cr_assert_eq(p.end_factor, 1.0);
    cr_assert_eq(p.total_iters, 5);
    ol_error err = {0};
    cr_assert_eq(ol_schedule_params_check(&p, &err), OL_OK, "%s", err.msg);
    ol_schedule_params_init(&p, OL_SCHED_PLATEAU);
    cr_assert_eq(p.patience, 10);
    cr_assert_eq(p.eps, 1e-8);
    cr_assert_eq(ol_schedule_params_check(&p, &err), OL_OK, "%s", err.msg);
    for (size_t k = 0; k < ol_schedule_kind_count(); k++) cr_assert_not_null(ol_schedule_kind_name(k));
    cr_assert_eq(ol_schedule_kind_count(), (size_t)OL_SCHED_KIND_COUNT);
}
