/*
 * ol_model_layer_stats' dead-unit count (the never-learned diagnostics of
 * `optlab run` read it): a ReLU unit is dead when no image of the last batch
 * activates it. Weights are set by hand so the answer is known.
 */
#include <criterion/criterion.h>

#include "optlab/nn.h"

Test(layer_stats, relu_dead_units_are_those_no_image_activates) {
    ol_error err;
    ol_model *m;
    /* input 1x1x2 -> linear4 -> relu -> linear2 */
    cr_assert_eq(ol_model_create(&m, "flatten linear4 relu linear2", 1, 1, 2, 4, &err), OL_OK, "%s", err.msg);
    float *p = ol_model_params(m);
    for (size_t i = 0; i < ol_model_num_params(m); i++) p[i] = 0.0f;
    /* linear4 weights [4][2] then bias [4]: unit 0 = x0, unit 1 = -x0, units 2, 3 = -1 (always off) */
    p[0] = 1.0f;
    p[2] = -1.0f;
    p[8 + 2] = -1.0f;
    p[8 + 3] = -1.0f;
    float x[4 * 2] = {1, 0, 2, 0, 3, 0, 4, 0}; /* x0 > 0 for every image: unit 1 is dead too */
    float out[4 * 2];
    cr_assert_eq(ol_model_forward(m, x, 4, out, &err), OL_OK, "%s", err.msg);
    ol_layer_stats st[4];
    cr_assert_eq(ol_model_layer_stats(m, st, 4), 4);
    cr_assert_eq(st[2].kind, OL_LAYER_RELU);
    cr_assert_float_eq(st[2].frac_dead_units, 0.75, 1e-12);
    cr_assert_float_eq(st[2].frac_dead, 0.75, 1e-12);
    /* one image with x0 < 0 wakes unit 1: dead units 2/4, zero outputs still 12/16 */
    x[6] = -1.0f;
    cr_assert_eq(ol_model_forward(m, x, 4, out, &err), OL_OK, "%s", err.msg);
    ol_model_layer_stats(m, st, 4);
    cr_assert_float_eq(st[2].frac_dead_units, 0.5, 1e-12);
    cr_assert_float_eq(st[2].frac_dead, 12.0 / 16, 1e-12);
    cr_assert_eq(st[1].frac_dead_units, 0.0); /* not a relu */
    ol_model_free(m);
}
