/* test_pool.c -- tg_max_pool2d/1d, tg_avg_pool2d/1d and
 * tg_adaptive_avg_pool2d: values and gradients against direct loops over
 * PyTorch's definitions (stride, padding, dilation, ceil_mode,
 * count_include_pad), gradcheck and gradgradcheck in both dtypes, the
 * first-maximum and -inf padding conventions, ceil_mode's sides, and the
 * errors. */
#include "testutil.h"

typedef struct {
    int64_t n, c, h, w, kh, kw;
    tg_pool_opts o;
    bool one_d, max;
} pool_case;

static const pool_case cases[] = {
    {2, 3, 6, 6, 2, 2, {{0, 0}, {0, 0}, {0, 0}, false, false}, false, true}, /* the CNN's */
    {1, 2, 7, 5, 3, 2, {{2, 1}, {1, 1}, {1, 1}, false, false}, false, true},
    {1, 2, 7, 7, 3, 3, {{2, 2}, {1, 1}, {0, 0}, true, false}, false, true},
    {2, 1, 8, 9, 2, 3, {{1, 2}, {1, 0}, {2, 2}, false, false}, false, true}, /* dilation */
    {1, 2, 5, 5, 2, 2, {{0, 0}, {0, 0}, {0, 0}, true, false}, false, true},  /* hangs over */
    {2, 3, 1, 9, 1, 3, {{1, 2}, {0, 1}, {1, 2}, false, false}, true, true},
    {1, 2, 1, 8, 1, 3, {{1, 2}, {0, 1}, {1, 1}, true, false}, true, true},
    {2, 3, 6, 6, 2, 2, {{0, 0}, {0, 0}, {0, 0}, false, false}, false, false},
    {1, 2, 7, 5, 3, 2, {{2, 1}, {1, 1}, {0, 0}, false, false}, false, false},
    {1, 2, 7, 5, 3, 2, {{2, 1}, {1, 1}, {0, 0}, false, true}, false, false}, /* exclude pad */
    {1, 2, 7, 7, 3, 3, {{2, 2}, {1, 1}, {0, 0}, true, false}, false, false},
    {1, 2, 5, 6, 2, 3, {{2, 2}, {1, 1}, {0, 0}, true, true}, false, false},
    {2, 3, 1, 9, 1, 3, {{1, 2}, {0, 1}, {0, 0}, true, false}, true, false},
    {1, 2, 1, 8, 1, 2, {{1, 3}, {0, 1}, {0, 0}, true, true}, true, false},
};
#define N_CASES ((int)(sizeof cases / sizeof cases[0]))

static int64_t one(int64_t v, int64_t fallback) { return v ? v : fallback; }

/* 1-d cases keep their sizes on axis 1; the C API reads a 1-d op's at [0] */
static tg_pool_opts api_opts(const pool_case *k)
{
    tg_pool_opts o = k->o;
    if (k->one_d)
        o = (tg_pool_opts){{o.stride[1]}, {o.padding[1]}, {o.dilation[1]}, o.ceil_mode,
                           o.exclude_pad};
    return o;
}

/* PyTorch's pooling_output_shape */
static int64_t side(const pool_case *k, int a)
{
    int64_t in = a ? k->w : k->h, kern = a ? k->kw : k->kh, p = k->o.padding[a];
    int64_t s = one(k->o.stride[a], kern), d = one(k->o.dilation[a], 1);
    int64_t out = (in + 2 * p - d * (kern - 1) - 1 + (k->o.ceil_mode ? s - 1 : 0)) / s + 1;
    if (k->o.ceil_mode && (out - 1) * s >= in + p)
        out--;
    return out;
}

/* PyTorch's avg_pool2d divisor of the window at (oh, ow) */
static double avg_divisor(const pool_case *k, int64_t oh, int64_t ow)
{
    int64_t n[2];
    for (int a = 0; a < 2; a++) {
        int64_t in = a ? k->w : k->h, kern = a ? k->kw : k->kh, p = k->o.padding[a];
        int64_t start = (a ? ow : oh) * one(k->o.stride[a], kern) - p;
        int64_t end = start + kern < in + p ? start + kern : in + p;
        if (k->o.exclude_pad) {
            start = start > 0 ? start : 0;
            end = end < in ? end : in;
        }
        n[a] = end - start;
    }
    return (double)(n[0] * n[1]);
}

