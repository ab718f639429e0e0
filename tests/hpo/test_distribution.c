/*
 * Distributions: Optuna 3.1's exact JSON text both ways, Python float repr,
 * and clear errors for bad search spaces.
 *
 * The expected JSON strings are what Optuna 3.1 wrote into
 * trial_params.distribution_json for the same suggest calls:
 *   /usr/bin/python3 -c "import optuna; s = optuna.create_study(storage='sqlite:///x.db');
 *     s.optimize(lambda t: (t.suggest_float('lr', 1e-4, 1e-2, log=True), ...)[0] and 1.0, n_trials=1)"
 *   sqlite3 x.db 'select distribution_json from trial_params'
 * (tests/hpo/optuna_distribution_json.py prints them again.)
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "optlab/hpo.h"

static void expect_json(const ol_distribution *d, const char *want) {
    char *got = ol_distribution_to_json(d);
    cr_assert_not_null(got);
    cr_assert_str_eq(got, want);
    /* and back: parse, compare, write again */
    ol_distribution back;
    ol_error err = {0};
    cr_assert_eq(ol_distribution_from_json(&back, got, &err), OL_OK, "%s", err.msg);
    cr_assert(ol_distribution_equal(&back, d), "round trip of %s", want);
    char *again = ol_distribution_to_json(&back);
    cr_assert_str_eq(again, want);
    free(again);
    free(got);
    ol_distribution_free(&back);
}

Test(distribution, optuna_31_json_text_exactly) {
    ol_distribution d;
    ol_error err = {0};
    cr_assert_eq(ol_dist_float(&d, 1e-4, 1e-2, 1, 0, &err), OL_OK);
    expect_json(&d, "{\"name\": \"FloatDistribution\", \"attributes\": {\"step\": null, \"low\": 0.0001, \"high\": "
                    "0.01, \"log\": true}}");
    cr_assert_eq(ol_dist_float(&d, 0.8, 0.95, 0, 0, &err), OL_OK);
    expect_json(&d, "{\"name\": \"FloatDistribution\", \"attributes\": {\"step\": null, \"low\": 0.8, \"high\": "
                    "0.95, \"log\": false}}");
    cr_assert_eq(ol_dist_float(&d, 0, 1, 0, 0.1, &err), OL_OK);
    expect_json(&d, "{\"name\": \"FloatDistribution\", \"attributes\": {\"step\": 0.1, \"low\": 0.0, \"high\": "
                    "1.0, \"log\": false}}");
    cr_assert_eq(ol_dist_int(&d, 1, 10, 0, 1, &err), OL_OK);
    expect_json(&d, "{\"name\": \"IntDistribution\", \"attributes\": {\"log\": false, \"step\": 1, \"low\": 1, "
                    "\"high\": 10}}");
    cr_assert_eq(ol_dist_int(&d, 1, 100, 1, 1, &err), OL_OK);
    expect_json(&d, "{\"name\": \"IntDistribution\", \"attributes\": {\"log\": true, \"step\": 1, \"low\": 1, "
                    "\"high\": 100}}");
    cr_assert_eq(ol_dist_int(&d, 0, 10, 0, 2, &err), OL_OK);
    expect_json(&d, "{\"name\": \"IntDistribution\", \"attributes\": {\"log\": false, \"step\": 2, \"low\": 0, "
                    "\"high\": 10}}");
    const char *opts[] = {"adam", "sgd"};
    cr_assert_eq(ol_dist_categorical(&d, opts, 2, &err), OL_OK);
    expect_json(&d, "{\"name\": \"CategoricalDistribution\", \"attributes\": {\"choices\": [\"adam\", \"sgd\"]}}");
    ol_distribution_free(&d);
}

