/*
 * optlab/core.h — the bottom layer every other layer uses: status codes with
 * messages that name what is wrong, a seeded random generator whose streams are
 * derived by name from one study seed, and a monotonic clock. Library code
 * never prints (the progress display lives in the CLI, src/cli/progress.c).
 */
#ifndef OPTLAB_CORE_H
#define OPTLAB_CORE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "optlab/export.h"  /* OL_BEGIN_API / OL_END_API: what liboptlab exports */
#include "optlab/version.h" /* OL_VERSION, ol_version() */

#ifdef __cplusplus
extern "C" {
#endif
OL_BEGIN_API

/** Status returned by every fallible library function. OL_OK is zero. */
typedef enum {
    OL_OK = 0,
    OL_EINVAL,     /**< an argument or value is out of range / malformed */
    OL_ENOMEM,     /**< allocation failed */
    OL_EIO,        /**< file or OS error */
    OL_EFORMAT,    /**< a file's content is corrupt or foreign */
    OL_ENOTFOUND,  /**< a named thing does not exist */
    OL_ESTORAGE,   /**< the storage backend failed */
    OL_EDIVERGED,  /**< training produced NaN/Inf */
    OL_ESTOPPED,   /**< a callback asked to stop (pruned, interrupted) */
    OL_EBUSY,      /**< resource busy; the caller may retry */
    OL_ESTATE      /**< call not valid in the object's current state */
} ol_status;

/** Message buffer filled by a failing call: names the file, field or value at fault.
 *  Thread safety: a call writes only the ol_error it is given; use one per thread. */
typedef struct {
    ol_status status;
    char msg[1024];
} ol_error;

/** Short stable name of a status ("invalid value", "I/O error", ...). */
const char *ol_status_name(ol_status st);

/** Record `st` and a printf-style message in `err` (which may be NULL); returns `st`. */
ol_status ol_fail(ol_error *err, ol_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** Same as ol_fail with a va_list. */
ol_status ol_vfail(ol_error *err, ol_status st, const char *fmt, va_list ap);

/** Prefix the message already in `err` with "prefix: " (for adding context going up). */
ol_status ol_error_prefix(ol_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/** Reset an error to OL_OK / empty message. */
void ol_error_clear(ol_error *err);

/* ---- random numbers: xoshiro256** seeded through splitmix64 ---- */

/** A random stream. Plain value type: copy it to fork a stream.
 *  Thread safety: not thread-safe (each draw updates it); give each thread its own stream. */
typedef struct {
    uint64_t s[4];
} ol_rng;

/** Seed a stream from a 64-bit seed. */
void ol_rng_seed(ol_rng *rng, uint64_t seed);

/**
 * Seed a stream from (seed, name): every random stream of a study (split,
 * init, shuffle, sampler, ...) is derived from the study seed by its name, so
 * adding a stream never shifts another.
 */
void ol_rng_derive(ol_rng *rng, uint64_t seed, const char *name);

/** Hash of (seed, name) as a 64-bit seed — to derive seeds for sub-runs. */
uint64_t ol_seed_derive(uint64_t seed, const char *name);

/** Next 64 random bits. */
uint64_t ol_rng_u64(ol_rng *rng);

/** Uniform double in [0, 1) with 53 random bits. */
double ol_rng_uniform(ol_rng *rng);

/** Uniform integer in [0, n) without modulo bias; n > 0. */
uint64_t ol_rng_below(ol_rng *rng, uint64_t n);

/** Standard normal deviate (Box–Muller, no cached state). */
double ol_rng_normal(ol_rng *rng);

/** Fisher–Yates shuffle of n uint32 values. */
void ol_rng_shuffle_u32(ol_rng *rng, uint32_t *a, size_t n);

/* ---- time ---- */

/** Monotonic wall clock in seconds. */
double ol_now(void);

/* ---- checksums ---- */

/** CRC-32 (IEEE, as zlib's crc32) of a buffer, continuing from `crc` (start with 0). */
uint32_t ol_crc32(uint32_t crc, const void *data, size_t n);

OL_END_API
#ifdef __cplusplus
}
#endif
#endif
