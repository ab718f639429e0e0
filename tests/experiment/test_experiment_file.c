/*
 * test_experiment_file.c — the experiment-file parser (src/experiment/file.c):
 * the seed file reads as PROTOCOL.md says, and every kind of bad input is
 * refused with a message that starts "FILE:LINE:" and names the key/value.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "optlab/experiment.h"
#include "optlab/optim.h"

static const char *HEAD = "[experiment]\nname = t\ntrials = 3\n";

/* Parse HEAD + body; expect failure whose message contains each of `needles` (NULL-terminated). */
static void expect_error(const char *body, const char *where, const char *needle) {
    char text[4096];
    snprintf(text, sizeof text, "%s%s", HEAD, body);
    ol_experiment e;
    ol_error err;
    ol_error_clear(&err);
    ol_status st = ol_experiment_parse_string(&e, text, "t.ini", &err);
    cr_assert_neq(st, OL_OK, "accepted:\n%s", text);
    cr_assert(strstr(err.msg, where), "message '%s' lacks '%s'", err.msg, where);
    cr_assert(strstr(err.msg, needle), "message '%s' lacks '%s'", err.msg, needle);
    cr_assert_null(e.model, "not freed on error");
}

static void parse_ok(ol_experiment *e, const char *body) {
    char text[4096];
    snprintf(text, sizeof text, "%s%s", HEAD, body);
    ol_error err;
    ol_error_clear(&err);
    ol_status st = ol_experiment_parse_string(e, text, "t.ini", &err);
    cr_assert_eq(st, OL_OK, "rejected: %s", err.msg);
}

Test(experiment, seed_file_matches_protocol) {
    ol_experiment e;
    ol_error err;
    cr_assert_eq(ol_experiment_load(&e, "experiments/seed.ini", &err), OL_OK, "%s", err.msg);
    cr_assert_str_eq(e.name, "seed");
    cr_assert_eq(e.dataset, OL_DATASET_MNIST);
    cr_assert_eq(e.loss, OL_LOSS_SEED);
    cr_assert_str_eq(e.model, OL_SEED_CNN_SPEC);
    cr_assert_eq(e.train, 1000);
    cr_assert_eq(e.valid_epoch, 2000);
    cr_assert_eq(e.valid_trial, 5000);
    cr_assert_eq(e.batch_size, 32);
    cr_assert_eq(e.patience, 5);
    cr_assert_eq(e.max_epochs, 65536);
    cr_assert_eq(e.trials, 70);
    cr_assert_eq(e.sampler, OL_EXP_SAMPLER_TPE);
    cr_assert_eq(e.seed, 20250228u);
    cr_assert_eq(e.n_optimizers, 3);
    cr_assert_str_eq(e.optimizers[0].name, "adam");
    cr_assert_str_eq(e.optimizers[1].name, "adamw");
    cr_assert_str_eq(e.optimizers[2].name, "adadelta");
    const ol_exp_optimizer *aw = ol_experiment_find_optimizer(&e, "AdamW");
    cr_assert_not_null(aw);
    cr_assert_eq(aw->n_params, 4);
    const ol_exp_param *lr = &aw->params[0], *wd = &aw->params[3];
    cr_assert_str_eq(lr->name, "learning_rate");
    cr_assert(lr->spec.dist.kind == OL_DIST_FLOAT && !lr->spec.fixed && lr->spec.dist.log && lr->spec.dist.low == 1e-4 && lr->spec.dist.high == 1e-2);
    cr_assert_str_eq(aw->params[1].name, "beta1");
    cr_assert(aw->params[1].spec.dist.kind == OL_DIST_FLOAT && !aw->params[1].spec.dist.log && aw->params[1].spec.dist.low == 0.8);
    cr_assert_str_eq(aw->params[2].name, "beta2");
    cr_assert(aw->params[2].spec.dist.low == 0.99 && aw->params[2].spec.dist.high == 0.9999);
    cr_assert_str_eq(wd->name, "weight_decay");
    cr_assert(wd->spec.dist.log && wd->spec.dist.low == 1e-4 && wd->spec.dist.high == 2e-2);
    const ol_exp_optimizer *ad = ol_experiment_find_optimizer(&e, "adadelta");
    cr_assert_eq(ad->n_params, 1);
    cr_assert_str_eq(ad->params[0].name, "rho");
    cr_assert(ad->params[0].spec.dist.low == 0.5 && ad->params[0].spec.dist.high == 0.999);
    ol_experiment_free(&e);
}

