#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

const tu_shape tu_broadcast_pairs[TU_BROADCAST_PAIRS][2] = {
    {TU_SCALAR, TU_SCALAR},              {TU_SHAPE(2, 3), TU_SHAPE(2, 3)},
    {TU_SHAPE(2, 3), TU_SHAPE(3)},       {TU_SHAPE(3), TU_SHAPE(2, 3)},
    {TU_SHAPE(2, 3), TU_SCALAR},         {TU_SCALAR, TU_SHAPE(2, 3)},
    {TU_SHAPE(4, 1, 3), TU_SHAPE(2, 1)}, {TU_SHAPE(1, 3), TU_SHAPE(2, 1)},
};

#define TU_SEED 0x9e3779b97f4a7c15ull
static uint64_t rng_state = TU_SEED;

static double next_uniform(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (double)(rng_state >> 11) / 9007199254740992.0;
}

tg_tensor *tu_tensor(tg_dtype dtype, tu_shape shape, const double *values, bool requires_grad)
{
    tg_tensor *t = tg_tensor_new(dtype, shape.ndim, shape.d, values, requires_grad);
    tu_assert_ok(t);
    return t;
}

tg_tensor *tu_rand(tg_dtype dtype, tu_shape shape, double lo, double hi, bool requires_grad)
{
    tg_tensor *t = tu_tensor(dtype, shape, NULL, requires_grad);
    for (int64_t i = 0; i < tg_numel(t); i++)
        tg_set(t, i, lo + (hi - lo) * next_uniform());
    return t;
}

void tu_gradcheck(tg_fn f, void *ctx, tg_dtype dtype, int n, const tu_shape *shapes, double lo,
                  double hi)
{
    tg_tensor *in[8];
    ck_assert_int_le(n, 8);
    for (int k = 0; k < n; k++)
        in[k] = tu_rand(dtype, shapes[k], lo, hi, true);
    tg_gradcheck_result r;
    int rc = tg_gradcheck(f, ctx, n, in, NULL, &r);
    char dims[64];
    ck_assert_msg(rc == 0, "gradcheck (%s, first input %s): %s", tg_dtype_name(dtype),
                  tg_shape_str(in[0], dims, sizeof dims), tg_last_error());
    ck_assert_int_gt(r.checked, 0);
}

void tu_gradcheck_both(tg_fn f, void *ctx, int n, const tu_shape *shapes, double lo, double hi)
{
    tu_gradcheck(f, ctx, TG_F64, n, shapes, lo, hi);
    tu_gradcheck(f, ctx, TG_F32, n, shapes, lo, hi);
}

void tu_gradgradcheck_both(tg_fn f, void *ctx, int n, const tu_shape *shapes, double lo,
                           double hi)
{
    static const tg_gradcheck_opts f32_opts = {1e-2, 2e-2, 2e-2};
    ck_assert_int_le(n, 8);
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *in[8];
        for (int k = 0; k < n; k++)
            in[k] = tu_rand((tg_dtype)dt, shapes[k], lo, hi, true);
        tg_gradcheck_result r;
        int rc = tg_gradgradcheck(f, ctx, n, in, dt == TG_F32 ? &f32_opts : NULL, &r);
        ck_assert_msg(rc == 0, "gradgradcheck (%s): %s", tg_dtype_name((tg_dtype)dt),
                      tg_last_error());
        ck_assert_int_gt(r.checked, 0);
        tg_tape_reset();
    }
}

void tu_check_fused_backward(tg_tensor *(*op)(tg_tensor *), tu_shape shape, double lo, double hi)
{
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *x = tu_rand((tg_dtype)dt, shape, lo, hi, true);
        /* a seed that requires grad makes every recorded rule's result
         * require grad, which tells the composed path from the fused one */
        tg_tensor *seed = tu_rand((tg_dtype)dt, shape, -1, 1, true);
        tg_tensor *y = op(x), *composed;
        ck_assert_int_eq(tg_backward_ex(y, seed, TG_RETAIN_GRAPH), 0);
        ck_assert_int_eq(tg_grad_ex(&y, &seed, 1, &x, 1, &composed, TG_CREATE_GRAPH), 0);
        ck_assert(tg_requires_grad(composed)); /* it really was the recorded rule */
        for (int64_t i = 0; i < tg_numel(x); i++)
            tu_assert_close(tg_grad_get(x, i), tg_get(composed, i), dt == TG_F32 ? 1e-6 : 1e-15);
    }
}

/* The persistent copy of a tape tensor t, which requires grad when param. */
static tg_tensor *persistent_copy(const tg_tensor *t, bool param)
{
    int64_t n = tg_numel(t);
    double *values = malloc((size_t)(n > 0 ? n : 1) * sizeof *values);
    ck_assert_ptr_nonnull(values);
    for (int64_t i = 0; i < n; i++)
        values[i] = tg_get(t, i);
    tg_tensor *p = tg_persistent(tg_dtype_of(t), tg_ndim(t), tg_shape(t), values, param);
    free(values);
    ck_assert_ptr_nonnull(p);
    return p;
}

