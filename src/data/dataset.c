/*
 * dataset.c — from IDX files to what a training run consumes: a corpus (a
 * dataset's four files, checked against each other, kept as bytes) and the
 * seed experiment's splits (normalised floats) drawn from it by one seed, as
 * ../shared/PROTOCOL.md describes. The trainer (src/train/) reads ol_dataset
 * only; it never sees files.
 */
#include "optlab/data.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Debian's dataset-fashion-mnist installs its gzip IDX files here. */
#define FASHION_SYSTEM_DIR "/usr/share/datasets/fashion-mnist"

static const char *const FILE_STEMS[4] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                          "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};

const char *ol_data_dir(const char *override) {
    if (override && *override) return override;
    const char *env = getenv("OPTLAB_DATA");
    if (env && *env) return env;
    return "data";
}

static int is_dir(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* How to get a dataset's files into `dir` (the directory it was looked for in), for messages. */
static const char *fetch_hint(const char *name, const char *dir, char *buf, size_t n) {
    if (!strcmp(name, "mnist"))
        snprintf(buf, n, "run `make data` (fetches into ./data/mnist) or scripts/fetch-mnist.sh %s", dir);
    else
        snprintf(buf, n,
                 "install Debian's dataset-fashion-mnist (apt-get install dataset-fashion-mnist, or scripts/deps.sh), "
                 "or put the four IDX files in %s",
                 dir);
    return buf;
}

static int known_dataset(const char *name) {
    return name && (!strcmp(name, "mnist") || !strcmp(name, "fashion-mnist"));
}

void ol_corpus_free(ol_corpus *c) {
    if (!c) return;
    free(c->train_images);
    free(c->train_labels);
    free(c->test_images);
    free(c->test_labels);
    memset(c, 0, sizeof *c);
}

/* Check an images file against its labels file and take their data. */
static ol_status check_pair(const char *dir, ol_idx *images, ol_idx *labels, const char *images_stem,
                            const char *labels_stem, ol_error *err) {
    if (images->ndims != 3)
        return ol_fail(err, OL_EFORMAT, "%s/%s: images file has %d dimensions, expected 3 (count×rows×cols)", dir,
                       images_stem, images->ndims);
    if (labels->ndims != 1)
        return ol_fail(err, OL_EFORMAT, "%s/%s: labels file has %d dimensions, expected 1", dir, labels_stem,
                       labels->ndims);
    if (images->dims[0] != labels->dims[0])
        return ol_fail(err, OL_EFORMAT, "%s: %s holds %u images but %s holds %u labels; the files do not belong together",
                       dir, images_stem, images->dims[0], labels_stem, labels->dims[0]);
    if (images->dims[0] > (uint32_t)INT32_MAX)
        return ol_fail(err, OL_EFORMAT, "%s/%s: %u images is too many", dir, images_stem, images->dims[0]);
    for (size_t i = 0; i < labels->size; i++)
        if (labels->data[i] > 9)
            return ol_fail(err, OL_EFORMAT, "%s/%s: label %u of item %zu is not a digit class 0..9", dir,
                           labels_stem, labels->data[i], i);
    return OL_OK;
}

ol_status ol_corpus_load_dir(ol_corpus *out, const char *dir, const char *name, ol_error *err) {
    memset(out, 0, sizeof *out);
    if (!known_dataset(name))
        return ol_fail(err, OL_EINVAL, "unknown dataset '%s' (known: mnist, fashion-mnist)", name ? name : "");
    char hint[1536];
    if (!is_dir(dir))
        return ol_fail(err, OL_ENOTFOUND, "%s dataset directory %s does not exist; %s", name, dir,
                       fetch_hint(name, dir, hint, sizeof hint));

    ol_idx idx[4];
    memset(idx, 0, sizeof idx);
    ol_status rc = OL_OK;
    for (int i = 0; i < 4 && rc == OL_OK; i++) {
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, FILE_STEMS[i]);
        struct stat sb;
        if (stat(path, &sb) != 0 && errno == ENOENT) {
            snprintf(path, sizeof path, "%s/%s.gz", dir, FILE_STEMS[i]);
            if (stat(path, &sb) != 0 && errno == ENOENT) {
                rc = ol_fail(err, OL_ENOTFOUND, "%s: missing %s (or %s.gz) in %s; %s", name, FILE_STEMS[i],
                             FILE_STEMS[i], dir, fetch_hint(name, dir, hint, sizeof hint));
                break;
            }
        }
        rc = ol_idx_read(path, &idx[i], err);
    }
    if (rc == OL_OK) rc = check_pair(dir, &idx[0], &idx[1], FILE_STEMS[0], FILE_STEMS[1], err);
    if (rc == OL_OK) rc = check_pair(dir, &idx[2], &idx[3], FILE_STEMS[2], FILE_STEMS[3], err);
    if (rc == OL_OK && (idx[0].dims[1] != idx[2].dims[1] || idx[0].dims[2] != idx[2].dims[2]))
        rc = ol_fail(err, OL_EFORMAT, "%s: train images are %ux%u but test images %ux%u; the files do not belong together",
                     dir, idx[0].dims[1], idx[0].dims[2], idx[2].dims[1], idx[2].dims[2]);
    if (rc == OL_OK && (idx[0].dims[1] > 4096 || idx[0].dims[2] > 4096))
        rc = ol_fail(err, OL_EFORMAT, "%s: images of %ux%u pixels are too large", dir, idx[0].dims[1], idx[0].dims[2]);
    if (rc != OL_OK) {
        for (int i = 0; i < 4; i++) ol_idx_free(&idx[i]);
        return rc;
    }
    snprintf(out->name, sizeof out->name, "%s", name);
    snprintf(out->dir, sizeof out->dir, "%s", dir);
    out->height = (int)idx[0].dims[1];
    out->width = (int)idx[0].dims[2];
    out->num_classes = 10;
    out->train_n = (int)idx[0].dims[0];
    out->test_n = (int)idx[2].dims[0];
    out->train_images = idx[0].data;
    out->train_labels = idx[1].data;
    out->test_images = idx[2].data;
    out->test_labels = idx[3].data;
    return OL_OK;
}