Test(experiment, fixed_choice_int_alias_and_empty_section) {
    ol_experiment e;
    parse_ok(&e, "[optimizer sgd]\nlr = log 1e-3 1\nmomentum = 0.9\nnesterov = choice 0 1\n"
                 "[optimizer Adam]\n");
    cr_assert_eq(e.n_optimizers, 2);
    const ol_exp_optimizer *sgd = &e.optimizers[0];
    cr_assert_str_eq(sgd->name, "sgd");
    cr_assert_str_eq(sgd->params[0].name, "learning_rate", "alias lr resolves to the registry name");
    cr_assert(sgd->params[1].spec.fixed && sgd->params[1].spec.value == 0.9);
    cr_assert(sgd->params[2].spec.dist.kind == OL_DIST_CATEGORICAL && sgd->params[2].spec.dist.n_choices == 2 && sgd->params[2].spec.numeric_choices);
    cr_assert_str_eq(e.optimizers[1].name, "adam", "a section with no keys still counts");
    cr_assert_eq(e.optimizers[1].n_params, 0);
    cr_assert_eq(e.trials, 3);
    ol_experiment_free(&e);
}

Test(experiment, malformed_line_has_file_and_line) {
    expect_error("[optimizer adam]\nthis line has no equals sign\n", "t.ini:5:", "expected 'key = value'");
}

Test(experiment, unclosed_section) { expect_error("[optimizer adam\n", "t.ini:4:", "no closing ']'"); }

Test(experiment, unknown_optimizer) { expect_error("\n[optimizer adamx]\n", "t.ini:5:", "unknown optimizer 'adamx'"); }

Test(experiment, unknown_hyperparameter) {
    expect_error("[optimizer adam]\nlearning_rate = 1e-3\nmomentum = 0.9\n", "t.ini:6:",
                 "unknown hyperparameter 'momentum' for optimizer adam");
}

Test(experiment, low_not_below_high) {
    expect_error("[optimizer adam]\nbeta1 = 0.95 0.8\n", "t.ini:5:", "low 0.95 must be below high 0.8");
    expect_error("[optimizer adam]\nbeta1 = 0.9 0.9\n", "t.ini:5:", "must be below high");
}

Test(experiment, log_scale_needs_positive_low) {
    expect_error("[optimizer adamw]\nweight_decay = log 0 1e-2\n", "t.ini:5:", "log scale needs low > 0");
}

Test(experiment, outside_valid_range) {
    expect_error("[optimizer adam]\nbeta1 = 0.5 1.5\n", "t.ini:5:", "beta1 = 0.5 1.5");
    expect_error("[optimizer adam]\nlearning_rate = -1\n", "t.ini:5:", "learning_rate = -1");
}

Test(experiment, bad_numbers) {
    expect_error("[optimizer adam]\nbeta1 = 0.8 zero\n", "t.ini:5:", "high 'zero' is not a number");
    expect_error("[optimizer adam]\nbeta1 = nan\n", "t.ini:5:", "'nan' is not a number");
    expect_error("train = 1k\n[optimizer adam]\n", "t.ini:4:", "train = 1k");
    expect_error("batch_size = 0\n[optimizer adam]\n", "t.ini:4:", "batch_size = 0");
    expect_error("seed = -3\n[optimizer adam]\n", "t.ini:4:", "seed = -3");
}

Test(experiment, bool_hyperparameter_takes_no_range) {
    expect_error("[optimizer sgd]\nnesterov = 0 1\n", "t.ini:5:", "true/false");
}

Test(experiment, unknown_key_and_section) {
    expect_error("epochs = 3\n[optimizer adam]\n", "t.ini:4:", "unknown key 'epochs'");
    expect_error("[optimizers]\n", "t.ini:4:", "unknown section [optimizers]");
    expect_error("[optimizer]\n", "t.ini:4:", "needs a name");
}

Test(experiment, duplicates) {
    expect_error("trials = 4\n[optimizer adam]\n", "t.ini:4:", "'trials' is set twice");
    expect_error("[optimizer adam]\n[optimizer Adam]\n", "t.ini:5:", "appears twice (first at line 4)");
    expect_error("[optimizer adam]\nlr = 1e-3\nlearning_rate = 1e-2\n", "t.ini:6:", "set twice");
}

