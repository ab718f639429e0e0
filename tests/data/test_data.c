/*
 * Tests of the data layer: IDX round trips (raw and gzip), every kind of bad
 * file the reader must refuse with a message saying what is wrong and how to
 * fix it, corpus loading from a data directory, and the splits (sizes,
 * disjointness, determinism, normalisation). All files are generated here in
 * a temporary directory; nothing depends on MNIST being present.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "optlab/data.h"

static char tmpdir[256];

static void make_tmpdir(void) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/optlab-test-data.XXXXXX");
    cr_assert(mkdtemp(tmpdir) != NULL);
}

static void remove_tree(void) {
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(data, .init = make_tmpdir, .fini = remove_tree);

static void path_in(char *buf, size_t n, const char *name) { snprintf(buf, n, "%s/%s", tmpdir, name); }

static void write_bytes(const char *path, const void *data, size_t n) {
    FILE *f = fopen(path, "wb");
    cr_assert(f);
    cr_assert_eq(fwrite(data, 1, n, f), n);
    fclose(f);
}

static uint8_t *read_bytes(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    cr_assert(f);
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    rewind(f);
    uint8_t *b = malloc(*n ? *n : 1);
    cr_assert_eq(fread(b, 1, *n, f), *n);
    fclose(f);
    return b;
}

/* A small 3-D IDX file: 5 images of 3×4 with pattern bytes. */
static void write_small_images(const char *path, int gzip) {
    uint32_t dims[3] = {5, 3, 4};
    uint8_t data[60];
    for (int i = 0; i < 60; i++) data[i] = (uint8_t)(i * 37 + 1);
    ol_error err;
    cr_assert_eq(ol_idx_write(path, 3, dims, data, gzip, &err), OL_OK, "%s", err.msg);
}

static void expect_failure(const char *path, ol_status want, const char *needle1, const char *needle2) {
    ol_idx idx;
    ol_error err = {0};
    ol_status st = ol_idx_read(path, &idx, &err);
    cr_assert_eq(st, want, "status %d (want %d): %s", st, want, err.msg);
    cr_assert(strstr(err.msg, path), "message does not name the file: %s", err.msg);
    cr_assert(strstr(err.msg, needle1), "message lacks '%s': %s", needle1, err.msg);
    if (needle2) cr_assert(strstr(err.msg, needle2), "message lacks '%s': %s", needle2, err.msg);
    cr_assert_null(idx.data);
}

Test(data, idx_round_trip_raw_and_gzip) {
    for (int gz = 0; gz <= 1; gz++) {
        char path[300];
        path_in(path, sizeof path, gz ? "round.gz" : "round");
        write_small_images(path, gz);
        size_t n;
        uint8_t *raw = read_bytes(path, &n);
        if (gz) cr_assert(raw[0] == 0x1f && raw[1] == 0x8b, "gzip file lacks the gzip magic");
        else cr_assert_eq(n, 16u + 60u);
        free(raw);
        ol_idx idx;
        ol_error err;
        cr_assert_eq(ol_idx_read(path, &idx, &err), OL_OK, "%s", err.msg);
        cr_assert_eq(idx.ndims, 3);
        cr_assert_eq(idx.dims[0], 5u);
        cr_assert_eq(idx.dims[1], 3u);
        cr_assert_eq(idx.dims[2], 4u);
        cr_assert_eq(idx.size, 60u);
        for (int i = 0; i < 60; i++) cr_assert_eq(idx.data[i], (uint8_t)(i * 37 + 1), "byte %d", i);
        ol_idx_free(&idx);
        cr_assert_null(idx.data);
    }
}

Test(data, idx_truncated_raw) {
    char path[300];
    path_in(path, sizeof path, "trunc");
    write_small_images(path, 0);
    cr_assert_eq(truncate(path, 16 + 59), 0);
    expect_failure(path, OL_EFORMAT, "truncated", "fetch it again");
    /* cut inside the header too */
    cr_assert_eq(truncate(path, 7), 0);
    expect_failure(path, OL_EFORMAT, "truncated", "fetch it again");
    cr_assert_eq(truncate(path, 2), 0);
    expect_failure(path, OL_EFORMAT, "truncated", NULL);
}