void tu_check_fused_backward_into_grad(tg_tensor *(*op)(tg_tensor *), tu_shape shape, double lo,
                                       double hi)
{
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *x = persistent_copy(tu_rand((tg_dtype)dt, shape, lo, hi, false), true);
        tg_tensor *seed = persistent_copy(tu_rand((tg_dtype)dt, shape, -1, 1, false), false);
        tg_tensor *y = op(x), *once;
        ck_assert_int_eq(tg_grad_ex(&y, &seed, 1, &x, 1, &once, 0), 0);
        double *want = malloc((size_t)tg_numel(x) * sizeof *want);
        ck_assert_ptr_nonnull(want);
        for (int64_t i = 0; i < tg_numel(x); i++) { /* (0 + g) + g, rounded as x's dtype */
            double g = tg_get(once, i);
            want[i] = dt == TG_F32 ? (double)((0.0f + (float)g) + (float)g) : (0.0 + g) + g;
        }
        tg_tape_reset();
        for (int sweep = 0; sweep < 2; sweep++) {
            ck_assert_int_eq(tg_backward_ex(op(x), seed, 0), 0);
            tg_tape_reset();
        }
        for (int64_t i = 0; i < tg_numel(x); i++)
            if (tg_grad_get(x, i) != want[i])
                ck_abort_msg("%s grad[%lld] = %.17g after two sweeps, want %.17g",
                             tg_dtype_name((tg_dtype)dt), (long long)i, tg_grad_get(x, i),
                             want[i]);
        free(want);
        tg_free(seed);
        tg_free(x);
    }
}

static long allocation_count, allocation_budget = -1;

static void *test_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    (void)ud;
    (void)osize;
    if (nsize == 0) {
        free(ptr);
        return NULL;
    }
    if (allocation_budget == 0)
        return NULL;
    if (allocation_budget > 0)
        allocation_budget--;
    allocation_count++;
    return realloc(ptr, nsize);
}

void tu_allocator_install(void)
{
    tg_tape_destroy();
    tg_set_allocator(test_alloc, NULL);
    allocation_count = 0;
    allocation_budget = -1;
}

void tu_allocator_remove(void)
{
    tg_tape_destroy();
    tg_set_allocator(NULL, NULL);
    allocation_budget = -1;
}

long tu_allocations(void) { return allocation_count; }
void tu_allocations_reset(void) { allocation_count = 0; }
void tu_allocation_budget(long n) { allocation_budget = n; }

static void destroy_tape(void) { tg_tape_destroy(); }

/* Each test draws tu_rand's values from the start of the sequence, so that
 * it checks the same points whether Check forks a process per test (its
 * default) or runs the suite in one (CK_FORK=no, as valgrind does): before,
 * the no-fork run drew what earlier tests left, and an f32 gradgradcheck of
 * group_norm met a group of near-equal values there. */
static void reseed(void) { rng_state = TU_SEED; }

TCase *tu_tcase(const char *name)
{
    TCase *tc = tcase_create(name);
    tcase_add_checked_fixture(tc, reseed, destroy_tape);
    tcase_set_timeout(tc, 600);
    return tc;
}

int tu_run(Suite *s)
{
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

unsigned char *tu_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
    *len = (size_t)ftell(f);
    rewind(f);
    unsigned char *bytes = malloc(*len + 1);
    ck_assert_ptr_nonnull(bytes);
    ck_assert_uint_eq(fread(bytes, 1, *len, f), *len);
    bytes[*len] = '\0';
    fclose(f);
    return bytes;
}

void tu_write_file(const char *path, const void *bytes, size_t len)
{
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "cannot create %s", path);
    ck_assert_uint_eq(fwrite(bytes, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
}

tu_output tu_run_shell(const char *cmd)
{
    tu_output o = {0};
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    size_t len = 0, cap = 1 << 16;
    o.out = malloc(cap);
    ck_assert_ptr_nonnull(o.out);
    for (size_t n; (n = fread(o.out + len, 1, cap - len - 1, p)) > 0;) {
        len += n;
        if (len + 1 == cap) {
            o.out = realloc(o.out, cap *= 2);
            ck_assert_ptr_nonnull(o.out);
        }
    }
    o.out[len] = '\0';
    int status = pclose(p);
    o.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return o;
}

double tu_ulps_off(float got, double want)
{
    int e;
    frexp(want, &e);
    double ulp = ldexp(1.0, e - 24 < -149 ? -149 : e - 24);
    return fabs((double)got - want) / ulp;
}
