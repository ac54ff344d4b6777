/* test_conv_transpose.c -- tg_conv_transpose2d: values and gradients
 * against a direct scatter over the definition (stride, padding,
 * output_padding, dilation, groups, with and without bias), the adjoint
 * identity with conv2d, gradcheck and gradgradcheck, and the errors. */
#include "conv_check.h"

typedef struct {
    int64_t n, c, h, w, oc, kh, kw; /* c input channels, oc output channels */
    tg_conv_opts o;
    int64_t output_padding[2];
    bool bias;
} transpose_case;

static const transpose_case cases[] = {
    {2, 3, 3, 4, 2, 3, 3, {.padding = {1, 1}}, {0, 0}, true},
    {1, 2, 3, 2, 3, 3, 2, {.stride = {2, 3}, .padding = {1, 0}}, {1, 2}, false},
    {2, 4, 2, 3, 6, 2, 3, {.stride = {2, 1}, .dilation = {1, 2}, .groups = 2}, {1, 1}, true},
    {1, 4, 3, 3, 4, 3, 3, {.stride = {2, 2}, .padding = {1, 1}, .groups = 4}, {1, 0}, true},
    {3, 3, 2, 2, 5, 1, 1, {.groups = 1}, {0, 0}, true}, /* 1x1 */
};
#define N_CASES ((int)(sizeof cases / sizeof cases[0]))

static int64_t one(int64_t v) { return v ? v : 1; }

static int64_t out_side(const transpose_case *k, int a)
{
    int64_t in = a ? k->w : k->h, kern = a ? k->kw : k->kh;
    return (in - 1) * one(k->o.stride[a]) - 2 * k->o.padding[a] +
           one(k->o.dilation[a]) * (kern - 1) + k->output_padding[a] + 1;
}

/* y (and, for a seed g, dx and dw) by scattering each input element, in
 * double */
static void reference(const void *ctx, const double *x, const double *w, const double *b,
                      const double *g, double *y, double *dx, double *dw)
{
    const transpose_case *k = ctx;
    int64_t G = one(k->o.groups), cg = k->c / G, ocg = k->oc / G;
    int64_t oh = out_side(k, 0), ow = out_side(k, 1);
    for (int64_t i = 0; i < k->n * k->oc * oh * ow; i++)
        y[i] = b ? b[i / (oh * ow) % k->oc] : 0;
    for (int64_t n = 0; n < k->n; n++)
        for (int64_t c = 0; c < k->c; c++)
            for (int64_t i = 0; i < k->h * k->w; i++)
                for (int64_t o = 0; o < ocg; o++)
                    for (int64_t u = 0; u < k->kh; u++)
                        for (int64_t v = 0; v < k->kw; v++) {
                            int64_t yh = i / k->w * one(k->o.stride[0]) - k->o.padding[0] +
                                         u * one(k->o.dilation[0]);
                            int64_t yw = i % k->w * one(k->o.stride[1]) - k->o.padding[1] +
                                         v * one(k->o.dilation[1]);
                            if (yh < 0 || yh >= oh || yw < 0 || yw >= ow)
                                continue;
                            int64_t xi = (n * k->c + c) * k->h * k->w + i;
                            int64_t wi = ((c * ocg + o) * k->kh + u) * k->kw + v;
                            int64_t yi = ((n * k->oc + c / cg * ocg + o) * oh + yh) * ow + yw;
                            y[yi] += w[wi] * x[xi];
                            if (g) {
                                dx[xi] += g[yi] * w[wi];
                                dw[wi] += g[yi] * x[xi];
                            }
                        }
}

static tu_shape w_shape(const transpose_case *k)
{
    return TU_SHAPE(k->c, k->oc / one(k->o.groups), k->kh, k->kw);
}

static tg_tensor *transpose_fn(tg_tensor *const *in, void *ctx)
{
    const transpose_case *k = ctx;
    return tg_conv_transpose2d(in[0], in[1], k->bias ? in[2] : NULL, &k->o, k->output_padding);
}

START_TEST(transpose_values_and_gradients)
{
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        const transpose_case *k = &cases[_i];
        tg_tensor *in[3] = {tu_rand((tg_dtype)dt, TU_SHAPE(k->n, k->c, k->h, k->w), -1, 1, true),
                            tu_rand((tg_dtype)dt, w_shape(k), -1, 1, true),
                            tu_rand((tg_dtype)dt, TU_SHAPE(k->oc), -1, 1, true)};
        tg_tensor *y = transpose_fn(in, (void *)k);
        tu_assert_ok(y);
        ck_assert_int_eq(tg_op_kind_of(y), TG_OP_CONV_TRANSPOSE2D);
        ck_assert_int_eq(tg_shape(y)[1], k->oc);
        ck_assert_int_eq(tg_shape(y)[2], out_side(k, 0));
        ck_assert_int_eq(tg_shape(y)[3], out_side(k, 1));
        cc_check(y, in, k->bias, reference, k, dt == TG_F32 ? 2e-5 : 1e-13);
        tg_tape_reset();
    }
}
END_TEST

/* <conv_transpose2d(x, W), u> = <x, conv2d(u, W)> for the same sizes: the
 * two are adjoint in their image argument (conv2d's grid is cropped to x's:
 * an output_padding of a stride or more gives it windows x has no place
 * for) */
