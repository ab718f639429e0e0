/*
 * fuzz_param.c — `ask --param` / experiment-file parameter specs and Optuna's
 * distribution JSON. The first byte chooses: even = a spec (fixed values
 * allowed when bit 1 is set), odd = distribution JSON. Whatever parses must
 * survive a round trip through Optuna's JSON unchanged.
 */
#include "fuzz.h"
#include "optlab/experiment.h"
#include "optlab/hpo.h"

static void round_trip(const ol_distribution *d) {
    char *json = ol_distribution_to_json(d);
    if (!json) abort();
    ol_distribution back;
    memset(&back, 0, sizeof back);
    ol_error err = {0};
    if (ol_distribution_from_json(&back, json, &err) != OL_OK) {
        fprintf(stderr, "written JSON not read back: %s: %s\n", json, err.msg);
        abort();
    }
    if (!ol_distribution_equal(d, &back)) {
        fprintf(stderr, "JSON round trip changed the distribution: %s\n", json);
        abort();
    }
    ol_distribution_free(&back);
    free(json);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    char *text = fuzz_cstring(data + 1, size - 1);
    ol_error err = {0};
    if (data[0] & 1) {
        ol_distribution d;
        memset(&d, 0, sizeof d);
        if (ol_distribution_from_json(&d, text, &err) == OL_OK) {
            if (ol_distribution_check(&d, "p", &err) == OL_OK) round_trip(&d);
            ol_distribution_free(&d);
        } else if (!err.msg[0]) abort();
    } else {
        ol_param_spec p;
        memset(&p, 0, sizeof p);
        if (ol_param_spec_parse(text, (data[0] >> 1) & 1, &p, &err) == OL_OK) {
            if (!p.fixed) {
                if (ol_distribution_check(&p.dist, "p", &err) != OL_OK) {
                    fprintf(stderr, "spec '%s' parsed into a distribution that fails its check: %s\n", text, err.msg);
                    abort();
                }
                round_trip(&p.dist);
                if (p.numeric_choices)
                    for (size_t i = 0; i <= p.dist.n_choices; i++) (void)ol_param_spec_choice_value(&p, i);
            }
            ol_param_spec_free(&p);
        } else if (!err.msg[0]) abort();
    }
    free(text);
    return 0;
}
