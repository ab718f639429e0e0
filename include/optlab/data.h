/*
 * optlab/data.h — the data layer: IDX files (raw or gzip), the MNIST and
 * Fashion-MNIST corpora, and the seed experiment's splits.
 *
 * Three levels, each built from the one below:
 *   ol_idx     one IDX file as read from disk (magic, dimensions, bytes),
 *              validated against its own header and its size;
 *   ol_corpus  a dataset's four files (train/test images and labels) as uint8,
 *              checked against each other — load it ONCE per process;
 *   ol_splits  train / valid-epoch / valid-trial / test as normalised float
 *              images, drawn from a corpus by one seed (the reference run's splits):
 *              make it once per study and hand it to every trial.
 *
 * Where the files are: a data directory (ol_data_dir: --data DIR, else
 * $OPTLAB_DATA, else ./data) holds one sub-directory per dataset, "mnist" and
 * "fashion-mnist". MNIST is put there by `make data` (scripts/fetch-mnist.sh);
 * Fashion-MNIST is also looked for in /usr/share/datasets/fashion-mnist
 * (Debian's dataset-fashion-mnist). Each file may be raw or gzip-compressed
 * ("NAME" or "NAME.gz"); gzip is recognised by content, not by name.
 */
#ifndef OPTLAB_DATA_H
#define OPTLAB_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "optlab/core.h"