/* y and, for the seed g, dx by the definitions, in double */
static void reference(const pool_case *k, const double *x, const double *g, double *y,
                      double *dx)
{
    int64_t oh = side(k, 0), ow = side(k, 1);
    for (int64_t pl = 0; pl < k->n * k->c; pl++)
        for (int64_t i = 0; i < oh * ow; i++) {
            int64_t at = pl * oh * ow + i, best = -1, taps[64], n_taps = 0;
            for (int64_t u = 0; u < k->kh; u++)
                for (int64_t v = 0; v < k->kw; v++) {
                    int64_t ih = i / ow * one(k->o.stride[0], k->kh) - k->o.padding[0] +
                                 u * one(k->o.dilation[0], 1);
                    int64_t iw = i % ow * one(k->o.stride[1], k->kw) - k->o.padding[1] +
                                 v * one(k->o.dilation[1], 1);
                    if (ih >= 0 && ih < k->h && iw >= 0 && iw < k->w)
                        taps[n_taps++] = (pl * k->h + ih) * k->w + iw;
                }
            double sum = 0, div = avg_divisor(k, i / ow, i % ow);
            for (int64_t t = 0; t < n_taps; t++) {
                sum += x[taps[t]];
                if (best < 0 || x[taps[t]] > x[best])
                    best = taps[t];
                if (!k->max)
                    dx[taps[t]] += g[at] / div;
            }
            y[at] = k->max ? x[best] : sum / div;
            if (k->max)
                dx[best] += g[at];
        }
}

static tu_shape x_shape(const pool_case *k)
{
    return k->one_d ? TU_SHAPE(k->n, k->c, k->w) : TU_SHAPE(k->n, k->c, k->h, k->w);
}

static tg_tensor *pool_fn(tg_tensor *const *in, void *ctx)
{
    const pool_case *k = ctx;
    tg_pool_opts o = api_opts(k);
    int64_t kernel[2] = {k->kh, k->kw};
    if (k->one_d)
        return k->max ? tg_max_pool1d(in[0], k->kw, &o) : tg_avg_pool1d(in[0], k->kw, &o);
    return k->max ? tg_max_pool2d(in[0], kernel, &o) : tg_avg_pool2d(in[0], kernel, &o);
}

/* Values spaced 1/8 apart in a scrambled order: no finite-difference step
 * moves a window's maximum. */
static tg_tensor *distinct(tg_dtype dtype, tu_shape shape, bool requires_grad)
{
    static double v[1024];
    int64_t n = 1;
    for (int d = 0; d < shape.ndim; d++)
        n *= shape.d[d];
    ck_assert_int_le(n, 1024);
    for (int64_t i = 0; i < n; i++)
        v[i] = (double)((i * 193 + 71) % 1031) / 8.0 - 64;
    return tu_tensor(dtype, shape, v, requires_grad);
}

START_TEST(pool_values_and_gradients)
{
    const pool_case *k = &cases[_i];
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *x = tu_rand((tg_dtype)dt, x_shape(k), -1, 1, true);
        tg_tensor *y = pool_fn(&x, (void *)k);
        tu_assert_ok(y);
        tg_op_kind want = k->max ? (k->one_d ? TG_OP_MAX_POOL1D : TG_OP_MAX_POOL2D)
                                 : (k->one_d ? TG_OP_AVG_POOL1D : TG_OP_AVG_POOL2D);
        ck_assert_int_eq(tg_op_kind_of(y), want);
        int64_t oh = side(k, 0), ow = side(k, 1), ny = k->n * k->c * oh * ow;
        ck_assert_int_eq(tg_numel(y), ny);
        ck_assert_int_eq(tg_shape(y)[tg_ndim(y) - 1], ow);
        double xs[1024], gs[512], yr[512], dx[1024] = {0};
        for (int64_t i = 0; i < tg_numel(x); i++)
            xs[i] = tg_get(x, i);
        tg_tensor *g = tu_rand((tg_dtype)dt, TU_SHAPE(ny), -1, 1, false);
        for (int64_t i = 0; i < ny; i++)
            gs[i] = tg_get(g, i);
        reference(k, xs, gs, yr, dx);
        ck_assert_int_eq(tg_backward_ex(y, tg_reshape(g, tg_ndim(y), tg_shape(y)), 0), 0);
        double tol = dt == TG_F32 ? 1e-6 : 1e-15;
        for (int64_t i = 0; i < ny; i++)
            tu_assert_close(tg_get(y, i), yr[i], tol);
        for (int64_t i = 0; i < tg_numel(x); i++)
            tu_assert_close(tg_grad_get(x, i), dx[i], tol);
        tg_tape_reset();
    }
}
END_TEST

START_TEST(pool_gradcheck)
{
    const pool_case *k = &cases[_i];
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *x = distinct((tg_dtype)dt, x_shape(k), true);
        int rc = tg_gradcheck(pool_fn, (void *)k, 1, &x, NULL, NULL);
        ck_assert_msg(rc == 0, "%s", tg_last_error());
    }
}
END_TEST

