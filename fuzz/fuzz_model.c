/*
 * fuzz_model.c — model spec strings (ol_model_create's parser and shape
 * checks) for a 1×12×12 input and batches of 2. A model that builds runs one
 * forward pass on zero parameters. Models above 256 MB are refused
 * (OPTLAB_MAX_MEMORY), as a user's would be above the default 4 GB.
 */
#include "fuzz.h"
#include "optlab/nn.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    setenv("OPTLAB_MAX_MEMORY", "256M", 0);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *spec = fuzz_cstring(data, size);
    ol_model *m = NULL;
    ol_error err = {0};
    if (ol_model_create(&m, spec, 1, 12, 12, 2, &err) == OL_OK) {
        static float x[2 * 144];
        int k = ol_model_num_classes(m);
        float *out = calloc((size_t)2 * (k > 0 ? (size_t)k : 1), sizeof *out);
        if (!out) abort();
        ol_error ferr = {0};
        if (ol_model_forward(m, x, 2, out, &ferr) != OL_OK && !ferr.msg[0]) abort();
        free(out);
        ol_model_free(m);
    } else if (!err.msg[0]) {
        abort();
    }
    free(spec);
    return 0;
}