Test(experiment, name_with_quotes) {
    char text[256];
    snprintf(text, sizeof text, "[experiment]\nname = it's\n[optimizer adam]\n");
    ol_experiment e;
    ol_error err;
    cr_assert_neq(ol_experiment_parse_string(&e, text, "q.ini", &err), OL_OK);
    cr_assert(strstr(err.msg, "q.ini:2:") && strstr(err.msg, "a quote"), "%s", err.msg);
    snprintf(text, sizeof text, "[experiment]\nname = \"seed\"\n[optimizer adam]\n");
    cr_assert_neq(ol_experiment_parse_string(&e, text, "q.ini", &err), OL_OK);
    cr_assert(strstr(err.msg, "q.ini:2:") && strstr(err.msg, "a quote"), "%s", err.msg);
    snprintf(text, sizeof text, "[experiment]\nname = a/b\n[optimizer adam]\n");
    cr_assert_neq(ol_experiment_parse_string(&e, text, "q.ini", &err), OL_OK);
    cr_assert(strstr(err.msg, "q.ini:2:"), "%s", err.msg);
}

Test(experiment, whole_file_problems) {
    ol_experiment e;
    ol_error err;
    cr_assert_neq(ol_experiment_parse_string(&e, "[optimizer adam]\n", "w.ini", &err), OL_OK);
    cr_assert(strstr(err.msg, "no [experiment] section"), "%s", err.msg);
    cr_assert_neq(ol_experiment_parse_string(&e, "[experiment]\n", "w.ini", &err), OL_OK);
    cr_assert(strstr(err.msg, "no [optimizer NAME] section"), "%s", err.msg);
    cr_assert_neq(ol_experiment_parse_string(&e, "trials = 3\n[experiment]\n", "w.ini", &err), OL_OK);
    cr_assert(strstr(err.msg, "w.ini:1:") && strstr(err.msg, "before any section"), "%s", err.msg);
    cr_assert_neq(ol_experiment_parse_string(&e, "[experiment]\ntrain = 50000\nvalid_trial = 20000\n[optimizer adam]\n",
                                          "w.ini", &err),
                  OL_OK);
    cr_assert(strstr(err.msg, "exceeds the 60000"), "%s", err.msg);
    cr_assert_neq(ol_experiment_load(&e, "tests/cli/no-such-file.ini", &err), OL_OK);
    cr_assert(strstr(err.msg, "tests/cli/no-such-file.ini"), "%s", err.msg);
}

Test(experiment, bad_model_spec) {
    expect_error("model = conv32k3 bogus\n[optimizer adam]\n", "t.ini:4:", "model = conv32k3 bogus");
}

Test(experiment, name_defaults_to_file_name) {
    ol_experiment e;
    ol_error err;
    cr_assert_eq(ol_experiment_parse_string(&e, "[experiment]\n[optimizer adam]\n", "dir/quick.ini", &err), OL_OK, "%s",
                 err.msg);
    cr_assert_str_eq(e.name, "quick");
    ol_experiment_free(&e);
}

Test(experiment, pruner_keys) {
    ol_experiment e;
    parse_ok(&e, "[optimizer adam]\n");
    cr_expect_eq(e.pruner, OL_EXP_PRUNER_NONE);
    cr_expect_eq(e.pruner_startup, 5);
    cr_expect_eq(e.pruner_warmup, 3);
    cr_expect_eq(e.pruner_interval, 1);
    ol_experiment_free(&e);
    parse_ok(&e, "pruner = median\npruner_startup = 2\npruner_warmup = 0\npruner_interval = 4\n"
                 "[optimizer adam]\n");
    cr_expect_eq(e.pruner, OL_EXP_PRUNER_MEDIAN);
    cr_expect_eq(e.pruner_startup, 2);
    cr_expect_eq(e.pruner_warmup, 0);
    cr_expect_eq(e.pruner_interval, 4);
    ol_experiment_free(&e);
    expect_error("pruner = hyperband\n[optimizer adam]\n", "t.ini:4:", "pruner = hyperband: expected none or median");
    expect_error("pruner_interval = 0\n[optimizer adam]\n", "t.ini:4:", "pruner_interval = 0");
    expect_error("pruner_warmup = -1\n[optimizer adam]\n", "t.ini:4:", "pruner_warmup = -1");
    expect_error("pruner = median\npruner = none\n[optimizer adam]\n", "t.ini:5:", "'pruner' is set twice");
    /* the ol_experiment the report compares with */
    parse_ok(&e, "[optimizer adam]\n");
    cr_expect_str_eq(e.baseline, "", "no baseline by default");
    ol_experiment_free(&e);
    parse_ok(&e, "baseline = repeat\n[optimizer adam]\n");
    cr_expect_str_eq(e.baseline, "repeat");
    ol_experiment_free(&e);
    expect_error("baseline = seed/adam\n[optimizer adam]\n", "t.ini:4:", "baseline = seed/adam: expected the name");
}

