/*
 * ol_model_tensors: the parameter tensors a model reports to shape-aware
 * optimizers (LAMB, Adafactor, Muon) — weights as matrices (conv: out x in*k*k),
 * biases 1-D, in buffer order, covering the buffer exactly.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "optlab/nn.h"

Test(tensors, seed_cnn_reports_its_ten_tensors_in_buffer_order) {
    ol_model *m;
    ol_error err;
    cr_assert_eq(ol_model_create(&m, OL_SEED_CNN_SPEC, 1, 28, 28, 4, &err), OL_OK, "%s", err.msg);
    ol_model_tensor t[16];
    int n = ol_model_tensors(m, t, 16);
    cr_assert_eq(n, 10);
    const size_t expect[10][2] = {{32, 9}, {32, 0}, {64, 288}, {64, 0}, {64, 576}, {64, 0},
                                  {64, 1024}, {64, 0}, {10, 64}, {10, 0}};
    size_t off = 0;
    for (int i = 0; i < n; i++) {
        cr_assert_eq(t[i].rows, expect[i][0], "tensor %d (%s) rows %zu", i, t[i].name, t[i].rows);
        cr_assert_eq(t[i].cols, expect[i][1], "tensor %d (%s) cols %zu", i, t[i].name, t[i].cols);
        cr_assert_eq(t[i].offset, off, "tensor %d (%s) offset %zu, expected %zu", i, t[i].name, t[i].offset, off);
        off += t[i].rows * (t[i].cols ? t[i].cols : 1);
    }
    cr_assert_eq(off, ol_model_num_params(m));
    cr_assert_str_eq(t[0].name, "0:conv32k3p1.weight");
    cr_assert_str_eq(t[9].name, "11:linear10.bias");
    /* a short array is filled as far as it goes; the count is still the whole */
    ol_model_tensor few[3];
    memset(few, 0x5a, sizeof few);
    cr_assert_eq(ol_model_tensors(m, few, 2), 10);
    cr_assert_eq(few[1].rows, 32);
    cr_assert_eq(((unsigned char *)&few[2])[0], 0x5a, "wrote past max");
    cr_assert_eq(ol_model_tensors(m, NULL, 0), 10);
    ol_model_free(m);
}