Test(data, idx_wrong_magic) {
    char path[300];
    path_in(path, sizeof path, "magic");
    uint8_t bad[32] = {'P', 'K', 3, 4};
    write_bytes(path, bad, sizeof bad);
    expect_failure(path, OL_EFORMAT, "wrong magic", "not an IDX file");
    /* right zeros but an unsupported element type (0x0D = float) */
    uint8_t float_type[8] = {0, 0, 0x0d, 1, 0, 0, 0, 0};
    write_bytes(path, float_type, sizeof float_type);
    expect_failure(path, OL_EFORMAT, "0x0d", "unsigned byte");
    /* zero dimensions declared */
    uint8_t no_dims[8] = {0, 0, 0x08, 0, 0, 0, 0, 0};
    write_bytes(path, no_dims, sizeof no_dims);
    expect_failure(path, OL_EFORMAT, "0 dimensions", NULL);
}

Test(data, idx_wrong_size_trailing_bytes) {
    char path[300];
    path_in(path, sizeof path, "long");
    write_small_images(path, 0);
    FILE *f = fopen(path, "ab");
    fputs("extra", f);
    fclose(f);
    expect_failure(path, OL_EFORMAT, "wrong size", "trailing bytes");
    /* a zero dimension is refused too */
    uint8_t zero_dim[12] = {0, 0, 0x08, 2, 0, 0, 0, 3, 0, 0, 0, 0};
    write_bytes(path, zero_dim, sizeof zero_dim);
    expect_failure(path, OL_EFORMAT, "dimension 1 is 0", NULL);
}

Test(data, idx_wrong_size_gzip) {
    char path[300];
    path_in(path, sizeof path, "long.gz");
    uint32_t dims[1] = {10};
    uint8_t data[11] = {0};
    ol_error err;
    /* write 11 bytes under a header that declares 10 */
    gzFile gz = gzopen(path, "wb");
    uint8_t head[8] = {0, 0, 8, 1, 0, 0, 0, 10};
    gzwrite(gz, head, 8);
    gzwrite(gz, data, 11);
    gzclose(gz);
    expect_failure(path, OL_EFORMAT, "wrong size", "trailing bytes");
    /* and 9 under a header that declares 10 */
    gz = gzopen(path, "wb");
    gzwrite(gz, head, 8);
    gzwrite(gz, data, 9);
    gzclose(gz);
    expect_failure(path, OL_EFORMAT, "truncated", "fetch it again");
    cr_assert_eq(ol_idx_write(path, 1, dims, data, 1, &err), OL_OK);
}

Test(data, gzip_garbage) {
    char path[300];
    path_in(path, sizeof path, "garbage.gz");
    uint8_t junk[200] = {0x1f, 0x8b};
    for (int i = 2; i < 200; i++) junk[i] = (uint8_t)(i * 131 + 7);
    write_bytes(path, junk, sizeof junk);
    expect_failure(path, OL_EFORMAT, "corrupt gzip", "fetch it again");

    /* a good gzip file cut in half: the stream ends early */
    char good[300];
    path_in(good, sizeof good, "cut.gz");
    uint32_t dims[1] = {20000};
    uint8_t *data = malloc(20000);
    for (int i = 0; i < 20000; i++) data[i] = (uint8_t)((i * 2654435761u) >> 24); /* poorly compressible */
    ol_error err;
    cr_assert_eq(ol_idx_write(good, 1, dims, data, 1, &err), OL_OK);
    free(data);
    size_t n;
    uint8_t *bytes = read_bytes(good, &n);
    write_bytes(good, bytes, n / 2);
    free(bytes);
    ol_idx idx;
    cr_assert_eq(ol_idx_read(good, &idx, &err), OL_EFORMAT, "%s", err.msg);
    cr_assert(strstr(err.msg, "gzip"), "%s", err.msg);
    cr_assert(strstr(err.msg, "ends early") || strstr(err.msg, "truncated") || strstr(err.msg, "corrupt"), "%s",
              err.msg);
    cr_assert(strstr(err.msg, "fetch it again"), "%s", err.msg);
}