Test(experiment, one_optimizer_twice_with_its_own_loss) {
    ol_experiment e;
    parse_ok(&e, "loss = seed\n[optimizer adamw]\nlr = log 1e-4 1e-1\n"
                 "[optimizer AdamW as adamw-logits]\nloss = logits\nlr = log 1e-4 1e-1\n");
    cr_assert_eq(e.n_optimizers, 2);
    cr_assert_str_eq(e.optimizers[0].study, "adamw");
    cr_assert_eq(e.optimizers[0].loss, OL_LOSS_SEED);
    cr_assert_str_eq(e.optimizers[0].label, "AdamW");
    cr_assert_str_eq(e.optimizers[1].name, "adamw");
    cr_assert_str_eq(e.optimizers[1].study, "adamw-logits");
    cr_assert_eq(e.optimizers[1].loss, OL_LOSS_LOGITS);
    cr_assert_str_eq(e.optimizers[1].label, "AdamW, logits loss");
    cr_assert_eq(ol_experiment_find_optimizer(&e, "adamw-logits"), &e.optimizers[1]);
    cr_assert_eq(ol_experiment_find_optimizer(&e, "AdamW"), &e.optimizers[0]);
    ol_experiment_free(&e);
    /* the experiment's loss, wherever [experiment] sets it, reaches sections without one */
    parse_ok(&e, "loss = logits\n[optimizer adam]\n");
    cr_assert_eq(e.optimizers[0].loss, OL_LOSS_LOGITS);
    cr_assert_str_eq(e.optimizers[0].label, "Adam");
    ol_experiment_free(&e);
    expect_error("[optimizer adamw]\n[optimizer adamw]\n", "t.ini:5:", "as STUDY");
    expect_error("[optimizer adamw as x]\n[optimizer adam as x]\n", "t.ini:5:", "appears twice");
    expect_error("[optimizer adamw like x]\n", "t.ini:4:", "[optimizer NAME as STUDY]");
    expect_error("[optimizer adamw as]\n", "t.ini:4:", "[optimizer NAME as STUDY]");
    expect_error("[optimizer adamw as a/b]\n", "t.ini:4:", "study name");
    expect_error("[optimizer adamw]\nloss = mse\n", "t.ini:5:", "loss = mse");
    expect_error("[optimizer adamw]\nloss = seed\nloss = logits\n", "t.ini:6:", "set twice");
}

/* Issue 17: the re-evaluation stage and the two design choices, with today's behaviour as default. */
Test(experiment, reevaluation_and_design_choice_keys) {
    ol_experiment e;
    parse_ok(&e, "[optimizer adam]\n");
    cr_expect_eq(e.reevaluate_top, 0);
    cr_expect_eq(e.reevaluate_median, 0);
    cr_expect_eq(e.reevaluate_seeds, 10);
    cr_expect_eq(e.init, OL_EXP_INIT_PAIRED);
    cr_expect_eq(e.sampler_stream, OL_EXP_STREAM_SHARED);
    ol_experiment_free(&e);
    ol_experiment f;
    ol_error err = {0};
    cr_assert_eq(ol_experiment_parse_string(&f,
                                            "[experiment]\nreevaluate_top = 5\nreevaluate_median = 3\n"
                                            "reevaluate_seeds = 4\ninit = independent\nsampler_stream = own\n"
                                            "[optimizer adam]\n",
                                            "t.ini", &err),
                 OL_OK, "%s", err.msg);
    cr_expect_eq(f.reevaluate_top, 5);
    cr_expect_eq(f.reevaluate_median, 3);
    cr_expect_eq(f.reevaluate_seeds, 4);
    cr_expect_eq(f.init, OL_EXP_INIT_INDEPENDENT);
    cr_expect_eq(f.sampler_stream, OL_EXP_STREAM_OWN);
    ol_experiment_free(&f);
}