Test(distribution, reads_optuna_mixed_choices_and_2x_names) {
    const char *j = "{\"name\": \"CategoricalDistribution\", \"attributes\": {\"choices\": [1, 2.5, null, true]}}";
    ol_distribution d;
    ol_error err = {0};
    cr_assert_eq(ol_distribution_from_json(&d, j, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(d.kind, OL_DIST_CATEGORICAL);
    cr_assert_eq(d.n_choices, 4);
    char *back = ol_distribution_to_json(&d);
    cr_assert_str_eq(back, j);
    free(back);
    ol_distribution_free(&d);
    cr_assert_eq(ol_distribution_from_json(&d, "{\"name\": \"LogUniformDistribution\", \"attributes\": {\"low\": "
                                              "1e-05, \"high\": 1.0}}",
                                           &err),
                 OL_OK);
    cr_assert_eq(d.kind, OL_DIST_FLOAT);
    cr_assert(d.log);
    cr_assert_float_eq(d.low, 1e-5, 0);
    cr_assert_eq(ol_distribution_from_json(&d, "{\"name\": \"Weird\", \"attributes\": {}}", &err), OL_EFORMAT);
    cr_assert(strstr(err.msg, "Weird"), "%s", err.msg);
    cr_assert_eq(ol_distribution_from_json(&d, "{not json", &err), OL_EFORMAT);
}

Test(distribution, python_float_repr) {
    struct {
        double v;
        const char *s;
    } cases[] = {{0.0, "0.0"},       {1.0, "1.0"},       {1e-4, "0.0001"}, {1e-5, "1e-05"},
                 {0.1, "0.1"},       {1e16, "1e+16"},    {1e15, "1000000000000000.0"},
                 {-2.5, "-2.5"},     {1.0 / 3, "0.3333333333333333"},
                 {1.2345678901234568e+17, "1.2345678901234568e+17"}, {5e-324, "5e-324"}, {0.9999, "0.9999"},
                 {2e-2, "0.02"},     {123.456, "123.456"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[64];
        ol_format_pyfloat(buf, sizeof buf, cases[i].v);
        cr_assert_str_eq(buf, cases[i].s, "repr(%.17g)", cases[i].v);
    }
}

Test(distribution, bad_search_spaces_are_named) {
    ol_distribution d = {.kind = OL_DIST_FLOAT, .low = 1, .high = 1};
    ol_error err = {0};
    cr_assert_eq(ol_distribution_check(&d, "lr", &err), OL_EINVAL);
    cr_assert(strstr(err.msg, "'lr'") && strstr(err.msg, "low < high"), "%s", err.msg);
    d = (ol_distribution){.kind = OL_DIST_FLOAT, .low = 2, .high = 1};
    cr_assert_eq(ol_distribution_check(&d, "lr", &err), OL_EINVAL);
    d = (ol_distribution){.kind = OL_DIST_FLOAT, .low = 0, .high = 1, .log = 1};
    cr_assert_eq(ol_distribution_check(&d, "lr", &err), OL_EINVAL);
    cr_assert(strstr(err.msg, "log") && strstr(err.msg, "low > 0"), "%s", err.msg);
    d = (ol_distribution){.kind = OL_DIST_INT, .low = 0, .high = 10, .log = 0, .step = 3};
    cr_assert_eq(ol_distribution_check(&d, "n", &err), OL_EINVAL);
    cr_assert(strstr(err.msg, "steps"), "%s", err.msg);
    d = (ol_distribution){.kind = OL_DIST_INT, .low = 1, .high = 10, .log = 1, .step = 2};
    cr_assert_eq(ol_distribution_check(&d, "n", &err), OL_EINVAL);
    d = (ol_distribution){.kind = OL_DIST_FLOAT, .low = 0, .high = 1, .step = -0.1};
    cr_assert_eq(ol_distribution_check(&d, "x", &err), OL_EINVAL);
    d = (ol_distribution){.kind = OL_DIST_FLOAT, .low = 0, .high = 1.0 / 0.0};
    cr_assert_eq(ol_distribution_check(&d, "x", &err), OL_EINVAL);
    cr_assert_eq(ol_dist_categorical(&d, NULL, 0, &err), OL_EINVAL);
    cr_assert(strstr(err.msg, "no choices"), "%s", err.msg);
    const char *dup[] = {"a", "a"};
    cr_assert_eq(ol_dist_categorical(&d, dup, 2, &err), OL_EINVAL);
    cr_assert(strstr(err.msg, "twice"), "%s", err.msg);
}

Test(distribution, contains_respects_grid_and_range) {
    ol_distribution d;
    ol_error err = {0};
    cr_assert_eq(ol_dist_int(&d, 0, 10, 0, 2, &err), OL_OK);
    cr_assert(ol_distribution_contains(&d, 4));
    cr_assert_not(ol_distribution_contains(&d, 5));
    cr_assert_not(ol_distribution_contains(&d, 12));
    cr_assert_eq(ol_dist_float(&d, 0, 1, 0, 0.1, &err), OL_OK);
    cr_assert(ol_distribution_contains(&d, 0.7));
    cr_assert_not(ol_distribution_contains(&d, 0.75));
    const char *c[] = {"x", "y", "z"};
    cr_assert_eq(ol_dist_categorical(&d, c, 3, &err), OL_OK);
    cr_assert(ol_distribution_contains(&d, 2));
    cr_assert_not(ol_distribution_contains(&d, 3));
    cr_assert_not(ol_distribution_contains(&d, 0.5));
    ol_distribution_free(&d);
}

/* Found by fuzz/fuzz_param.c: Optuna writes the float choice 16.0 as "16.0", which
   reads back as the number 16; as in Python (16 == 16.0) the distributions are equal.
   A string "16" is not the number 16. */
Test(distribution, float_choices_equal_after_json_round_trip) {
    const char *json = "{\"name\": \"CategoricalDistribution\", \"attributes\": {\"choices\": [16.0, 32.5, \"16\"]}}";
    ol_distribution a, b;
    ol_error err;
    cr_assert_eq(ol_distribution_from_json(&a, json, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(ol_distribution_from_json(&b, json, &err), OL_OK, "%s", err.msg);
    cr_assert_str_eq(a.choices_json[0], "16");
    free(b.choices_json[0]);
    b.choices_json[0] = strdup("16.0");
    cr_assert(ol_distribution_equal(&a, &b));
    free(b.choices_json[0]);
    b.choices_json[0] = strdup("17.0");
    cr_assert(!ol_distribution_equal(&a, &b));
    free(b.choices_json[0]);
    b.choices_json[0] = strdup("\"16\"");
    cr_assert(!ol_distribution_equal(&a, &b));
    free(b.choices_json[2]);
    b.choices_json[2] = strdup("16");
    free(b.choices_json[0]);
    b.choices_json[0] = strdup("16");
    cr_assert(!ol_distribution_equal(&a, &b), "the string \"16\" is not the number 16");
    ol_distribution_free(&a);
    ol_distribution_free(&b);
}