Test(data, missing_file_is_not_found) {
    char path[300];
    path_in(path, sizeof path, "nothing-here");
    expect_failure(path, OL_ENOTFOUND, "no such file", NULL);
}

/* ---- corpora ---- */

/* Write a tiny MNIST-shaped corpus (train 40 × 2×3, test 12) into DIR/mnist; gzip some files. */
static void write_tiny_corpus(const char *data_dir, int train_n, int test_n) {
    char dir[400], path[500];
    snprintf(dir, sizeof dir, "%s/mnist", data_dir);
    mkdir(dir, 0755);
    uint32_t img_dims[3] = {(uint32_t)train_n, 2, 3};
    uint32_t lab_dims[1] = {(uint32_t)train_n};
    uint8_t *img = malloc((size_t)train_n * 6), *lab = malloc((size_t)train_n);
    for (int i = 0; i < train_n; i++) {
        lab[i] = (uint8_t)(i % 10);
        for (int k = 0; k < 6; k++) img[i * 6 + k] = (uint8_t)(i + k * 40); /* pixel 0 identifies the image */
    }
    ol_error err;
    snprintf(path, sizeof path, "%s/train-images-idx3-ubyte.gz", dir);
    cr_assert_eq(ol_idx_write(path, 3, img_dims, img, 1, &err), OL_OK);
    snprintf(path, sizeof path, "%s/train-labels-idx1-ubyte", dir);
    cr_assert_eq(ol_idx_write(path, 1, lab_dims, lab, 0, &err), OL_OK);
    img_dims[0] = lab_dims[0] = (uint32_t)test_n;
    snprintf(path, sizeof path, "%s/t10k-images-idx3-ubyte", dir);
    cr_assert_eq(ol_idx_write(path, 3, img_dims, img, 0, &err), OL_OK);
    snprintf(path, sizeof path, "%s/t10k-labels-idx1-ubyte.gz", dir);
    cr_assert_eq(ol_idx_write(path, 1, lab_dims, lab, 1, &err), OL_OK);
    free(img);
    free(lab);
}

Test(data, missing_data_directory_says_how_to_fix) {
    char missing[400];
    snprintf(missing, sizeof missing, "%s/no-such-data", tmpdir);
    ol_corpus c;
    ol_error err = {0};
    cr_assert_eq(ol_corpus_load(&c, missing, "mnist", &err), OL_ENOTFOUND);
    cr_assert(strstr(err.msg, missing), "%s", err.msg);
    cr_assert(strstr(err.msg, "does not exist"), "%s", err.msg);
    cr_assert(strstr(err.msg, "make data"), "%s", err.msg);
    cr_assert(strstr(err.msg, "scripts/fetch-mnist.sh"), "%s", err.msg);
    /* the data directory exists but not its mnist sub-directory */
    cr_assert_eq(ol_corpus_load(&c, tmpdir, "mnist", &err), OL_ENOTFOUND);
    cr_assert(strstr(err.msg, "/mnist does not exist"), "%s", err.msg);
    cr_assert(strstr(err.msg, "make data"), "%s", err.msg);
    /* one file missing */
    write_tiny_corpus(tmpdir, 40, 12);
    char victim[500];
    snprintf(victim, sizeof victim, "%s/mnist/t10k-images-idx3-ubyte", tmpdir);
    cr_assert_eq(unlink(victim), 0);
    cr_assert_eq(ol_corpus_load(&c, tmpdir, "mnist", &err), OL_ENOTFOUND);
    cr_assert(strstr(err.msg, "missing t10k-images-idx3-ubyte"), "%s", err.msg);
    cr_assert(strstr(err.msg, "make data"), "%s", err.msg);
    /* an unknown dataset name */
    cr_assert_eq(ol_corpus_load(&c, tmpdir, "cifar", &err), OL_EINVAL);
    cr_assert(strstr(err.msg, "cifar") && strstr(err.msg, "fashion-mnist"), "%s", err.msg);
}