Test(experiment, reevaluation_bad_values) {
    expect_error("reevaluate_top = -1\n", "t.ini:4:", "reevaluate_top = -1: expected a whole number from 0");
    expect_error("reevaluate_seeds = 0\n", "t.ini:4:", "reevaluate_seeds = 0: expected a whole number from 1");
    expect_error("init = shared\n", "t.ini:4:", "init = shared: expected paired or independent");
    expect_error("sampler_stream = paired\n", "t.ini:4:", "sampler_stream = paired: expected shared or own");
}

/* experiments/seed-reeval.ini is the seed experiment (same name, seed, splits and spaces) plus the re-evaluation keys. */
Test(experiment, seed_reeval_file_is_the_seed_experiment) {
    ol_experiment a, b;
    ol_error err = {0};
    cr_assert_eq(ol_experiment_load(&a, "experiments/seed.ini", &err), OL_OK, "%s", err.msg);
    cr_assert_eq(ol_experiment_load(&b, "experiments/seed-reeval.ini", &err), OL_OK, "%s", err.msg);
    cr_expect_str_eq(a.name, b.name);
    cr_expect_eq(a.seed, b.seed);
    cr_expect_eq(a.trials, b.trials);
    cr_expect_eq(a.train, b.train);
    cr_expect_eq(a.valid_epoch, b.valid_epoch);
    cr_expect_eq(a.valid_trial, b.valid_trial);
    cr_expect_eq(a.loss, b.loss);
    cr_expect_eq(a.init, b.init);
    cr_expect_eq(a.sampler_stream, b.sampler_stream);
    cr_assert_eq(a.n_optimizers, b.n_optimizers);
    for (int i = 0; i < a.n_optimizers; i++) {
        cr_expect_str_eq(a.optimizers[i].name, b.optimizers[i].name);
        cr_assert_eq(a.optimizers[i].n_params, b.optimizers[i].n_params);
        for (int k = 0; k < a.optimizers[i].n_params; k++) {
            const ol_param_spec *x = &a.optimizers[i].params[k].spec, *y = &b.optimizers[i].params[k].spec;
            cr_expect_eq(x->dist.low, y->dist.low);
            cr_expect_eq(x->dist.high, y->dist.high);
            cr_expect_eq(x->dist.log, y->dist.log);
        }
    }
    cr_expect_eq(a.reevaluate_top, 0);
    cr_expect_eq(b.reevaluate_top, 5);
    cr_expect_eq(b.reevaluate_median, 3);
    cr_expect_eq(b.reevaluate_seeds, 10);
    ol_experiment_free(&a);
    ol_experiment_free(&b);
}

/* experiments/samplers/seed-*.ini (issue 18.6) are the seed experiment with another sampler: same seed, sizes and
   spaces, so their repetition r pairs with seed's; their own name, `baseline = seed`; the CMA-ES file leaves out
   Adadelta (one searched parameter, which CMA-ES refuses). */
