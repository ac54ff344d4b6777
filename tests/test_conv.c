/* test_conv.c -- tg_conv2d and tg_conv1d: values and gradients against a
 * direct loop over the definition (stride, padding, "same", dilation,
 * groups, with and without bias, 1x1 kernels), the fused first-order rule
 * against the composed one, gradcheck and gradgradcheck, and the errors. */

#include "conv_check.h"

typedef struct {
    int64_t n, c, h, w, oc, kh, kw;
    tg_conv_opts o;
    bool bias, one_d;
} conv_case;

static const conv_case cases[] = {
    {2, 3, 5, 6, 4, 3, 3, {{1, 1}, {0, 0}, {1, 1}, 1, false}, true, false},
    {1, 2, 7, 5, 2, 3, 2, {{2, 1}, {1, 2}, {1, 1}, 1, false}, false, false},
    {2, 4, 6, 6, 6, 2, 3, {{1, 2}, {1, 0}, {2, 1}, 2, false}, true, false},
    {1, 2, 5, 4, 2, 2, 3, {{1, 1}, {0, 0}, {1, 2}, 0, true}, true, false},  /* same, even kernel */
    {1, 4, 4, 4, 4, 3, 3, {{1, 1}, {1, 1}, {1, 1}, 4, false}, false, false}, /* depthwise */
    {3, 3, 2, 3, 5, 1, 1, {{0, 0}, {0, 0}, {0, 0}, 0, false}, true, false},  /* 1x1: x is cols */
    {2, 3, 1, 9, 4, 1, 3, {{1, 2}, {0, 1}, {1, 2}, 1, false}, true, true},   /* conv1d */
    {1, 4, 1, 6, 2, 1, 4, {{1, 1}, {0, 0}, {1, 1}, 2, true}, false, true},   /* conv1d same */
};
#define N_CASES ((int)(sizeof cases / sizeof cases[0]))

/* 1-d cases keep their sizes on axis 1 of the 2-d arrays; the C API reads
 * a 1-d op's sizes at [0]. */
static tg_conv_opts api_opts(const conv_case *k)
{
    tg_conv_opts o = k->o;
    if (k->one_d)
        o = (tg_conv_opts){{o.stride[1]}, {o.padding[1]}, {o.dilation[1]}, o.groups, o.same};
    return o;
}

static int64_t one(int64_t v) { return v ? v : 1; }

static void pads(const conv_case *k, int a, int64_t *lo)
{
    int64_t kern = a ? k->kw : k->kh, d = one(k->o.dilation[a]);
    *lo = k->o.same ? d * (kern - 1) / 2 : k->o.padding[a];
}

static int64_t side(const conv_case *k, int a)
{
    int64_t in = a ? k->w : k->h, kern = a ? k->kw : k->kh, d = one(k->o.dilation[a]);
    int64_t room = k->o.same ? in + d * (kern - 1) : in + 2 * k->o.padding[a];
    return (room - d * (kern - 1) - 1) / one(k->o.stride[a]) + 1;
}

/* y (and, for a seed g, dx and dw) by the definition, in double */
static void reference(const void *ctx, const double *x, const double *w, const double *b,
                      const double *g, double *y, double *dx, double *dw)
{
    const conv_case *k = ctx;
    int64_t G = one(k->o.groups), cg = k->c / G, ocg = k->oc / G;
    int64_t oh = side(k, 0), ow = side(k, 1), p0, p1;
    pads(k, 0, &p0);
    pads(k, 1, &p1);
    for (int64_t n = 0; n < k->n; n++)
        for (int64_t o = 0; o < k->oc; o++)
            for (int64_t i = 0; i < oh * ow; i++) {
                int64_t at = (n * k->oc + o) * oh * ow + i;
                double s = b ? b[o] : 0;
                for (int64_t c = 0; c < cg; c++)
                    for (int64_t u = 0; u < k->kh; u++)
                        for (int64_t v = 0; v < k->kw; v++) {
                            int64_t ih = i / ow * one(k->o.stride[0]) - p0 +
                                         u * one(k->o.dilation[0]);
                            int64_t iw = i % ow * one(k->o.stride[1]) - p1 +
                                         v * one(k->o.dilation[1]);
                            if (ih < 0 || ih >= k->h || iw < 0 || iw >= k->w)
                                continue;
                            int64_t xi = ((n * k->c + o / ocg * cg + c) * k->h + ih) * k->w + iw;
                            int64_t wi = ((o * cg + c) * k->kh + u) * k->kw + v;
                            s += w[wi] * x[xi];
                            if (g) {
                                dx[xi] += g[at] * w[wi];
                                dw[wi] += g[at] * x[xi];
                            }
                        }
                y[at] = s;
            }
}

