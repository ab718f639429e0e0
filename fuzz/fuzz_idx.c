/* fuzz_idx.c — ol_idx_read on hostile IDX files, raw or gzip (the reader detects gzip by its first bytes). */
#include "fuzz.h"
#include "optlab/data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_write_file("input.idx", data, size);
    ol_idx idx = {0};
    ol_error err = {0};
    if (ol_idx_read(path, &idx, &err) == OL_OK) {
        /* a success must describe exactly the bytes it holds */
        size_t want = 1;
        for (int i = 0; i < idx.ndims; i++) want *= idx.dims[i];
        if (idx.ndims < 1 || idx.ndims > OL_IDX_MAX_DIMS || want != idx.size) abort();
        volatile uint8_t sum = 0;
        for (size_t i = 0; i < idx.size; i++) sum += idx.data[i];
        (void)sum;
    } else if (!err.msg[0]) {
        abort(); /* every refusal says why */
    }
    ol_idx_free(&idx);
    return 0;
}