Test(experiment, sampler_files_are_the_seed_experiment) {
    static const struct {
        const char *file, *name;
        ol_exp_sampler sampler;
    } F[] = {{"experiments/samplers/seed-mvtpe.ini", "seed-mvtpe", OL_EXP_SAMPLER_MVTPE},
             {"experiments/samplers/seed-gp.ini", "seed-gp", OL_EXP_SAMPLER_GP},
             {"experiments/samplers/seed-cmaes.ini", "seed-cmaes", OL_EXP_SAMPLER_CMAES},
             {"experiments/samplers/seed-random.ini", "seed-random", OL_EXP_SAMPLER_RANDOM}};
    ol_experiment a;
    ol_error err = {0};
    cr_assert_eq(ol_experiment_load(&a, "experiments/seed.ini", &err), OL_OK, "%s", err.msg);
    cr_assert_eq(a.sampler, OL_EXP_SAMPLER_TPE);
    for (size_t f = 0; f < sizeof F / sizeof F[0]; f++) {
        ol_experiment b;
        cr_assert_eq(ol_experiment_load(&b, F[f].file, &err), OL_OK, "%s: %s", F[f].file, err.msg);
        cr_expect_str_eq(b.name, F[f].name);
        cr_expect_eq(b.sampler, F[f].sampler, "%s", F[f].file);
        cr_expect_str_eq(b.baseline, "seed");
        cr_expect_eq(b.sampler_kwargs, NULL, "%s: no sampler_kwargs", F[f].file);
        cr_expect_eq(a.seed, b.seed);
        cr_expect_eq(a.trials, b.trials);
        cr_expect_eq(a.train, b.train);
        cr_expect_eq(a.valid_epoch, b.valid_epoch);
        cr_expect_eq(a.valid_trial, b.valid_trial);
        cr_expect_eq(a.test, b.test);
        cr_expect_eq(a.batch_size, b.batch_size);
        cr_expect_eq(a.patience, b.patience);
        cr_expect_eq(a.max_epochs, b.max_epochs);
        cr_expect_eq(a.dataset, b.dataset);
        cr_expect_eq(a.loss, b.loss);
        cr_expect_eq(a.init, b.init);
        cr_expect_eq(a.sampler_stream, b.sampler_stream);
        cr_expect_eq(a.pruner, b.pruner);
        int cmaes = F[f].sampler == OL_EXP_SAMPLER_CMAES;
        cr_assert_eq(b.n_optimizers, a.n_optimizers - cmaes, "%s: optimizers", F[f].file);
        for (int i = 0; i < b.n_optimizers; i++) {
            cr_expect_str_eq(a.optimizers[i].name, b.optimizers[i].name);
            cr_assert_eq(a.optimizers[i].n_params, b.optimizers[i].n_params);
            for (int k = 0; k < a.optimizers[i].n_params; k++) {
                const ol_param_spec *x = &a.optimizers[i].params[k].spec, *y = &b.optimizers[i].params[k].spec;
                cr_expect_str_eq(a.optimizers[i].params[k].name, b.optimizers[i].params[k].name);
                cr_expect_eq(x->fixed, y->fixed);
                cr_expect_eq(x->value, y->value);
                cr_expect_eq(x->dist.low, y->dist.low);
                cr_expect_eq(x->dist.high, y->dist.high);
                cr_expect_eq(x->dist.log, y->dist.log);
            }
        }
        if (cmaes) cr_expect_str_eq(a.optimizers[a.n_optimizers - 1].name, "adadelta", "the one CMA-ES leaves out");
        ol_experiment_free(&b);
    }
    ol_experiment_free(&a);
}

/* ---- learning-rate schedules (issue 14): `schedule = NAME[:JSON]`, `schedule.KEY = SPEC` ---- */

static const char *WARMUP_COSINE =
    "[optimizer adamw]\nlearning_rate = log 1e-4 1e-2\n"
    "schedule = SequentialLR:{\"schedulers\": [[\"LinearLR\", {\"start_factor\": 0.1, \"total_iters\": \"$warmup\"}], "
    "[\"CosineAnnealingLR\", {\"T_max\": 50, \"eta_min\": \"$eta_min\"}]], \"milestones\": [\"$warmup\"]}\n"
    "schedule.warmup = int 1 10\nschedule.eta_min = log 1e-6 1e-4\n";

Test(experiment, schedule_searched_values_fill_placeholders) {
    ol_experiment e;
    parse_ok(&e, WARMUP_COSINE);
    const ol_exp_optimizer *o = &e.optimizers[0];
    cr_assert_str_eq(o->schedule, "SequentialLR");
    cr_assert_eq(o->schedule_line, 6);
    cr_assert_eq(o->n_params, 3);
    cr_assert_str_eq(o->params[1].name, "schedule.warmup");
    cr_assert(o->params[1].schedule && !o->params[0].schedule);
    cr_assert_eq(o->params[1].spec.dist.kind, OL_DIST_INT); /* an ordinary Optuna distribution */
    cr_assert_eq(o->params[2].spec.dist.log, 1);
    double values[3] = {1e-3, 7, 2.5e-5};
    char *kw = NULL;
    ol_error err;
    cr_assert_eq(ol_exp_schedule_kwargs(o, values, &kw, &err), OL_OK, "%s", err.msg);
    /* one key fills both places; the learning rate (not a schedule value) appears nowhere */
    cr_assert(strstr(kw, "\"total_iters\":7") && strstr(kw, "\"milestones\":[7]") && strstr(kw, "\"eta_min\":2.5e-05"),
              "%s", kw);
    cr_assert_eq(ol_schedule_check(o->schedule, kw, &err), OL_OK, "%s", err.msg);
    free(kw);
    char text[512];
    ol_exp_schedule_text(o, text, sizeof text);
    cr_assert(!strncmp(text, "SequentialLR:{", 14) && strstr(text, "\"$warmup\""), "%s", text);
    ol_experiment_free(&e);
}