static tu_shape x_shape(const conv_case *k)
{
    return k->one_d ? TU_SHAPE(k->n, k->c, k->w) : TU_SHAPE(k->n, k->c, k->h, k->w);
}

static tu_shape w_shape(const conv_case *k)
{
    int64_t cg = k->c / one(k->o.groups);
    return k->one_d ? TU_SHAPE(k->oc, cg, k->kw) : TU_SHAPE(k->oc, cg, k->kh, k->kw);
}

static tg_tensor *conv_fn(tg_tensor *const *in, void *ctx)
{
    const conv_case *k = ctx;
    tg_conv_opts o = api_opts(k);
    tg_tensor *b = k->bias ? in[2] : NULL;
    return k->one_d ? tg_conv1d(in[0], in[1], b, &o) : tg_conv2d(in[0], in[1], b, &o);
}

START_TEST(conv_values_and_gradients)
{
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        const conv_case *k = &cases[_i];
        tg_tensor *in[3] = {tu_rand((tg_dtype)dt, x_shape(k), -1, 1, true),
                            tu_rand((tg_dtype)dt, w_shape(k), -1, 1, true),
                            tu_rand((tg_dtype)dt, TU_SHAPE(k->oc), -1, 1, true)};
        tg_tensor *y = conv_fn(in, (void *)k);
        tu_assert_ok(y);
        ck_assert_int_eq(tg_op_kind_of(y), k->one_d ? TG_OP_CONV1D : TG_OP_CONV2D);
        ck_assert_int_eq(tg_numel(y), k->n * k->oc * side(k, 0) * side(k, 1));
        ck_assert_int_eq(tg_shape(y)[tg_ndim(y) - 1], side(k, 1));
        cc_check(y, in, k->bias, reference, k, dt == TG_F32 ? 2e-5 : 1e-13);
        tg_tape_reset();
    }
}
END_TEST

START_TEST(conv_gradcheck)
{
    const conv_case *k = &cases[_i];
    tu_shape shapes[3] = {x_shape(k), w_shape(k), TU_SHAPE(k->oc)};
    tu_gradcheck_both(conv_fn, (void *)k, k->bias ? 3 : 2, shapes, -1, 1);
}
END_TEST

/* every order: the recorded rules (fold, unfold, matmul) are checked by
 * finite differences of first-order gradients */
START_TEST(conv_gradgradcheck)
{
    const conv_case *k = &cases[_i];
    tg_tensor *in[3] = {tu_rand(TG_F64, x_shape(k), -1, 1, true),
                        tu_rand(TG_F64, w_shape(k), -1, 1, true),
                        tu_rand(TG_F64, TU_SHAPE(k->oc), -1, 1, true)};
    int rc = tg_gradgradcheck(conv_fn, (void *)k, k->bias ? 3 : 2, in, NULL, NULL);
    ck_assert_msg(rc == 0, "%s", tg_last_error());
}
END_TEST

/* A first-order sweep runs the fused rule on the forward's columns; a
 * recorded one composes ops. Both give the same gradients. */
START_TEST(conv_fused_matches_composed)
{
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        const conv_case *k = &cases[_i];
        tg_tensor *in[3] = {tu_rand((tg_dtype)dt, x_shape(k), -1, 1, true),
                            tu_rand((tg_dtype)dt, w_shape(k), -1, 1, true),
                            tu_rand((tg_dtype)dt, TU_SHAPE(k->oc), -1, 1, true)};
        int n_in = k->bias ? 3 : 2;
        tg_tensor *y = conv_fn(in, (void *)k), *composed[3];
        tu_assert_ok(y);
        /* a seed that requires grad makes the recorded rule's results do too */
        tg_tensor *seed = tg_reshape(tu_rand((tg_dtype)dt, TU_SHAPE(tg_numel(y)), -1, 1, true),
                                     tg_ndim(y), tg_shape(y));
        ck_assert_int_eq(tg_backward_ex(y, seed, TG_RETAIN_GRAPH), 0);
        ck_assert_int_eq(tg_grad_ex(&y, &seed, 1, in, n_in, composed, TG_CREATE_GRAPH), 0);
        for (int a = 0; a < n_in; a++) {
            ck_assert(tg_requires_grad(composed[a]));
            for (int64_t i = 0; i < tg_numel(in[a]); i++)
                tu_assert_close(tg_grad_get(in[a], i), tg_get(composed[a], i),
                                dt == TG_F32 ? 1e-5 : 1e-13);
        }
        tg_tape_reset();
    }
}
END_TEST

