/* random.c -- xoshiro256** (Blackman and Vigna), seeded with splitmix64 so
 * that nearby seeds give unrelated streams. The one generator of the
 * library: nn's initialisation, shuffling and splits, and the catalogue's
 * gradient-check samples. */
#include <math.h>

#include <tapegrad/random.h>

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void tg_rng_seed(tg_rng *rng, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        rng->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t tg_rng_next(tg_rng *rng)
{
    uint64_t *s = rng->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double tg_rng_uniform(tg_rng *rng) { return (double)(tg_rng_next(rng) >> 11) * 0x1.0p-53; }

double tg_rng_normal(tg_rng *rng)
{
    /* 1 - u lies in (0, 1], so the log is finite */
    double u = 1.0 - tg_rng_uniform(rng), v = tg_rng_uniform(rng);
    return sqrt(-2.0 * log(u)) * cos(6.283185307179586476925 * v);
}

uint64_t tg_rng_below(tg_rng *rng, uint64_t n)
{
    if (n == 0)
        return 0;
    /* reject the top partial block so every residue is equally likely */
    uint64_t limit = UINT64_MAX - UINT64_MAX % n, r;
    do
        r = tg_rng_next(rng);
    while (r >= limit);
    return r % n;
}

void tg_rng_shuffle(tg_rng *rng, int64_t *items, int64_t n)
{
    for (int64_t i = n - 1; i > 0; i--) {
        int64_t j = (int64_t)tg_rng_below(rng, (uint64_t)i + 1);
        int64_t t = items[i];
        items[i] = items[j];
        items[j] = t;
    }
}