Test(data, data_dir_precedence) {
    unsetenv("OPTLAB_DATA");
    cr_assert_str_eq(ol_data_dir(NULL), "data");
    cr_assert_str_eq(ol_data_dir(""), "data");
    setenv("OPTLAB_DATA", "/env/dir", 1);
    cr_assert_str_eq(ol_data_dir(NULL), "/env/dir");
    cr_assert_str_eq(ol_data_dir("/cli/dir"), "/cli/dir");
    unsetenv("OPTLAB_DATA");
}

Test(data, corpus_mismatched_files_refused) {
    write_tiny_corpus(tmpdir, 40, 12);
    /* labels count disagrees with images */
    char path[500];
    snprintf(path, sizeof path, "%s/mnist/train-labels-idx1-ubyte", tmpdir);
    uint32_t dims[1] = {39};
    uint8_t lab[39] = {0};
    ol_error err;
    cr_assert_eq(ol_idx_write(path, 1, dims, lab, 0, &err), OL_OK);
    ol_corpus c;
    cr_assert_eq(ol_corpus_load(&c, tmpdir, "mnist", &err), OL_EFORMAT);
    cr_assert(strstr(err.msg, "40 images") && strstr(err.msg, "39 labels"), "%s", err.msg);
    /* a label out of range */
    dims[0] = 40;
    uint8_t lab40[40] = {0};
    lab40[17] = 12;
    cr_assert_eq(ol_idx_write(path, 1, dims, lab40, 0, &err), OL_OK);
    cr_assert_eq(ol_corpus_load(&c, tmpdir, "mnist", &err), OL_EFORMAT);
    cr_assert(strstr(err.msg, "label 12 of item 17"), "%s", err.msg);
}