/* y, dx and dW of one convolution under n threads, into out[0..2] */
static void conv_under_threads(int n, tg_tensor *x, tg_tensor *w, double **out)
{
    ck_assert_int_eq(tg_set_num_threads(n), 0);
    tg_tensor *y = tg_conv2d(x, w, NULL, &(tg_conv_opts){.padding = {1, 0}});
    tu_assert_ok(y);
    ck_assert_int_eq(tg_backward(tg_sum(tg_mul(y, y))), 0);
    out[0] = cc_values(y);
    out[1] = cc_values(tg_grad_tensor(x));
    out[2] = cc_values(tg_grad_tensor(w));
    tg_zero_grad(x);
    tg_zero_grad(w);
}

/* A convolution of 2^22 multiply-adds or more runs on the threads: with
 * as many images as threads or more, the images are shared out and dW is
 * the sum of the threads' parts; with fewer, image after image with each
 * gemm split by c's rows or columns (ops/gemm.c). One thread and two agree
 * to rounding, not bit for bit (dW's sums are grouped otherwise, and
 * OpenBLAS may pick other kernels for a share than for the whole matrix),
 * while a part summed twice or a share at a wrong offset is off by the size
 * of the values themselves. Both plans are tried: 16 images, and 1. */
static void check_threads_agree(tg_tensor *x, tg_tensor *w)
{
    /* y [N, 64, H + 2, 64] */
    int64_t sizes[3] = {tg_shape(x)[0] * 64 * (tg_shape(x)[2] + 2) * 64, tg_numel(x), tg_numel(w)};
    double *one[3], *two[3];
    conv_under_threads(1, x, w, one);
    conv_under_threads(2, x, w, two);
    for (int k = 0; k < 3; k++) {
        double worst = 0, largest = 0;
        for (int64_t i = 0; i < sizes[k]; i++) {
            worst = fmax(worst, fabs(one[k][i] - two[k][i]));
            largest = fmax(largest, fabs(one[k][i]));
        }
        ck_assert_msg(largest > 0 && worst <= 1e-5 * largest,
                      "result %d: 1 and 2 threads differ by %g (largest value %g)", k, worst,
                      largest);
        free(one[k]);
        free(two[k]);
    }
}

START_TEST(conv_threads_agree)
{
    int saved = tg_get_num_threads();
    tg_tensor *w = tu_rand(TG_F32, TU_SHAPE(64, 4, 1, 3), -1, 1, true);
    check_threads_agree(tu_rand(TG_F32, TU_SHAPE(16, 4, 64, 66), -1, 1, true), w);
    check_threads_agree(tu_rand(TG_F32, TU_SHAPE(1, 4, 128, 66), -1, 1, true), w);
    tg_set_num_threads(saved);
}
END_TEST

/* padding "same" keeps the size; with an even kernel the odd zero is at the
 * end (PyTorch): a [1,1,1,4] ramp by a [1,1,1,2] kernel [1, 0] reads x
 * itself, by [0, 1] reads x shifted left with a 0 last. */
