/* test_cumsum.c -- tg_cumsum and tg_cumprod: values along each axis, the
 * gradients (cumprod's exact at zeros, first and second order, through the
 * internal scan and shift ops), and the errors. */
#include "testutil.h"

typedef struct {
    int axis;
} axis_arg;

static tg_tensor *cumsum_fn(tg_tensor *const *in, void *ctx)
{
    return tg_cumsum(in[0], ((const axis_arg *)ctx)->axis);
}

static tg_tensor *cumprod_fn(tg_tensor *const *in, void *ctx)
{
    return tg_cumprod(in[0], ((const axis_arg *)ctx)->axis);
}

START_TEST(cumulative_values)
{
    double v[6] = {1, 2, 3, -1, 0.5, 4}; /* [[1, 2, 3], [-1, 0.5, 4]] */
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *x = tu_tensor((tg_dtype)dt, TU_SHAPE(2, 3), v, false);
        tg_tensor *rows = tg_cumsum(x, 1), *cols = tg_cumsum(x, -2);
        tg_tensor *rprod = tg_cumprod(x, -1), *cprod = tg_cumprod(x, 0);
        tu_assert_ok(rows);
        tu_assert_ok(rprod);
        ck_assert_int_eq(tg_ndim(rows), 2);
        double want_rows[6] = {1, 3, 6, -1, -0.5, 3.5}, want_cols[6] = {1, 2, 3, 0, 2.5, 7};
        double want_rprod[6] = {1, 2, 6, -1, -0.5, -2}, want_cprod[6] = {1, 2, 3, -1, 1, 12};
        for (int i = 0; i < 6; i++) {
            tu_assert_close(tg_get(rows, i), want_rows[i], 0);
            tu_assert_close(tg_get(cols, i), want_cols[i], 0);
            tu_assert_close(tg_get(rprod, i), want_rprod[i], 0);
            tu_assert_close(tg_get(cprod, i), want_cprod[i], 0);
        }
        int axes[1];
        ck_assert_int_eq(tg_op_axis(tg_cumsum(tu_tensor((tg_dtype)dt, TU_SHAPE(2, 3), v, true), -1)),
                         1);
        ck_assert_int_eq(tg_op_axes(tg_cumprod(tu_tensor((tg_dtype)dt, TU_SHAPE(2, 3), v, true), 0),
                                    axes, 1), 1);
    }
}
END_TEST

/* L = sum_i w_i y_i: dL/dx_j = sum_{i >= j} w_i for cumsum. */
START_TEST(cumsum_gradient)
{
    tg_tensor *x = tu_tensor(TG_F64, TU_SHAPE(4), (double[]){1, 2, 3, 4}, true);
    tg_tensor *w = tu_tensor(TG_F64, TU_SHAPE(4), (double[]){1, -1, 2, 0.5}, false);
    ck_assert_int_eq(tg_backward(tg_sum(tg_mul(tg_cumsum(x, 0), w))), 0);
    double want[4] = {2.5, 1.5, 2.5, 0.5};
    for (int i = 0; i < 4; i++)
        tu_assert_close(tg_grad_get(x, i), want[i], 1e-15);
}
END_TEST

/* dx_i = sum_{j >= i} g_j prod_{k <= j, k != i} x_k, with zeros: PyTorch's
 * cumprod_backward values, no NaN from a division by x. */
START_TEST(cumprod_gradient_at_zeros)
{
    static const struct {
        double x[4], grad[4];
    } cases[] = {
        /* sum(cumprod): dx_i = sum_{j>=i} prod_{k<=j,k!=i} x_k */
        {{2, 3, 0.5, -1}, {1 + 3 + 1.5 - 1.5, 2 + 1 - 1, 0 + 6 - 6, 3}},
        {{2, 0, 3, 1}, {1, 2 + 6 + 6, 0, 0}},
        {{0, 2, 0, 5}, {1 + 2, 0, 0, 0}},
        {{3, 2, 0, 0}, {1 + 2, 3, 6, 0}},
    };
    for (int dt = TG_F32; dt <= TG_F64; dt++)
        for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
            tg_tensor *x = tu_tensor((tg_dtype)dt, TU_SHAPE(4), cases[c].x, true);
            ck_assert_int_eq(tg_backward(tg_sum(tg_cumprod(x, 0))), 0);
            for (int i = 0; i < 4; i++)
                tu_assert_close(tg_grad_get(x, i), cases[c].grad[i], 1e-6);
        }
}
END_TEST

