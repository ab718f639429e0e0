/*
 * test_never_learn_analysis.c — the pure half of the never-learn section
 * (src/report/neverlearn_analysis.c): bins of a search range, the η² of a
 * factor's failure rates, medians; and its words (neverlearn_text.c): every
 * key has an English and a Korean text with as many conversions.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "../../src/report/neverlearn.h"

Test(never_learn_analysis, decades_of_a_log_range) {
    nl_bins b;
    nl_make_bins(&b, 1e-4, 1e-1, 1);
    cr_assert_eq(b.n_bins, 3);
    cr_assert(b.log_scale);
    cr_assert_eq(nl_bin_of(&b, 1e-4), 0);
    cr_assert_eq(nl_bin_of(&b, 5e-3), 1);
    cr_assert_eq(nl_bin_of(&b, 1e-1), 2, "the top edge belongs to the last bin");
    cr_assert_eq(nl_bin_of(&b, 1e-5), -1);
    cr_assert_eq(nl_bin_of(&b, NAN), -1);
    cr_assert_float_eq(nl_bin_centre(&b, 1), sqrt(1e-3 * 1e-2), 1e-15);
    nl_make_bins(&b, 0.5, 0.9, 0);
    cr_assert_eq(b.n_bins, 4);
    cr_assert_float_eq(b.edge[2], 0.7, 1e-12);
}

Test(never_learn_analysis, eta2_is_zero_for_equal_rates_and_one_for_separation) {
    nl_factor f;
    memset(&f, 0, sizeof f);
    f.n[0] = 10, f.fail[0] = 3, f.n[1] = 20, f.fail[1] = 6;
    nl_factor_eta2(&f, 2);
    cr_assert_eq(f.N, 30);
    cr_assert_eq(f.F, 9);
    cr_assert_float_eq(f.eta2, 0.0, 1e-12);
    f.n[0] = 10, f.fail[0] = 10, f.n[1] = 20, f.fail[1] = 0;
    nl_factor_eta2(&f, 2);
    cr_assert_float_eq(f.eta2, 1.0, 1e-12);
    /* between: 8/10 against 2/10, p = 0.5: Σ n_g (p_g − p)² / (N p (1 − p)) = 2·10·0.09 / 5 = 0.36 */
    f.n[0] = 10, f.fail[0] = 8, f.n[1] = 10, f.fail[1] = 2;
    nl_factor_eta2(&f, 2);
    cr_assert_float_eq(f.eta2, 0.36, 1e-12);
}

Test(never_learn_analysis, median) {
    double odd[] = {5, 1, 3};
    cr_assert_float_eq(nl_median(odd, 3), 3.0, 0);
    double even[] = {4, 1, 3, 2};
    cr_assert_float_eq(nl_median(even, 4), 2.5, 0);
    cr_assert(isnan(nl_median(NULL, 0)));
}

static int conversions(const char *s) {
    int n = 0;
    for (const char *p = s; (p = strchr(p, '%')); p += 2)
        if (p[1] != '%') n++;
    return n;
}

Test(never_learn_analysis, every_text_in_both_languages) {
    for (int k = 0; k < NL_T_COUNT; k++) {
        const char *en = nl_t(OL_REPORT_EN, (nl_text)k), *ko = nl_t(OL_REPORT_KO, (nl_text)k);
        cr_assert(en && *en && ko && *ko, "key %d lacks a text", k);
        cr_assert_eq(conversions(en), conversions(ko), "key %d: '%s' vs '%s'", k, en, ko);
    }
}