ol_status ol_corpus_load(ol_corpus *out, const char *data_dir, const char *name, ol_error *err) {
    memset(out, 0, sizeof *out);
    if (!known_dataset(name))
        return ol_fail(err, OL_EINVAL, "unknown dataset '%s' (known: mnist, fashion-mnist)", name ? name : "");
    if (!data_dir || !*data_dir) data_dir = ol_data_dir(NULL);
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/%s", data_dir, name);
    if (!is_dir(dir)) {
        if (!strcmp(name, "fashion-mnist") && is_dir(FASHION_SYSTEM_DIR))
            return ol_corpus_load_dir(out, FASHION_SYSTEM_DIR, name, err);
        char hint[1536];
        fetch_hint(name, dir, hint, sizeof hint);
        if (!is_dir(data_dir))
            return ol_fail(err, OL_ENOTFOUND,
                           "data directory %s does not exist, so %s is not in %s (the data directory is --data DIR, "
                           "else $OPTLAB_DATA, else ./data); %s",
                           data_dir, name, dir, hint);
        return ol_fail(err, OL_ENOTFOUND, "%s dataset directory %s does not exist%s; %s", name, dir,
                       strcmp(name, "fashion-mnist") ? "" : " (nor " FASHION_SYSTEM_DIR ")", hint);
    }
    return ol_corpus_load_dir(out, dir, name, err);
}

/* ---- normalisation and splits ---- */

float ol_normalise_pixel(uint8_t v) {
    /* Exactly torchvision's ToTensor (v/255 in float) then Normalize((0.5,), (0.5,)) in float. */
    return ((float)v / 255.0f - 0.5f) / 0.5f;
}

void ol_dataset_free(ol_dataset *d) {
    if (!d) return;
    free(d->x);
    free(d->labels);
    free(d->source_index);
    memset(d, 0, sizeof *d);
}

ol_status ol_dataset_from_indices(ol_dataset *out, const uint8_t *images, const uint8_t *labels, int height,
                                  int width, int num_classes, const uint32_t *indices, int n, ol_error *err) {
    memset(out, 0, sizeof *out);
    if (n < 1 || height < 1 || width < 1)
        return ol_fail(err, OL_EINVAL, "dataset: %d images of %dx%d is not a dataset", n, height, width);
    size_t image_size = (size_t)height * (size_t)width;
    out->x = malloc((size_t)n * image_size * sizeof(float));
    out->labels = malloc((size_t)n);
    out->source_index = malloc((size_t)n * sizeof(uint32_t));
    if (!out->x || !out->labels || !out->source_index) {
        ol_dataset_free(out);
        return ol_fail(err, OL_ENOMEM, "dataset: cannot allocate %d images of %dx%d", n, height, width);
    }
    float table[256];
    for (int v = 0; v < 256; v++) table[v] = ol_normalise_pixel((uint8_t)v);
    for (int i = 0; i < n; i++) {
        const uint8_t *src = images + (size_t)indices[i] * image_size;
        float *dst = out->x + (size_t)i * image_size;
        for (size_t k = 0; k < image_size; k++) dst[k] = table[src[k]];
        out->labels[i] = labels[indices[i]];
        out->source_index[i] = indices[i];
    }
    out->n = n;
    out->channels = 1;
    out->height = height;
    out->width = width;
    out->image_size = image_size;
    out->num_classes = num_classes;
    return OL_OK;
}

