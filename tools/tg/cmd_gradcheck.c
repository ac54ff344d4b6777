/*
 * cmd_gradcheck.c -- `tg gradcheck`: every op of the catalogue through
 * tg_gradcheck in float32 and float64, on shapes drawn from a seeded
 * generator, as a table. Inputs are drawn where the op is smooth: positive
 * for log, sqrt and a power's base, away from 0 for the ops with a kink.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <tapegrad/gradcheck.h>

#include "tg.h"

typedef enum { ANY, POSITIVE, AWAY_FROM_ZERO } domain;
typedef enum { SAME, BROADCAST, MATMUL, MATMUL_T } shape_rule;

typedef struct {
    const char *name;
    int n_inputs;
    shape_rule shapes;
    domain values;
    tg_fn f;
} op_case;

#define UNARY(fn)                                                                    \
    static tg_tensor *call_##fn(tg_tensor *const *in, void *ctx)                   \
    {                                                                               \
        (void)ctx;                                                                  \
        return tg_##fn(in[0]);                                                       \
    }
#define BINARY(fn)                                                                   \
    static tg_tensor *call_##fn(tg_tensor *const *in, void *ctx)                   \
    {                                                                               \
        (void)ctx;                                                                  \
        return tg_##fn(in[0], in[1]);                                                \
    }
#define WITH(fn, expr)                                                               \
    static tg_tensor *call_##fn(tg_tensor *const *in, void *ctx)                   \
    {                                                                               \
        (void)ctx;                                                                  \
        return expr;                                                                \
    }

BINARY(add) BINARY(sub) BINARY(mul) BINARY(div) BINARY(pow) BINARY(maximum) BINARY(minimum)
BINARY(matmul)
UNARY(neg) UNARY(exp) UNARY(log) UNARY(sqrt) UNARY(abs) UNARY(sigmoid) UNARY(tanh) UNARY(relu)
UNARY(step) UNARY(linear) UNARY(sum) UNARY(mean) UNARY(max) UNARY(min) UNARY(transpose)
WITH(add_scalar, tg_add_scalar(in[0], 0.75))
WITH(mul_scalar, tg_mul_scalar(in[0], -1.5))
WITH(pow_scalar, tg_pow_scalar(in[0], 2.5))
WITH(leaky_relu, tg_leaky_relu(in[0], 0.01))
WITH(softmax, tg_softmax(in[0], -1))
WITH(log_softmax, tg_log_softmax(in[0], -1))
WITH(sum_axis, tg_sum_axis(in[0], 0, false))
WITH(mean_axis, tg_mean_axis(in[0], -1, true))
WITH(max_axis, tg_max_axis(in[0], 0, false))
WITH(min_axis, tg_min_axis(in[0], -1, true))
WITH(matmul_t, tg_matmul_t(in[0], in[1], false, true))
WITH(reshape, tg_reshape(in[0], 1, (int64_t[]){-1}))
WITH(broadcast_to, tg_broadcast_to(in[0], tg_ndim(in[0]) + 1,
                                   (int64_t[]){2, tg_shape(in[0])[0], tg_shape(in[0])[1]}))
WITH(sum_to, tg_sum_to(in[0], 1, (int64_t[]){tg_shape(in[0])[1]}))
WITH(cast, tg_cast(in[0], TG_F64)) /* f64 to f32 would round below the step */
WITH(where, tg_where(tg_step(tg_sub(in[0], in[1])), in[0], in[1]))

#define CASE(fn, n, shapes, values) {"tg_" #fn, n, shapes, values, call_##fn}

static const op_case cases[] = {
    CASE(add, 2, BROADCAST, ANY),          CASE(sub, 2, BROADCAST, ANY),
    CASE(mul, 2, BROADCAST, ANY),          CASE(div, 2, BROADCAST, AWAY_FROM_ZERO),
    CASE(pow, 2, BROADCAST, POSITIVE),     CASE(maximum, 2, BROADCAST, ANY),
    CASE(minimum, 2, BROADCAST, ANY),      CASE(where, 2, SAME, ANY),
    CASE(add_scalar, 1, SAME, ANY),        CASE(mul_scalar, 1, SAME, ANY),
    CASE(pow_scalar, 1, SAME, POSITIVE),   CASE(neg, 1, SAME, ANY),
    CASE(exp, 1, SAME, ANY),               CASE(log, 1, SAME, POSITIVE),
    CASE(sqrt, 1, SAME, POSITIVE),         CASE(abs, 1, SAME, AWAY_FROM_ZERO),
    CASE(sigmoid, 1, SAME, ANY),           CASE(tanh, 1, SAME, ANY),
    CASE(relu, 1, SAME, AWAY_FROM_ZERO),   CASE(leaky_relu, 1, SAME, AWAY_FROM_ZERO),
    CASE(step, 1, SAME, AWAY_FROM_ZERO),   CASE(linear, 1, SAME, ANY),
    CASE(softmax, 1, SAME, ANY),           CASE(log_softmax, 1, SAME, ANY),
    CASE(sum, 1, SAME, ANY),               CASE(mean, 1, SAME, ANY),
    CASE(max, 1, SAME, ANY),               CASE(min, 1, SAME, ANY),
    CASE(sum_axis, 1, SAME, ANY),          CASE(mean_axis, 1, SAME, ANY),
    CASE(max_axis, 1, SAME, ANY),          CASE(min_axis, 1, SAME, ANY),
    CASE(matmul, 2, MATMUL, ANY),          CASE(matmul_t, 2, MATMUL_T, ANY),
    CASE(transpose, 1, SAME, ANY),         CASE(reshape, 1, SAME, ANY),
    CASE(broadcast_to, 1, SAME, ANY),      CASE(sum_to, 1, SAME, ANY),
    CASE(cast, 1, SAME, ANY),
};

