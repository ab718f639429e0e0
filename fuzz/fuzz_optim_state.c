/*
 * fuzz_optim_state.c — ol_optimizer_load on hostile state blobs. The first
 * byte picks the optimizer (registry order, modulo the count), the rest is the
 * blob, loaded into that optimizer with one group of 16 parameters. A blob
 * that loads must let the optimizer step and save again.
 * Seeds: real blobs after two steps, written by this harness when
 * OPTLAB_FUZZ_WRITE_SEEDS=DIR is set (see fuzz/README.md).
 */
#include "fuzz.h"
#include "optlab/optim.h"

enum { N = 16 };

static ol_optimizer *make(size_t which, float *p, float *g) {
    ol_error err = {0};
    ol_optimizer *o = NULL;
    const ol_optim_info *info = ol_optim_at(which % ol_optim_count());
    if (ol_optimizer_create(&o, info->name, &err) != OL_OK) abort();
    for (int i = 0; i < N; i++) p[i] = 0.1f * (float)(i - 8), g[i] = 0.01f * (float)(i % 5) - 0.02f;
    if (ol_optimizer_add_group(o, p, g, N, &err) != OL_OK) abort();
    return o;
}

static void write_seeds(const char *dir) {
    for (size_t k = 0; k < ol_optim_count(); k++) {
        float p[N], g[N];
        ol_error err = {0};
        ol_optimizer *o = make(k, p, g);
        void *blob = NULL;
        size_t size = 0;
        if (ol_optimizer_step(o, &err) || ol_optimizer_step(o, &err) || ol_optimizer_save(o, &blob, &size, &err)) {
            fprintf(stderr, "%s: %s\n", ol_optim_at(k)->name, err.msg);
            abort();
        }
        char path[512];
        snprintf(path, sizeof path, "%s/%s.blob", dir, ol_optim_at(k)->name);
        FILE *f = fopen(path, "wb");
        unsigned char tag = (unsigned char)k;
        if (!f || fwrite(&tag, 1, 1, f) != 1 || fwrite(blob, 1, size, f) != size || fclose(f)) abort();
        free(blob);
        ol_optimizer_free(o);
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    const char *dir = getenv("OPTLAB_FUZZ_WRITE_SEEDS");
    if (dir && *dir) { write_seeds(dir); exit(0); }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    float p[N], g[N];
    ol_optimizer *o = make(data[0], p, g);
    ol_error err = {0};
    if (ol_optimizer_load(o, data + 1, size - 1, &err) == OL_OK) {
        void *blob = NULL;
        size_t n = 0;
        if (ol_optimizer_step(o, &err) != OL_OK && !err.msg[0]) abort();
        if (ol_optimizer_save(o, &blob, &n, &err) != OL_OK) abort();
        free(blob);
    } else if (!err.msg[0]) {
        abort();
    }
    ol_optimizer_free(o);
    return 0;
}