Test(data, corpus_and_splits) {
    write_tiny_corpus(tmpdir, 40, 12);
    ol_corpus c;
    ol_error err;
    cr_assert_eq(ol_corpus_load(&c, tmpdir, "mnist", &err), OL_OK, "%s", err.msg);
    cr_assert_eq(c.train_n, 40);
    cr_assert_eq(c.test_n, 12);
    cr_assert_eq(c.height, 2);
    cr_assert_eq(c.width, 3);

    ol_split_sizes sizes = {5, 10, 15, 12};
    ol_splits a, b, other;
    cr_assert_eq(ol_splits_make(&a, &c, &sizes, 42, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(ol_splits_make(&b, &c, &sizes, 42, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(ol_splits_make(&other, &c, &sizes, 43, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(a.train.n, 5);
    cr_assert_eq(a.valid_epoch.n, 10);
    cr_assert_eq(a.valid_trial.n, 15);
    cr_assert_eq(a.test.n, 12);

    /* disjoint, and each image's data and label come from its source index */
    int seen[40] = {0};
    const ol_dataset *parts[3] = {&a.train, &a.valid_epoch, &a.valid_trial};
    for (int p = 0; p < 3; p++)
        for (int i = 0; i < parts[p]->n; i++) {
            uint32_t src = parts[p]->source_index[i];
            cr_assert_lt(src, 40u);
            cr_assert_eq(seen[src], 0, "image %u drawn twice", src);
            seen[src] = 1;
            cr_assert_eq(parts[p]->labels[i], src % 10);
            cr_assert_float_eq(parts[p]->x[i * 6], ol_normalise_pixel((uint8_t)src), 0.0f);
            cr_assert_eq(parts[p]->image_size, 6u);
        }
    /* full test set in file order */
    for (int i = 0; i < 12; i++) cr_assert_eq(a.test.source_index[i], (uint32_t)i);

    /* deterministic for one seed, different for another */
    cr_assert_eq(memcmp(a.train.source_index, b.train.source_index, 5 * sizeof(uint32_t)), 0);
    cr_assert_eq(memcmp(a.valid_trial.x, b.valid_trial.x, 15 * 6 * sizeof(float)), 0);
    int differs = memcmp(a.train.source_index, other.train.source_index, 5 * sizeof(uint32_t)) ||
                  memcmp(a.valid_epoch.source_index, other.valid_epoch.source_index, 10 * sizeof(uint32_t));
    cr_assert(differs, "seeds 42 and 43 gave the same split");

    /* a test subset is a draw, still deterministic */
    ol_split_sizes small_test = {5, 10, 15, 4};
    ol_splits s1, s2;
    cr_assert_eq(ol_splits_make(&s1, &c, &small_test, 7, &err), OL_OK);
    cr_assert_eq(ol_splits_make(&s2, &c, &small_test, 7, &err), OL_OK);
    cr_assert_eq(s1.test.n, 4);
    cr_assert_eq(memcmp(s1.test.source_index, s2.test.source_index, 4 * sizeof(uint32_t)), 0);
    ol_splits_free(&s1);
    ol_splits_free(&s2);

    /* sizes that do not fit are refused, naming the sizes */
    ol_split_sizes too_big = {20, 10, 11, 12};
    ol_splits bad;
    cr_assert_eq(ol_splits_make(&bad, &c, &too_big, 1, &err), OL_EINVAL);
    cr_assert(strstr(err.msg, "41") && strstr(err.msg, "40"), "%s", err.msg);
    ol_split_sizes zero = {0, 10, 10, 12};
    cr_assert_eq(ol_splits_make(&bad, &c, &zero, 1, &err), OL_EINVAL);
    cr_assert(strstr(err.msg, "train"), "%s", err.msg);
    ol_split_sizes test_big = {5, 5, 5, 13};
    cr_assert_eq(ol_splits_make(&bad, &c, &test_big, 1, &err), OL_EINVAL);
    cr_assert(strstr(err.msg, "test"), "%s", err.msg);

    ol_splits_free(&a);
    ol_splits_free(&b);
    ol_splits_free(&other);
    ol_splits_free(&other); /* idempotent */
    ol_corpus_free(&c);
    ol_corpus_free(&c);
}

Test(data, normalisation_range_and_values) {
    cr_assert_float_eq(ol_normalise_pixel(0), -1.0f, 0.0f);
    cr_assert_float_eq(ol_normalise_pixel(255), 1.0f, 0.0f);
    float prev = -2.0f;
    for (int v = 0; v < 256; v++) {
        float x = ol_normalise_pixel((uint8_t)v);
        cr_assert(x >= -1.0f && x <= 1.0f, "pixel %d -> %g", v, x);
        cr_assert(x > prev, "not increasing at %d", v);
        /* the float computation PyTorch does, to the bit */
        float t = (float)v / 255.0f;
        t = (t - 0.5f) / 0.5f;
        cr_assert_eq(memcmp(&x, &t, sizeof x), 0, "pixel %d differs from torch's float arithmetic", v);
        prev = x;
    }
}

Test(data, fashion_mnist_falls_back_to_system_dir) {
    /* With no DATA_DIR/fashion-mnist, Debian's copy is used when installed; otherwise the message says how. */
    ol_corpus c;
    ol_error err = {0};
    ol_status st = ol_corpus_load(&c, tmpdir, "fashion-mnist", &err);
    struct stat sb;
    if (stat("/usr/share/datasets/fashion-mnist", &sb) == 0) {
        cr_assert_eq(st, OL_OK, "%s", err.msg);
        cr_assert_eq(c.train_n, 60000);
        cr_assert_eq(c.test_n, 10000);
        cr_assert_eq(c.height, 28);
        cr_assert_eq(c.width, 28);
        long counts[10] = {0};
        for (int i = 0; i < c.train_n; i++) counts[c.train_labels[i]]++;
        for (int k = 0; k < 10; k++) cr_assert_eq(counts[k], 6000, "class %d", k); /* Fashion-MNIST is balanced */
        ol_corpus_free(&c);
    } else {
        cr_assert_eq(st, OL_ENOTFOUND);
        cr_assert(strstr(err.msg, "dataset-fashion-mnist"), "%s", err.msg);
    }
}