void ol_splits_free(ol_splits *s) {
    if (!s) return;
    ol_dataset_free(&s->train);
    ol_dataset_free(&s->valid_epoch);
    ol_dataset_free(&s->valid_trial);
    ol_dataset_free(&s->test);
}

/* The first k entries of a uniformly random permutation of 0..n-1 (partial Fisher–Yates). */
static uint32_t *draw_without_replacement(ol_rng *rng, uint32_t n, uint32_t k) {
    uint32_t *all = malloc((size_t)n * sizeof *all);
    if (!all) return NULL;
    for (uint32_t i = 0; i < n; i++) all[i] = i;
    for (uint32_t i = 0; i < k; i++) {
        uint32_t j = i + (uint32_t)ol_rng_below(rng, n - i);
        uint32_t t = all[i];
        all[i] = all[j];
        all[j] = t;
    }
    return all;
}

ol_status ol_splits_make(ol_splits *out, const ol_corpus *c, const ol_split_sizes *sizes, uint64_t seed,
                         ol_error *err) {
    memset(out, 0, sizeof *out);
    const struct {
        const char *name;
        int n;
    } named[4] = {{"train", sizes->train},
                  {"valid_epoch", sizes->valid_epoch},
                  {"valid_trial", sizes->valid_trial},
                  {"test", sizes->test}};
    for (int i = 0; i < 4; i++)
        if (named[i].n < 1)
            return ol_fail(err, OL_EINVAL, "split size %s = %d: every split needs at least 1 image", named[i].name,
                           named[i].n);
    long drawn = (long)sizes->train + sizes->valid_epoch + sizes->valid_trial;
    if (drawn > c->train_n)
        return ol_fail(err, OL_EINVAL,
                       "split sizes train %d + valid_epoch %d + valid_trial %d = %ld exceed the %d images of %s's "
                       "training file",
                       sizes->train, sizes->valid_epoch, sizes->valid_trial, drawn, c->train_n, c->name);
    if (sizes->test > c->test_n)
        return ol_fail(err, OL_EINVAL, "split size test = %d exceeds the %d images of %s's test file", sizes->test,
                       c->test_n, c->name);

    ol_rng rng;
    ol_rng_derive(&rng, seed, "split");
    uint32_t *order = draw_without_replacement(&rng, (uint32_t)c->train_n, (uint32_t)drawn);
    if (!order) return ol_fail(err, OL_ENOMEM, "splits: cannot allocate %d indices", c->train_n);
    uint32_t *test_order;
    if (sizes->test == c->test_n) {
        test_order = malloc((size_t)c->test_n * sizeof *test_order);
        if (test_order)
            for (int i = 0; i < c->test_n; i++) test_order[i] = (uint32_t)i;
    } else {
        ol_rng test_rng;
        ol_rng_derive(&test_rng, seed, "test");
        test_order = draw_without_replacement(&test_rng, (uint32_t)c->test_n, (uint32_t)sizes->test);
    }
    if (!test_order) {
        free(order);
        return ol_fail(err, OL_ENOMEM, "splits: cannot allocate %d indices", c->test_n);
    }
    ol_status rc = ol_dataset_from_indices(&out->train, c->train_images, c->train_labels, c->height, c->width,
                                           c->num_classes, order, sizes->train, err);
    if (rc == OL_OK)
        rc = ol_dataset_from_indices(&out->valid_epoch, c->train_images, c->train_labels, c->height, c->width,
                                     c->num_classes, order + sizes->train, sizes->valid_epoch, err);
    if (rc == OL_OK)
        rc = ol_dataset_from_indices(&out->valid_trial, c->train_images, c->train_labels, c->height, c->width,
                                     c->num_classes, order + sizes->train + sizes->valid_epoch, sizes->valid_trial,
                                     err);
    if (rc == OL_OK)
        rc = ol_dataset_from_indices(&out->test, c->test_images, c->test_labels, c->height, c->width,
                                     c->num_classes, test_order, sizes->test, err);
    free(order);
    free(test_order);
    if (rc != OL_OK) ol_splits_free(out);
    return rc;
}