/* splitmix64: small, seedable, the same table for the same seed everywhere */
static uint64_t next_random(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static double uniform(uint64_t *state) { return (double)(next_random(state) >> 11) / 9007199254740992.0; }
static int64_t dim(uint64_t *state) { return 1 + (int64_t)(next_random(state) % 4); }

typedef struct {
    int ndim;
    int64_t d[TG_MAX_DIMS];
} shape;

/* Every op in the table takes matrices; the broadcast partner drops the
 * leading axis or keeps a size-1 one. */
static void draw_shapes(const op_case *c, uint64_t *rng, shape *s)
{
    int64_t m = dim(rng), n = dim(rng) + 1, k = dim(rng);
    s[0] = (shape){2, {m, n}};
    s[1] = s[0];
    if (c->shapes == BROADCAST)
        s[1] = next_random(rng) % 2 ? (shape){1, {n}} : (shape){2, {1, n}};
    else if (c->shapes == MATMUL)
        s[1] = (shape){2, {n, k}};
    else if (c->shapes == MATMUL_T)
        s[1] = (shape){2, {k, n}};
}

static double draw_value(domain d, uint64_t *rng)
{
    double u = uniform(rng);
    switch (d) {
    case POSITIVE: return 0.5 + 1.5 * u;
    case AWAY_FROM_ZERO: return (0.2 + 1.8 * u) * (next_random(rng) % 2 ? 1 : -1);
    default: return 4 * u - 2;
    }
}

static char *shapes_text(const op_case *c, const shape *s, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    for (int k = 0; k < c->n_inputs && len < size; k++) {
        len += (size_t)snprintf(buf + len, size - len, "%s", k ? ", " : "");
        for (int i = 0; i < s[k].ndim && len < size; i++)
            len += (size_t)snprintf(buf + len, size - len, i ? "x%lld" : "%lld",
                                    (long long)s[k].d[i]);
    }
    return buf;
}

/* One row of the table; returns whether the check passed. */
static bool check_case(const op_case *c, tg_dtype dtype, uint64_t *rng)
{
    shape s[2];
    draw_shapes(c, rng, s);
    tg_tensor *in[2];
    for (int k = 0; k < c->n_inputs; k++) {
        in[k] = tg_tensor_new(dtype, s[k].ndim, s[k].d, NULL, true);
        for (int64_t i = 0; in[k] && i < tg_numel(in[k]); i++)
            tg_set(in[k], i, draw_value(c->values, rng));
    }
    tg_gradcheck_result r = {0};
    int rc = tg_gradcheck(c->f, NULL, c->n_inputs, in, NULL, &r);
    char shapes[64];
    printf("%-16s %-8s %-14s %12.3g  %s\n", c->name, tg_dtype_name(dtype),
           shapes_text(c, s, shapes, sizeof shapes), r.max_abs_err, rc == 0 ? "pass" : "FAIL");
    if (rc != 0)
        printf("  %s\n", tg_last_error());
    tg_tape_reset();
    return rc == 0;
}

int cmd_gradcheck(int argc, char **argv)
{
    uint64_t seed = 1;
    for (int i = 0; i < argc; i++) {
        char *end = NULL;
        if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
            seed = strtoull(argv[++i], &end, 10);
        if (!end || *end || end == argv[i]) {
            fprintf(stderr, "tg: error: gradcheck takes only --seed N (see tg help gradcheck)\n");
            return TG_EXIT_USAGE;
        }
    }
    printf("%-16s %-8s %-14s %12s  %s\n", "op", "dtype", "shapes", "max abs err", "result");
    int failed = 0, total = 0;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        for (int dt = TG_F64; dt >= TG_F32; dt--, total++)
            failed += !check_case(&cases[i], (tg_dtype)dt, &seed);
    printf("\n%d of %d checks passed\n", total - failed, total);
    return failed ? TG_EXIT_FAILURE : 0;
}