Test(experiment, schedule_fixed_and_plain) {
    ol_experiment e;
    parse_ok(&e, "[optimizer sgd]\nschedule = CosineAnnealingLR:{\"T_max\": 30}\n[optimizer adam]\n"
                 "schedule = ExponentialLR:{\"gamma\": \"$g\"}\nschedule.g = 0.9\n");
    cr_assert_str_eq(e.optimizers[0].schedule, "CosineAnnealingLR");
    cr_assert_eq(e.optimizers[1].params[0].spec.fixed, 1);
    ol_experiment_free(&e);
    /* the metric a trial offers is the valid-epoch accuracy: ReduceLROnPlateau in mode "max" is taken */
    parse_ok(&e, "[optimizer adamw]\nschedule = ReduceLROnPlateau:{\"mode\": \"max\", \"patience\": \"$p\"}\n"
                 "schedule.p = int 1 5\n");
    ol_experiment_free(&e);
    /* a one-cycle schedule long enough for max_epochs (65536 epochs x 32 batches of the 1000 images) */
    parse_ok(&e, "[optimizer sgd]\nmomentum = 0.9\nschedule = OneCycleLR:{\"max_lr\": 0.1, \"total_steps\": 2097152}\n");
    ol_experiment_free(&e);
}

Test(experiment, schedule_bad_input_named_before_anything_runs) {
    /* unknown schedule name: the message lists the known ones */
    expect_error("[optimizer adamw]\nschedule = CosineLR:{\"T_max\": 5}\n", "t.ini:5:", "unknown schedule 'CosineLR'");
    expect_error("[optimizer adamw]\nschedule = CosineLR\n", "t.ini:5:", "CosineAnnealingLR");
    /* unknown keyword, bad JSON */
    expect_error("[optimizer adamw]\nschedule = StepLR:{\"step_size\": 3, \"gama\": 0.5}\n", "t.ini:5:", "'gama'");
    expect_error("[optimizer adamw]\nschedule = StepLR:{\"step_size\": 3\n", "t.ini:5:", "not valid JSON");
    /* out-of-range fixed and searched values: the searched line and the failing end are named */
    expect_error("[optimizer adamw]\nschedule = ExponentialLR:{\"gamma\": -0.5}\n", "t.ini:5:", "-0.5");
    expect_error("[optimizer adamw]\nschedule = CosineAnnealingLR:{\"T_max\": 20, \"eta_min\": \"$m\"}\n"
                 "schedule.m = -1 1e-3\n",
                 "t.ini:6:", "schedule.m = -0.4995 (the middle of its range): CosineAnnealingLR: eta_min");
    expect_error("[optimizer adamw]\nschedule = LinearLR:{\"start_factor\": \"$s\"}\nschedule.s = 0.1 1.5\n",
                 "t.ini:6:", "schedule.s = 1.5");
    /* an integer keyword searched as a float */
    expect_error("[optimizer adamw]\nschedule = StepLR:{\"step_size\": \"$k\"}\nschedule.k = 1.5 4\n", "t.ini:6:",
                 "step_size");
    /* placeholders without a line, lines without a placeholder, values without a schedule */
    expect_error("[optimizer adamw]\nschedule = StepLR:{\"step_size\": \"$k\"}\n", "t.ini:5:", "\"$k\" has no line");
    expect_error("[optimizer adamw]\nschedule = StepLR:{\"step_size\": 2}\nschedule.k = int 1 4\n", "t.ini:6:",
                 "schedule.k is not used");
    expect_error("[optimizer adamw]\nschedule.k = int 1 4\n", "t.ini:5:", "no `schedule = NAME");
    expect_error("[optimizer adamw]\nschedule = StepLR:{\"step_size\": 2}\nschedule = StepLR:{\"step_size\": 3}\n",
                 "t.ini:6:", "'schedule' is set twice");
    /* schedules the optimizer or the run cannot take: a trial offers the valid-epoch accuracy (rising) as
     * ReduceLROnPlateau's metric, so mode "min" is refused; Adagrad has no momentum for OneCycleLR to cycle;
     * a one-cycle schedule must cover max_epochs */
    expect_error("[optimizer adamw]\nschedule = ReduceLROnPlateau\n", "t.ini:5:", "mode to \"max\"");
    expect_error("[optimizer adagrad]\nschedule = OneCycleLR:{\"max_lr\": 0.1, \"total_steps\": 100000}\n", "t.ini:5:",
                 "momentum");
    expect_error("[optimizer sgd]\nschedule = OneCycleLR:{\"max_lr\": 0.1, \"total_steps\": 100}\n", "t.ini:5:",
                 "max_epochs");
}

