/*
 * tapegrad/random.h -- a small seedable generator (xoshiro256**, seeded
 * through splitmix64). The same seed gives the same stream on every
 * machine; initialisation, shuffling and dropout-style sampling all draw from
 * an explicit tg_rng so a run is reproducible bit for bit.
 */
#ifndef TAPEGRAD_RANDOM_H
#define TAPEGRAD_RANDOM_H

#include <tapegrad/export.h>

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    uint64_t s[4];
} tg_rng;

TG_API void tg_rng_seed(tg_rng *rng, uint64_t seed);
TG_API uint64_t tg_rng_next(tg_rng *rng);            /* 64 random bits */
TG_API double tg_rng_uniform(tg_rng *rng);           /* uniform in [0, 1), 53 bits */
TG_API double tg_rng_normal(tg_rng *rng);            /* standard normal (Box-Muller) */
TG_API uint64_t tg_rng_below(tg_rng *rng, uint64_t n); /* uniform in [0, n), unbiased; 0 if n == 0 */
/* Fisher-Yates shuffle of n indices in place. */
TG_API void tg_rng_shuffle(tg_rng *rng, int64_t *items, int64_t n);

#ifdef __cplusplus
}
#endif
#endif