/* every order: the recorded rules (scatter_add/gather, fold) are checked by
 * finite differences of first-order gradients */
START_TEST(pool_gradgradcheck)
{
    const pool_case *k = &cases[_i];
    tg_tensor *x = distinct(TG_F64, x_shape(k), true);
    int rc = tg_gradgradcheck(pool_fn, (void *)k, 1, &x, NULL, NULL);
    ck_assert_msg(rc == 0, "%s", tg_last_error());
}
END_TEST

/* ties go to the first maximum in row-major window order; a NaN wins; the
 * padding is -inf, so an all-negative input never pools a 0 */
START_TEST(max_pool_conventions)
{
    int64_t k2[2] = {2, 2};
    tg_tensor *x = tu_tensor(TG_F64, TU_SHAPE(1, 1, 2, 2), (double[]){3, 3, 3, 3}, true);
    ck_assert_int_eq(tg_backward(tg_sum(tg_max_pool2d(x, k2, NULL))), 0);
    double want[4] = {1, 0, 0, 0};
    for (int i = 0; i < 4; i++)
        tu_assert_close(tg_grad_get(x, i), want[i], 0);
    tg_tensor *n = tu_tensor(TG_F32, TU_SHAPE(1, 1, 2, 2), (double[]){1, NAN, 3, 2}, true);
    tg_tensor *yn = tg_max_pool2d(n, k2, NULL);
    ck_assert(isnan(tg_get(yn, 0)));
    ck_assert_int_eq(tg_backward(tg_sum(yn)), 0);
    tu_assert_close(tg_grad_get(n, 1), 1, 0);
    tu_assert_close(tg_grad_get(n, 2), 0, 0);
    tg_tensor *neg = tu_tensor(TG_F64, TU_SHAPE(1, 1, 3), (double[]){-5, -6, -7}, false);
    tg_tensor *y = tg_max_pool1d(neg, 2, &(tg_pool_opts){.stride = {1}, .padding = {1}});
    double pooled[4] = {-5, -5, -6, -7};
    ck_assert_int_eq(tg_numel(y), 4);
    for (int i = 0; i < 4; i++)
        tu_assert_close(tg_get(y, i), pooled[i], 0);
}
END_TEST

/* The 2x2, stride-2 pool (its own kernel) against the same windows taken
 * by the generic kernel in two passes, [1,2] then [2,1]: the first maximum
 * in row-major order and the first NaN win either way. Values from {0, 1,
 * 2} make ties everywhere; some are NaN. Values and gradients, both dtypes,
 * planes wider than the kernel's chunk of 256 outputs. */
START_TEST(max_pool_2x2_matches_the_generic_kernel)
{
    static const tu_shape shapes[] = {TU_SHAPE(2, 3, 6, 8), TU_SHAPE(1, 2, 4, 600),
                                      TU_SHAPE(1, 1, 5, 7)};
    for (int dt = TG_F32; dt <= TG_F64; dt++)
        for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
            tg_tensor *r = tu_rand((tg_dtype)dt, shapes[k], 0, 3, false);
            tg_tensor *x = tg_empty((tg_dtype)dt, shapes[k].ndim, shapes[k].d, true);
            for (int64_t i = 0; i < tg_numel(x); i++)
                tg_set(x, i, i % 17 == 5 ? NAN : floor(tg_get(r, i)));
            tg_tensor *fast = tg_max_pool2d(x, (int64_t[]){2, 2}, NULL);
            tg_tensor *slow = tg_max_pool2d(tg_max_pool2d(x, (int64_t[]){1, 2}, NULL),
                                            (int64_t[]){2, 1}, NULL);
            tu_assert_ok(fast);
            tu_assert_ok(slow);
            ck_assert_int_eq(tg_numel(fast), tg_numel(slow));
            tg_tensor *g = tu_rand((tg_dtype)dt, TU_SHAPE(tg_numel(fast)), -1, 1, false);
            tg_tensor *gs = tg_reshape(g, tg_ndim(fast), tg_shape(fast));
            tg_tensor *dfast, *dslow;
            /* the sums are NaN; their gradients are gs at the taps chosen */
            tg_tensor *lf = tg_sum(tg_mul(fast, gs)), *ls = tg_sum(tg_mul(slow, gs));
            ck_assert_int_eq(tg_grad(&lf, 1, &x, 1, &dfast, false), 0);
            ck_assert_int_eq(tg_grad(&ls, 1, &x, 1, &dslow, false), 0);
            for (int64_t i = 0; i < tg_numel(fast); i++) {
                double a = tg_get(fast, i), b = tg_get(slow, i);
                ck_assert_msg(a == b || (isnan(a) && isnan(b)), "output %lld: %g, %g",
                              (long long)i, a, b);
            }
            for (int64_t i = 0; i < tg_numel(x); i++)
                ck_assert_msg(tg_get(dfast, i) == tg_get(dslow, i), "dx %lld", (long long)i);
            tg_tape_reset();
        }
}
END_TEST