/* Second order at a zero: with x = (a, 0, c), sum(cumprod) = a + 0 + 0 has
 * d2/da dx1 = 1 + c. */
START_TEST(cumprod_second_order_at_zero)
{
    tg_tensor *x = tu_tensor(TG_F64, TU_SHAPE(3), (double[]){2, 0, 5}, true), *dx, *d2;
    tg_tensor *y = tg_sum(tg_cumprod(x, 0));
    ck_assert_int_eq(tg_grad(&y, 1, &x, 1, &dx, true), 0);
    tg_tensor *d0 = tg_sum(tg_mul(dx, tu_tensor(TG_F64, TU_SHAPE(3), (double[]){1, 0, 0}, false)));
    ck_assert_int_eq(tg_grad(&d0, 1, &x, 1, &d2, false), 0);
    tu_assert_close(tg_get(d2, 0), 0, 0);
    tu_assert_close(tg_get(d2, 1), 1 + 5, 0);
    tu_assert_close(tg_get(d2, 2), 0, 0); /* d/dc of (1 + x1 + x1 c) at x1 = 0 */
}
END_TEST

START_TEST(cumulative_gradcheck)
{
    static const struct {
        tu_shape shape;
        axis_arg arg;
    } cases[] = {
        {TU_SHAPE(1), {0}},       {TU_SHAPE(5), {0}},         {TU_SHAPE(2, 3), {1}},
        {TU_SHAPE(2, 3), {-2}},   {TU_SHAPE(3, 1, 2), {1}},   {TU_SHAPE(2, 3, 2), {1}},
    };
    tg_gradcheck_opts f32 = {1e-2, 2e-2, 2e-2};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tu_gradcheck_both(cumsum_fn, (void *)&cases[i].arg, 1, &cases[i].shape, -2, 2);
        tu_gradcheck_both(cumprod_fn, (void *)&cases[i].arg, 1, &cases[i].shape, -1.5, 1.5);
        for (int dt = TG_F32; dt <= TG_F64; dt++) {
            tg_tensor *x = tu_rand((tg_dtype)dt, cases[i].shape, -1.5, 1.5, true);
            ck_assert_msg(tg_gradgradcheck(cumprod_fn, (void *)&cases[i].arg, 1, &x,
                                           dt == TG_F32 ? &f32 : NULL, NULL) == 0,
                          "%s", tg_last_error());
        }
    }
    /* with exact zeros inside */
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *x = tu_tensor((tg_dtype)dt, TU_SHAPE(5), (double[]){1.5, 0, -0.5, 0, 2}, true);
        axis_arg a0 = {0};
        ck_assert_int_eq(tg_gradcheck(cumprod_fn, &a0, 1, &x, NULL, NULL), 0);
        ck_assert_int_eq(tg_gradgradcheck(cumprod_fn, &a0, 1, &x, dt == TG_F32 ? &f32 : NULL, NULL),
                         0);
    }
}
END_TEST

START_TEST(cumulative_errors)
{
    ck_assert_ptr_null(tg_cumsum(tg_scalar(1), 0));
    ck_assert_int_eq(tg_last_error_code(), TG_EAXIS);
    ck_assert_str_eq(tg_last_error(), "tg_cumsum: axis 0 out of range for shape []");
    tg_clear_error();
    ck_assert_ptr_null(tg_cumprod(NULL, 0));
    ck_assert_str_eq(tg_last_error(), "tg_cumprod: argument 1 is NULL");
}
END_TEST

TCase *tg_test_cumsum(void)
{
    TCase *tc = tu_tcase("cumsum");
    tcase_add_test(tc, cumulative_values);
    tcase_add_test(tc, cumsum_gradient);
    tcase_add_test(tc, cumprod_gradient_at_zeros);
    tcase_add_test(tc, cumprod_second_order_at_zero);
    tcase_add_test(tc, cumulative_gradcheck);
    tcase_add_test(tc, cumulative_errors);
    return tc;
}
