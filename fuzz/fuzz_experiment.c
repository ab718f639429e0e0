/* fuzz_experiment.c — the experiment file parser and checker (ol_experiment_parse_string). */
#include "fuzz.h"
#include "optlab/experiment.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = fuzz_cstring(data, size);
    ol_experiment exp;
    memset(&exp, 0, sizeof exp);
    ol_error err = {0};
    if (ol_experiment_parse_string(&exp, text, "fuzz.ini", &err) != OL_OK && !err.msg[0]) abort();
    ol_experiment_free(&exp);
    free(text);
    return 0;
}
