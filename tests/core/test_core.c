/* Core layer: error messages, seeded streams, CRC-32. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "optlab/core.h"

Test(core, fail_records_status_and_message) {
    ol_error err;
    ol_error_clear(&err);
    cr_assert_eq(ol_fail(&err, OL_EINVAL, "field %s = %g", "lr", -1.0), OL_EINVAL);
    cr_assert_eq(err.status, OL_EINVAL);
    cr_assert_str_eq(err.msg, "field lr = -1");
    ol_error_prefix(&err, "adam");
    cr_assert_str_eq(err.msg, "adam: field lr = -1");
    cr_assert_eq(ol_fail(NULL, OL_EIO, "x"), OL_EIO);
}

Test(core, same_seed_same_stream_and_names_differ) {
    ol_rng a, b, c;
    ol_rng_derive(&a, 42, "split");
    ol_rng_derive(&b, 42, "split");
    ol_rng_derive(&c, 42, "init");
    int same_ac = 1;
    for (int i = 0; i < 100; i++) {
        uint64_t x = ol_rng_u64(&a), y = ol_rng_u64(&b), z = ol_rng_u64(&c);
        cr_assert_eq(x, y);
        if (x != z) same_ac = 0;
    }
    cr_assert_eq(same_ac, 0, "streams named differently must differ");
}

Test(core, uniform_and_normal_moments) {
    ol_rng r;
    ol_rng_seed(&r, 7);
    double su = 0, sn = 0, sn2 = 0;
    const int n = 200000;
    for (int i = 0; i < n; i++) {
        double u = ol_rng_uniform(&r);
        cr_assert(u >= 0.0 && u < 1.0);
        su += u;
        double z = ol_rng_normal(&r);
        sn += z;
        sn2 += z * z;
    }
    cr_assert_float_eq(su / n, 0.5, 0.005);
    cr_assert_float_eq(sn / n, 0.0, 0.01);
    cr_assert_float_eq(sn2 / n, 1.0, 0.01);
}

Test(core, below_is_in_range_and_covers_it) {
    ol_rng r;
    ol_rng_seed(&r, 1);
    int seen[7] = {0};
    for (int i = 0; i < 7000; i++) {
        uint64_t k = ol_rng_below(&r, 7);
        cr_assert_lt(k, 7);
        seen[k]++;
    }
    for (int k = 0; k < 7; k++) cr_assert_gt(seen[k], 800);
}

Test(core, shuffle_is_a_permutation) {
    ol_rng r;
    ol_rng_seed(&r, 3);
    uint32_t a[1000];
    for (uint32_t i = 0; i < 1000; i++) a[i] = i;
    ol_rng_shuffle_u32(&r, a, 1000);
    int moved = 0, seen[1000] = {0};
    for (uint32_t i = 0; i < 1000; i++) {
        seen[a[i]]++;
        moved += a[i] != i;
    }
    for (int i = 0; i < 1000; i++) cr_assert_eq(seen[i], 1);
    cr_assert_gt(moved, 900);
}

Test(core, crc32_matches_known_value) {
    /* the standard check value of CRC-32/ISO-HDLC */
    cr_assert_eq(ol_crc32(0, "123456789", 9), 0xCBF43926u);
    uint32_t part = ol_crc32(0, "12345", 5);
    cr_assert_eq(ol_crc32(part, "6789", 4), 0xCBF43926u);
}