#ifdef __cplusplus
extern "C" {
#endif
OL_BEGIN_API

/* ---- IDX files ---- */

/** Most dimensions an IDX file may declare here (MNIST uses 1 and 3). */
#define OL_IDX_MAX_DIMS 4

/** One IDX file of unsigned bytes (type code 0x08), read whole.
 *  Thread safety: a plain value; threads may read one at once, not while it is freed. */
typedef struct {
    int ndims;                      /**< 1 .. OL_IDX_MAX_DIMS */
    uint32_t dims[OL_IDX_MAX_DIMS]; /**< dims[0] = number of items */
    size_t size;                    /**< bytes of data = product of dims */
    uint8_t *data;                  /**< malloc'd, `size` bytes */
} ol_idx;

/**
 * Read an IDX file, raw or gzip-compressed (detected by its first bytes).
 * Checks: the magic (two zero bytes, type 0x08 = unsigned byte, 1..4
 * dimensions), non-zero dimensions, and that the data is exactly the product
 * of the dimensions — a shorter file is "truncated", a longer one has
 * "trailing bytes". A gzip stream that does not decompress is reported as
 * corrupt. Every message names the file and says how to get a good copy.
 */
ol_status ol_idx_read(const char *path, ol_idx *out, ol_error *err);

/**
 * Write `data` as an IDX file of unsigned bytes with the given dimensions;
 * gzip-compressed when `gzip` is nonzero. For tests and tools.
 */
ol_status ol_idx_write(const char *path, int ndims, const uint32_t *dims, const uint8_t *data,
                       int gzip, ol_error *err);

/** "a directory", "a FIFO (named pipe)", "a socket", "a device"...: what a stat mode is, for messages. */
const char *ol_idx_file_kind(unsigned mode);

/** Free an IDX file's data and zero the struct (NULL-safe). */
void ol_idx_free(ol_idx *idx);

/* ---- corpora ---- */

/** The datasets optlab knows by name: "mnist" and "fashion-mnist".
 *  Thread safety: read-only once loaded (ol_splits_make takes it const): threads may
 *  share one corpus; free it when none uses it. */
typedef struct {
    char name[32];          /**< "mnist" or "fashion-mnist" */
    char dir[1024];         /**< the directory its files were read from */
    int height, width;      /**< image size (28×28); one channel */
    int num_classes;        /**< 10 */
    int train_n, test_n;    /**< 60,000 and 10,000 for both */
    uint8_t *train_images;  /**< train_n × height × width */
    uint8_t *train_labels;  /**< train_n, each < num_classes */
    uint8_t *test_images;   /**< test_n × height × width */
    uint8_t *test_labels;   /**< test_n */
} ol_corpus;

/**
 * The data directory to use: `override` if non-NULL and non-empty (the CLI's
 * --data DIR), else $OPTLAB_DATA if set and non-empty, else "data".
 * Returns a pointer to `override`, to the environment, or to a literal.
 */
const char *ol_data_dir(const char *override);

/**
 * Load dataset `name` ("mnist" or "fashion-mnist") from DATA_DIR/NAME, and for
 * fashion-mnist from /usr/share/datasets/fashion-mnist if that sub-directory
 * is missing. The four files are train-images-idx3-ubyte,
 * train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte,
 * each optionally with ".gz". Checks that images are 3-D, labels 1-D, counts
 * agree, train and test images have one size, and labels are 0..9.
 * A missing directory or file gets a message saying how to fetch it.
 */
ol_status ol_corpus_load(ol_corpus *out, const char *data_dir, const char *name, ol_error *err);

/** Load a corpus from an explicit directory holding the four files. */
ol_status ol_corpus_load_dir(ol_corpus *out, const char *dir, const char *name, ol_error *err);

/** Free a corpus (NULL-safe, idempotent). */
void ol_corpus_free(ol_corpus *c);

/* ---- datasets and splits ---- */

/** Images ready for a model: normalised floats and their labels.
 *  Thread safety: read-only once made (training and evaluation take it const): any
 *  number of threads may read one dataset at once; free it when none does. */
typedef struct {
    int n;                   /**< number of images */
    int channels, height, width;
    size_t image_size;       /**< floats per image = channels·height·width */
    int num_classes;
    float *x;                /**< n × image_size, x = (v/255 - 0.5)/0.5, in [-1, 1] */
    uint8_t *labels;         /**< n */
    uint32_t *source_index;  /**< n: each image's index in its source file */
} ol_dataset;

/** How many images each split takes (the experiment file may set them). */
typedef struct {
    int train;        /**< drawn from the training file; the optimizer sees only these */
    int valid_epoch;  /**< drawn from the training file; accuracy after every epoch */
    int valid_trial;  /**< drawn from the training file; the trial's objective value */
    int test;         /**< from the test file: all of it, or a random subset if smaller */
} ol_split_sizes;

/** The seed experiment's sizes: 1,000 / 2,000 / 5,000 of the 60,000, and the 10,000 test images. */
#define OL_SPLIT_SIZES_SEED ((ol_split_sizes){1000, 2000, 5000, 10000})

/** The four datasets of one study.
 *  Thread safety: as ol_dataset, read-only once made and shareable between threads. */
typedef struct {
    ol_dataset train, valid_epoch, valid_trial, test;
} ol_splits;

/**
 * Make the reference run's splits from `corpus` with one seed: draw
 * train+valid_epoch+valid_trial images from the training file without
 * replacement (stream ol_rng_derive(seed, "split")); the first `train` of the
 * draw are train, the next `valid_epoch` valid-epoch, the next `valid_trial`
 * valid-trial. Test is the whole test file in its order when `sizes->test`
 * equals its size, else a draw of that many (stream "test"). Every size must
 * be at least 1 and fit in its file. Pixels are normalised as above.
 */
ol_status ol_splits_make(ol_splits *out, const ol_corpus *corpus, const ol_split_sizes *sizes,
                         uint64_t seed, ol_error *err);

/** Free the splits (NULL-safe, idempotent). */
void ol_splits_free(ol_splits *s);

/**
 * Make a dataset of `n` images from a corpus file's images/labels at the given
 * indices (normalised). Used by ol_splits_make; exposed for tools and tests.
 */
ol_status ol_dataset_from_indices(ol_dataset *out, const uint8_t *images, const uint8_t *labels,
                                  int height, int width, int num_classes,
                                  const uint32_t *indices, int n, ol_error *err);

/** Free a dataset (NULL-safe, idempotent). */
void ol_dataset_free(ol_dataset *d);

/** The normalised value of a pixel byte: ((float)v/255 - 0.5)/0.5, as PyTorch computes it in float. */
float ol_normalise_pixel(uint8_t v);

OL_END_API
#ifdef __cplusplus
}
#endif
#endif