START_TEST(transpose_is_conv2d_adjoint)
{
    const transpose_case *k = &cases[_i];
    tg_tensor *x = tu_rand(TG_F64, TU_SHAPE(k->n, k->c, k->h, k->w), -1, 1, false);
    tg_tensor *w = tu_rand(TG_F64, w_shape(k), -1, 1, false);
    tg_tensor *y = tg_conv_transpose2d(x, w, NULL, &k->o, k->output_padding);
    tu_assert_ok(y);
    tg_tensor *u = tg_reshape(tu_rand(TG_F64, TU_SHAPE(tg_numel(y)), -1, 1, false), 4, tg_shape(y));
    tg_tensor *cu = tg_conv2d(u, w, NULL, &k->o);
    cu = tg_slice(tg_slice(cu, 2, 0, k->h, 1), 3, 0, k->w, 1);
    tu_assert_ok(cu);
    ck_assert_int_eq(tg_numel(cu), tg_numel(x));
    tu_assert_close(tg_item(tg_sum(tg_mul(y, u))), tg_item(tg_sum(tg_mul(x, cu))), 1e-12);
}
END_TEST

START_TEST(transpose_gradcheck)
{
    const transpose_case *k = &cases[_i];
    tu_shape shapes[3] = {TU_SHAPE(k->n, k->c, k->h, k->w), w_shape(k), TU_SHAPE(k->oc)};
    tu_gradcheck_both(transpose_fn, (void *)k, k->bias ? 3 : 2, shapes, -1, 1);
}
END_TEST

START_TEST(transpose_gradgradcheck)
{
    const transpose_case *k = &cases[_i];
    tg_tensor *in[3] = {tu_rand(TG_F64, TU_SHAPE(k->n, k->c, k->h, k->w), -1, 1, true),
                        tu_rand(TG_F64, w_shape(k), -1, 1, true),
                        tu_rand(TG_F64, TU_SHAPE(k->oc), -1, 1, true)};
    int rc = tg_gradgradcheck(transpose_fn, (void *)k, k->bias ? 3 : 2, in, NULL, NULL);
    ck_assert_msg(rc == 0, "%s", tg_last_error());
}
END_TEST

START_TEST(transpose_errors)
{
    tg_tensor *x = tu_rand(TG_F64, TU_SHAPE(2, 4, 3, 3), -1, 1, false);
    tg_tensor *w = tu_rand(TG_F64, TU_SHAPE(4, 3, 3, 3), -1, 1, false);
    ck_assert_ptr_null(tg_conv_transpose2d(x, NULL, NULL, NULL, NULL));
    ck_assert_str_eq(tg_last_error(), "tg_conv_transpose2d: argument 2 is NULL");
    tg_clear_error();
    ck_assert_ptr_null(tg_conv_transpose2d(tu_rand(TG_F64, TU_SHAPE(2, 3, 3, 3), -1, 1, false), w,
                                           NULL, NULL, NULL));
    ck_assert_str_eq(tg_last_error(), "tg_conv_transpose2d: given groups=1, weight of shape "
                                      "[4,3,3,3] expects input with 4 channels, a multiple of "
                                      "1; input has shape [2,3,3,3]");
    tg_clear_error();
    ck_assert_ptr_null(tg_conv_transpose2d(x, w, NULL, &(tg_conv_opts){.groups = 3}, NULL));
    ck_assert_int_eq(tg_last_error_code(), TG_ESHAPE);
    tg_clear_error();
    ck_assert_ptr_null(tg_conv_transpose2d(x, w, tu_rand(TG_F64, TU_SHAPE(4), -1, 1, false),
                                           &(tg_conv_opts){.groups = 2}, NULL));
    ck_assert_str_eq(tg_last_error(), "tg_conv_transpose2d: bias of shape [4]; weight of shape "
                                      "[4,3,3,3] and groups=2 need [6]");
    tg_clear_error();
    ck_assert_ptr_null(tg_conv_transpose2d(x, w, NULL, &(tg_conv_opts){.stride = {2, 2}},
                                           (int64_t[]){0, 2}));
    ck_assert_str_eq(tg_last_error(), "tg_conv_transpose2d: output_padding 2 on spatial axis 1 "
                                      "must be smaller than the stride (2) or the dilation (1)");
    tg_clear_error();
    ck_assert_ptr_null(tg_conv_transpose2d(x, w, NULL, &(tg_conv_opts){.padding = {3, 0}}, NULL));
    ck_assert_str_eq(tg_last_error(), "tg_conv_transpose2d: an input side of 3 gives an output "
                                      "side of -1 on spatial axis 0 (kernel 3, stride 1, padding "
                                      "3, dilation 1, output_padding 0)");
    tg_clear_error();
    ck_assert_ptr_null(tg_conv_transpose2d(x, w, NULL, &(tg_conv_opts){.same = true}, NULL));
    ck_assert_int_eq(tg_last_error_code(), TG_EVALUE);
    tg_clear_error();
    ck_assert_ptr_null(tg_conv_transpose2d(tu_rand(TG_F64, TU_SHAPE(4, 3, 3), -1, 1, false), w,
                                           NULL, NULL, NULL));
    ck_assert_str_eq(tg_last_error(), "tg_conv_transpose2d: input has shape [4,3,3]; it must be "
                                      "[N,C,H,W]");
    tg_clear_error();
}
END_TEST

TCase *tg_test_conv_transpose(void)
{
    TCase *tc = tu_tcase("conv_transpose");
    tcase_add_loop_test(tc, transpose_values_and_gradients, 0, N_CASES);
    tcase_add_loop_test(tc, transpose_is_conv2d_adjoint, 0, N_CASES);
    tcase_add_loop_test(tc, transpose_gradcheck, 0, N_CASES);
    tcase_add_loop_test(tc, transpose_gradgradcheck, 0, N_CASES);
    tcase_add_test(tc, transpose_errors);
    return tc;
}
