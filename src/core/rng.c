/*
 * Seeded random streams: xoshiro256** (Blackman & Vigna) seeded through
 * splitmix64. Streams are derived from (seed, name) with FNV-1a over the name,
 * so that every consumer (split, init, shuffle, sampler) has its own stream and
 * one seed fixes a whole study.
 */
#include "optlab/core.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

void ol_rng_seed(ol_rng *rng, uint64_t seed) {
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) rng->s[i] = splitmix64(&x);
}

uint64_t ol_seed_derive(uint64_t seed, const char *name) {
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a offset basis */
    for (const unsigned char *p = (const unsigned char *)name; p && *p; p++) {
        h ^= *p;
        h *= 0x100000001b3ULL;
    }
    uint64_t x = seed ^ rotl(h, 17);
    return splitmix64(&x) ^ h;
}

void ol_rng_derive(ol_rng *rng, uint64_t seed, const char *name) {
    ol_rng_seed(rng, ol_seed_derive(seed, name));
}

uint64_t ol_rng_u64(ol_rng *rng) {
    uint64_t *s = rng->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double ol_rng_uniform(ol_rng *rng) { return (double)(ol_rng_u64(rng) >> 11) * 0x1.0p-53; }

uint64_t ol_rng_below(ol_rng *rng, uint64_t n) {
    if (n <= 1) return 0;
    /* rejection sampling on the top of the range: no modulo bias */
    uint64_t limit = UINT64_MAX - (UINT64_MAX % n);
    uint64_t x;
    do x = ol_rng_u64(rng);
    while (x >= limit);
    return x % n;
}

double ol_rng_normal(ol_rng *rng) {
    double u1 = 1.0 - ol_rng_uniform(rng); /* (0, 1] so log is finite */
    double u2 = ol_rng_uniform(rng);
    return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

void ol_rng_shuffle_u32(ol_rng *rng, uint32_t *a, size_t n) {
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)ol_rng_below(rng, i);
        uint32_t t = a[i - 1];
        a[i - 1] = a[j];
        a[j] = t;
    }
}