/* ceil_mode rounds up, but drops a last window that would start past the
 * input and its left padding; a hanging avg window counts what it covers
 * (PyTorch's values) */
START_TEST(ceil_mode_sides)
{
    tg_tensor *x = tu_tensor(TG_F64, TU_SHAPE(1, 1, 5), (double[]){1, 2, 3, 4, 5}, false);
    tg_pool_opts ceil = {.ceil_mode = true};
    ck_assert_int_eq(tg_numel(tg_max_pool1d(x, 2, NULL)), 2);
    ck_assert_int_eq(tg_numel(tg_max_pool1d(x, 2, &ceil)), 3);
    tg_tensor *avg = tg_avg_pool1d(x, 2, &ceil);
    tu_assert_close(tg_get(avg, 2), 5, 0);
    tg_tensor *four = tu_tensor(TG_F64, TU_SHAPE(1, 1, 4), (double[]){1, 2, 3, 4}, false);
    ck_assert_int_eq(tg_numel(tg_avg_pool1d(four, 1, &(tg_pool_opts){{2}, .ceil_mode = true})),
                     2);
    tg_tensor *padded = tg_avg_pool1d(four, 2, &(tg_pool_opts){{2}, {1}, .ceil_mode = true});
    double want[3] = {0.5, 2.5, 2}; /* [pad,1] [2,3] [4,pad]: both counted */
    for (int i = 0; i < 3; i++)
        tu_assert_close(tg_get(padded, i), want[i], 0);
    /* a window longer than the side, still one place when rounded up */
    tg_tensor *lone = tu_tensor(TG_F64, TU_SHAPE(1, 1, 1), (double[]){7}, false);
    tg_tensor *m = tg_max_pool1d(lone, 2, &ceil), *a = tg_avg_pool1d(lone, 2, &ceil);
    tu_assert_ok(m);
    tu_assert_ok(a);
    ck_assert_int_eq(tg_numel(m), 1);
    tu_assert_close(tg_get(m, 0), 7, 0);
    tu_assert_close(tg_get(a, 0), 7, 0);
    ck_assert_ptr_null(tg_max_pool1d(lone, 2, NULL));
    tg_clear_error();
}
END_TEST

/* PyTorch's adaptive windows in double */
static void adaptive_reference(const double *x, int64_t planes, int64_t H, int64_t W,
                               int64_t OH, int64_t OW, double *y)
{
    for (int64_t p = 0; p < planes; p++)
        for (int64_t i = 0; i < OH; i++)
            for (int64_t j = 0; j < OW; j++) {
                int64_t h0 = i * H / OH, h1 = ((i + 1) * H + OH - 1) / OH;
                int64_t w0 = j * W / OW, w1 = ((j + 1) * W + OW - 1) / OW;
                double s = 0;
                for (int64_t a = h0; a < h1; a++)
                    for (int64_t b = w0; b < w1; b++)
                        s += x[(p * H + a) * W + b];
                y[(p * OH + i) * OW + j] = s / (double)((h1 - h0) * (w1 - w0));
            }
}

static const int64_t adaptive_sizes[][4] = {{5, 7, 3, 2}, {4, 3, 6, 5}, {7, 6, 1, 1}, {3, 3, 3, 3}};

static tg_tensor *adaptive_fn(tg_tensor *const *in, void *ctx)
{
    const int64_t *s = ctx;
    return tg_adaptive_avg_pool2d(in[0], s + 2);
}