START_TEST(conv_same_puts_the_odd_zero_last)
{
    tg_tensor *x = tu_tensor(TG_F64, TU_SHAPE(1, 1, 1, 4), (double[]){1, 2, 3, 4}, false);
    tg_tensor *a = tu_tensor(TG_F64, TU_SHAPE(1, 1, 1, 2), (double[]){1, 0}, false);
    tg_tensor *b = tu_tensor(TG_F64, TU_SHAPE(1, 1, 1, 2), (double[]){0, 1}, false);
    tg_conv_opts same = {.same = true};
    tg_tensor *ya = tg_conv2d(x, a, NULL, &same), *yb = tg_conv2d(x, b, NULL, &same);
    tu_assert_ok(ya);
    tu_assert_ok(yb);
    double want_b[4] = {2, 3, 4, 0};
    for (int i = 0; i < 4; i++) {
        tu_assert_close(tg_get(ya, i), i + 1, 0);
        tu_assert_close(tg_get(yb, i), want_b[i], 0);
    }
}
END_TEST

START_TEST(conv_errors)
{
    tg_tensor *x = tu_rand(TG_F64, TU_SHAPE(2, 3, 5, 5), -1, 1, false);
    tg_tensor *w = tu_rand(TG_F64, TU_SHAPE(4, 3, 3, 3), -1, 1, false);
    ck_assert_ptr_null(tg_conv2d(NULL, w, NULL, NULL));
    ck_assert_str_eq(tg_last_error(), "tg_conv2d: argument 1 is NULL");
    tg_clear_error();
    ck_assert_ptr_null(tg_conv2d(tu_rand(TG_F64, TU_SHAPE(3, 5, 5), -1, 1, false), w, NULL, NULL));
    ck_assert_str_eq(tg_last_error(), "tg_conv2d: input has shape [3,5,5]; it must be [N,C,H,W]");
    tg_clear_error();
    ck_assert_ptr_null(tg_conv2d(x, w, NULL, &(tg_conv_opts){.groups = 3}));
    ck_assert_str_eq(tg_last_error(), "tg_conv2d: given groups=3, weight of shape [4,3,3,3] "
                                      "expects input with 9 channels and output channels a "
                                      "multiple of 3; input has shape [2,3,5,5]");
    tg_clear_error();
    ck_assert_ptr_null(tg_conv2d(x, w, tu_rand(TG_F64, TU_SHAPE(3), -1, 1, false), NULL));
    ck_assert_str_eq(tg_last_error(), "tg_conv2d: bias of shape [3]; weight of shape [4,3,3,3] "
                                      "needs [4]");
    tg_clear_error();
    ck_assert_ptr_null(tg_conv2d(x, w, NULL, &(tg_conv_opts){.same = true, .stride = {2, 2}}));
    ck_assert_str_eq(tg_last_error(), "tg_conv2d: padding \"same\" needs stride 1 and no "
                                      "padding of its own (stride 2, padding 0 on spatial axis 0)");
    tg_clear_error();
    ck_assert_ptr_null(tg_conv2d(x, w, NULL, &(tg_conv_opts){.dilation = {3, 1}}));
    ck_assert_str_eq(tg_last_error(), "tg_conv2d: a window of 7 (kernel 3, dilation 3) does not "
                                      "fit a side of 5 padded to 5 on spatial axis 0");
    tg_clear_error();
    ck_assert_ptr_null(tg_conv2d(x, w, NULL, &(tg_conv_opts){.padding = {0, -1}}));
    ck_assert_int_eq(tg_last_error_code(), TG_EVALUE);
    ck_assert_str_eq(tg_last_error(), "tg_conv2d: padding -1 on spatial axis 1");
    tg_clear_error();
    ck_assert_ptr_null(tg_conv1d(tu_rand(TG_F64, TU_SHAPE(2, 3, 5), -1, 1, false),
                                 tu_rand(TG_F32, TU_SHAPE(4, 3, 3), -1, 1, false), NULL, NULL));
    ck_assert_int_eq(tg_last_error_code(), TG_EDTYPE);
    tg_clear_error();
}
END_TEST

TCase *tg_test_conv(void)
{
    TCase *tc = tu_tcase("conv");
    tcase_add_loop_test(tc, conv_values_and_gradients, 0, N_CASES);
    tcase_add_loop_test(tc, conv_gradcheck, 0, N_CASES);
    tcase_add_loop_test(tc, conv_gradgradcheck, 0, N_CASES);
    tcase_add_loop_test(tc, conv_fused_matches_composed, 0, N_CASES);
    tcase_add_test(tc, conv_threads_agree);
    tcase_add_test(tc, conv_same_puts_the_odd_zero_last);
    tcase_add_test(tc, conv_errors);
    return tc;
}