/* sampler = cmaes and sampler_kwargs: options checked at load, spaces CMA-ES cannot search refused before any trial */
Test(experiment, cmaes_sampler_and_its_options) {
    ol_experiment e;
    parse_ok(&e, "sampler = cmaes\nsampler_kwargs = {\"popsize\": 8, \"restart_strategy\": \"none\"}\n"
                 "[optimizer adam]\nlearning_rate = log 1e-4 1e-2\nbeta1 = 0.8 0.95\n");
    cr_expect_eq(e.sampler, OL_EXP_SAMPLER_CMAES);
    cr_expect_str_eq(ol_exp_sampler_name(e.sampler), "cmaes");
    cr_expect_str_eq(e.sampler_kwargs, "{\"popsize\": 8, \"restart_strategy\": \"none\"}");
    ol_experiment_free(&e);
    cr_expect_null(e.sampler_kwargs);
    /* bad options, at the line of sampler_kwargs */
    expect_error("sampler = cmaes\nsampler_kwargs = {\"popsize\": 1}\n[optimizer adam]\nlearning_rate = log 1e-4 1e-2\n"
                 "beta1 = 0.8 0.95\n",
                 "t.ini:5:", "popsize must be a whole number >= 2");
    expect_error("sampler_kwargs = {\"sigma0\": 0}\nsampler = cmaes\n[optimizer adam]\nlearning_rate = log 1e-4 1e-2\n"
                 "beta1 = 0.8 0.95\n",
                 "t.ini:4:", "sigma0 must be a number in (0, 1]");
    expect_error("sampler = cmaes\nsampler_kwargs = {\"popsiz\": 8}\n[optimizer adam]\nlearning_rate = log 1e-4 1e-2\n"
                 "beta1 = 0.8 0.95\n",
                 "t.ini:5:", "unknown option 'popsiz'");
    expect_error("sampler_kwargs = {\"popsize\": 8}\n[optimizer adam]\nlearning_rate = log 1e-4 1e-2\n",
                 "t.ini:4:", "sampler tpe takes no option 'popsize'");
    expect_error("sampler = cmaes\nsampler_kwargs = popsize=8\n[optimizer adam]\nlearning_rate = log 1e-4 1e-2\n"
                 "beta1 = 0.8 0.95\n",
                 "t.ini:5:", "not a JSON object");
    /* with_margin and a warm start: the form is checked at load, the source study in the storage at run time */
    parse_ok(&e, "sampler = cmaes\nsampler_kwargs = {\"with_margin\": true, \"source_study\": [\"old/adam\"]}\n"
                 "[optimizer adam]\nlearning_rate = log 1e-4 1e-2\nbeta1 = 0.8 0.95\n");
    ol_experiment_free(&e);
    expect_error("sampler = cmaes\nsampler_kwargs = {\"source_study\": 3}\n[optimizer adam]\nlearning_rate = log 1e-4 1e-2\n"
                 "beta1 = 0.8 0.95\n",
                 "t.ini:5:", "source_study must be a study name");
    expect_error("sampler = cmaes\nsampler_kwargs = {\"source_study\": \"a\", \"sigma0\": 0.1}\n[optimizer adam]\n"
                 "learning_rate = log 1e-4 1e-2\nbeta1 = 0.8 0.95\n",
                 "t.ini:5:", "cannot be combined with sigma0");
    /* spaces: one float parameter, only categoricals; named with the section, at the line of sampler = */
    expect_error("sampler = cmaes\n[optimizer adam]\nlearning_rate = log 1e-4 1e-2\nbeta1 = 0.9\n", "t.ini:4:",
                 "[optimizer adam] (line 5) searches only one float/int parameter (learning_rate); CMA-ES needs two");
    expect_error("sampler = cmaes\n[optimizer adam]\nlearning_rate = choice 0.001 0.01\nbeta1 = choice 0.9 0.95\n",
                 "t.ini:4:", "searches no float or int parameter, only categoricals");
    expect_error("sampler = cma\n", "t.ini:4:", "sampler = cma: expected tpe, mvtpe, gp, cmaes or random");
}