START_TEST(adaptive_values_and_gradients)
{
    const int64_t *s = adaptive_sizes[_i];
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *x = tu_rand((tg_dtype)dt, TU_SHAPE(2, 3, s[0], s[1]), -1, 1, true);
        tg_tensor *y = adaptive_fn(&x, (void *)s);
        tu_assert_ok(y);
        ck_assert_int_eq(tg_op_kind_of(y), TG_OP_ADAPTIVE_AVG_POOL2D);
        double xs[256], yr[256];
        for (int64_t i = 0; i < tg_numel(x); i++)
            xs[i] = tg_get(x, i);
        adaptive_reference(xs, 6, s[0], s[1], s[2], s[3], yr);
        ck_assert_int_eq(tg_numel(y), 6 * s[2] * s[3]);
        for (int64_t i = 0; i < tg_numel(y); i++)
            tu_assert_close(tg_get(y, i), yr[i], dt == TG_F32 ? 1e-6 : 1e-15);
        tu_shape shape = TU_SHAPE(2, 3, s[0], s[1]);
        tu_gradcheck(adaptive_fn, (void *)s, (tg_dtype)dt, 1, &shape, -1, 1);
        tg_tape_reset();
    }
    tg_tensor *x = tu_rand(TG_F64, TU_SHAPE(1, 2, s[0], s[1]), -1, 1, true);
    ck_assert_msg(tg_gradgradcheck(adaptive_fn, (void *)s, 1, &x, NULL, NULL) == 0, "%s",
                  tg_last_error());
}
END_TEST

static void expect_error(tg_tensor *y, int code, const char *message)
{
    ck_assert_ptr_null(y);
    ck_assert_int_eq(tg_last_error_code(), code);
    ck_assert_str_eq(tg_last_error(), message);
    tg_clear_error();
}

START_TEST(pool_errors)
{
    tg_tensor *x = tu_rand(TG_F64, TU_SHAPE(2, 3, 5, 5), -1, 1, false);
    int64_t k2[2] = {2, 2}, k3[2] = {3, 3};
    expect_error(tg_max_pool2d(NULL, k2, NULL), TG_ENULL, "tg_max_pool2d: argument 1 is NULL");
    expect_error(tg_max_pool2d(x, NULL, NULL), TG_ENULL, "tg_max_pool2d: kernel is NULL");
    expect_error(tg_max_pool1d(x, 2, NULL), TG_ESHAPE,
                 "tg_max_pool1d: input has shape [2,3,5,5]; it must be [N,C,L]");
    expect_error(tg_max_pool2d(x, k2, &(tg_pool_opts){.padding = {0, 2}}), TG_EVALUE,
                 "tg_max_pool2d: padding 2 on spatial axis 1 is more than half the kernel "
                 "size 2");
    expect_error(tg_avg_pool2d(x, k2, &(tg_pool_opts){.dilation = {2, 1}}), TG_EVALUE,
                 "tg_avg_pool2d: dilation 2 on spatial axis 0; average pooling has none");
    expect_error(tg_avg_pool2d(x, (int64_t[]){6, 2}, NULL), TG_ESHAPE,
                 "tg_avg_pool2d: a window of 6 (kernel 6, dilation 1) does not fit a side of "
                 "5 padded to 5 on spatial axis 0");
    expect_error(tg_max_pool2d(x, k3, &(tg_pool_opts){.stride = {-1, 1}}), TG_EVALUE,
                 "tg_max_pool2d: stride -1 on spatial axis 0");
    /* taps -1 and 1 of a side of 1: nothing but padding */
    tg_tensor *thin = tu_rand(TG_F64, TU_SHAPE(1, 1, 1), -1, 1, false);
    expect_error(tg_max_pool1d(thin, 2, &(tg_pool_opts){.padding = {1}, .dilation = {2}}),
                 TG_EVALUE, "tg_max_pool1d: window 0 on spatial axis 0 holds only padding");
    expect_error(tg_adaptive_avg_pool2d(x, (int64_t[]){0, 2}), TG_EVALUE,
                 "tg_adaptive_avg_pool2d: output size 0 on spatial axis 0 must be positive");
    expect_error(tg_adaptive_avg_pool2d(tu_rand(TG_F64, TU_SHAPE(1, 1, 0, 2), -1, 1, false),
                                        k2), TG_ESHAPE,
                 "tg_adaptive_avg_pool2d: input side 0 on spatial axis 0 is empty");
}
END_TEST

TCase *tg_test_pool(void)
{
    TCase *tc = tu_tcase("pool");
    tcase_add_loop_test(tc, pool_values_and_gradients, 0, N_CASES);
    tcase_add_loop_test(tc, pool_gradcheck, 0, N_CASES);
    tcase_add_loop_test(tc, pool_gradgradcheck, 0, N_CASES);
    tcase_add_test(tc, max_pool_conventions);
    tcase_add_test(tc, max_pool_2x2_matches_the_generic_kernel);
    tcase_add_test(tc, ceil_mode_sides);
    tcase_add_loop_test(tc, adaptive_values_and_gradients, 0,
                        (int)(sizeof adaptive_sizes / sizeof adaptive_sizes[0]));
    tcase_add_test(tc, pool_errors);
    return tc;
}
