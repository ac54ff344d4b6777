/* test_reduce_dims.c -- tg_sum_dims and tg_mean_dims (reductions over a set
 * of axes), the axis-set walk they share with every reduction, tg_op_axes,
 * and the errors. */
#include <string.h>

#include "testutil.h"

typedef struct {
    int n;
    int axes[TG_MAX_DIMS];
    bool keepdim;
} axes_arg;

static tg_tensor *sum_dims_fn(tg_tensor *const *in, void *ctx)
{
    const axes_arg *a = ctx;
    return tg_sum_dims(in[0], a->n, a->axes, a->keepdim);
}

static tg_tensor *mean_dims_fn(tg_tensor *const *in, void *ctx)
{
    const axes_arg *a = ctx;
    return tg_mean_dims(in[0], a->n, a->axes, a->keepdim);
}

static void assert_shape(const tg_tensor *t, tu_shape want)
{
    ck_assert_int_eq(tg_ndim(t), want.ndim);
    for (int d = 0; d < want.ndim; d++)
        ck_assert_int_eq(tg_shape(t)[d], want.d[d]);
}

/* x[i,j,k] = 100 i + 10 j + k over [2,3,4] */
static tg_tensor *x234(tg_dtype dtype, bool requires_grad)
{
    double v[24];
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 3; j++)
            for (int k = 0; k < 4; k++)
                v[(i * 3 + j) * 4 + k] = 100 * i + 10 * j + k;
    return tu_tensor(dtype, TU_SHAPE(2, 3, 4), v, requires_grad);
}

/* Axes 0 and 2 are not neighbours: the walk keeps j and visits (i, k). */
START_TEST(sum_over_outer_and_inner_axes)
{
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *x = x234((tg_dtype)dt, false);
        tg_tensor *y = tg_sum_dims(x, 2, (const int[]){0, -1}, false);
        tu_assert_ok(y);
        ck_assert_int_eq(tg_op_kind_of(tg_sum_dims(x234((tg_dtype)dt, true), 1, (const int[]){0},
                                                   false)),
                         TG_OP_SUM_DIMS);
        assert_shape(y, TU_SHAPE(3));
        for (int j = 0; j < 3; j++) /* sum over i, k of 100 i + 10 j + k */
            tu_assert_close(tg_get(y, j), 400 + 80 * j + 12, 0);
        tg_tensor *m = tg_mean_dims(x, 2, (const int[]){2, 0}, true);
        tu_assert_ok(m);
        assert_shape(m, TU_SHAPE(1, 3, 1));
        for (int j = 0; j < 3; j++)
            tu_assert_close(tg_get(m, j), (400 + 80 * j + 12) / 8.0, 1e-7);
        tg_tensor *mid = tg_sum_dims(x, 2, (const int[]){1, 0}, false);
        assert_shape(mid, TU_SHAPE(4));
        for (int k = 0; k < 4; k++) /* 300 + 60 + 6 k */
            tu_assert_close(tg_get(mid, k), 360 + 6 * k, 0);
    }
}
END_TEST

/* n_axes == 0 and the full list both reduce everything; one axis matches
 * tg_sum_axis, with which it shares its kernel. */
START_TEST(dims_agree_with_sum_and_sum_axis)
{
    tg_tensor *x = x234(TG_F64, false);
    tg_tensor *all = tg_sum_dims(x, 0, NULL, false);
    tg_tensor *listed = tg_sum_dims(x, 3, (const int[]){0, 1, 2}, true);
    assert_shape(all, TU_SCALAR);
    assert_shape(listed, TU_SHAPE(1, 1, 1));
    tu_assert_close(tg_item(all), tg_item(tg_sum(x)), 0);
    tu_assert_close(tg_get(listed, 0), tg_item(tg_sum(x)), 0);
    tg_tensor *one = tg_sum_dims(x, 1, (const int[]){1}, false), *ax = tg_sum_axis(x, 1, false);
    for (int i = 0; i < 8; i++)
        tu_assert_close(tg_get(one, i), tg_get(ax, i), 0);
    tu_assert_close(tg_item(tg_mean_dims(x, 0, NULL, false)), tg_item(tg_mean(x)), 1e-15);
}
END_TEST

START_TEST(dims_gradient_is_spread)
{
    tg_tensor *x = x234(TG_F64, true);
    tg_tensor *y = tg_mean_dims(x, 2, (const int[]){0, 2}, false);
    /* L = sum_j w_j y_j with w = (1, 2, 3): dL/dx[i,j,k] = w_j / 8 */
    tg_tensor *w = tu_tensor(TG_F64, TU_SHAPE(3), (double[]){1, 2, 3}, false);
    ck_assert_int_eq(tg_backward(tg_sum(tg_mul(y, w))), 0);
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 3; j++)
            for (int k = 0; k < 4; k++)
                tu_assert_close(tg_grad_get(x, (i * 3 + j) * 4 + k), (j + 1) / 8.0, 1e-15);
}
END_TEST

START_TEST(dims_gradcheck)
{
    static const struct {
        tu_shape shape;
        axes_arg arg;
    } cases[] = {
        {TU_SCALAR, {0, {0}, false}},          {TU_SHAPE(5), {1, {0}, true}},
        {TU_SHAPE(2, 3), {2, {0, 1}, false}},  {TU_SHAPE(2, 3), {2, {1, 0}, true}},
        {TU_SHAPE(3, 1, 2), {2, {0, 1}, false}}, {TU_SHAPE(3, 1, 2), {2, {-1, 1}, true}},
        {TU_SHAPE(2, 3, 4), {2, {0, 2}, false}}, {TU_SHAPE(2, 3, 4), {2, {1, 2}, true}},
        {TU_SHAPE(1, 4), {0, {0}, true}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tu_gradcheck_both(sum_dims_fn, (void *)&cases[i].arg, 1, &cases[i].shape, -2, 2);
        tu_gradcheck_both(mean_dims_fn, (void *)&cases[i].arg, 1, &cases[i].shape, -2, 2);
    }
}
END_TEST

START_TEST(dims_gradgrad)
{
    axes_arg arg = {2, {0, 2}, false};
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *x = tu_rand((tg_dtype)dt, TU_SHAPE(2, 3, 2), -2, 2, true);
        tg_gradcheck_opts f32 = {1e-2, 2e-2, 2e-2};
        ck_assert_int_eq(tg_gradgradcheck(mean_dims_fn, &arg, 1, &x, dt == TG_F32 ? &f32 : NULL,
                                          NULL), 0);
    }
}
END_TEST

START_TEST(op_axes_reports_the_set)
{
    tg_tensor *x = x234(TG_F64, true);
    int axes[TG_MAX_DIMS];
    ck_assert_int_eq(tg_op_axes(tg_sum_dims(x, 2, (const int[]){2, 0}, false), axes, 6), 2);
    ck_assert_int_eq(axes[0], 0);
    ck_assert_int_eq(axes[1], 2);
    ck_assert_int_eq(tg_op_axes(tg_sum(x), axes, 6), 3);
    ck_assert_int_eq(tg_op_axes(tg_softmax(x, -1), axes, 1), 1);
    ck_assert_int_eq(axes[0], 2);
    ck_assert_int_eq(tg_op_axes(tg_max_axis(x, 1, true), NULL, 0), 1); /* only counted */
    ck_assert_int_lt(tg_op_axes(tg_exp(x), axes, 6), 0);
    ck_assert_str_eq(tg_last_error(), "tg_op_axes: tg_exp works along no axes");
    tg_clear_error();
    ck_assert_int_lt(tg_op_axis(tg_sum_dims(x, 1, (const int[]){0}, false)), 0);
}
END_TEST

START_TEST(dims_errors)
{
    tg_tensor *x = x234(TG_F64, false);
    ck_assert_ptr_null(tg_sum_dims(x, 2, (const int[]){0, -3}, false));
    ck_assert_int_eq(tg_last_error_code(), TG_EAXIS);
    ck_assert_str_eq(tg_last_error(), "tg_sum_dims: axis 0 appears twice in the list of axes");
    tg_clear_error();
    ck_assert_ptr_null(tg_mean_dims(x, 1, (const int[]){3}, false));
    ck_assert_str_eq(tg_last_error(), "tg_mean_dims: axis 3 out of range for shape [2,3,4]");
    tg_clear_error();
    ck_assert_ptr_null(tg_sum_dims(x, 2, NULL, false));
    ck_assert_str_eq(tg_last_error(), "tg_sum_dims: 2 axes but the list is NULL");
    tg_clear_error();
    ck_assert_ptr_null(tg_sum_dims(x, 7, (const int[]){0, 1, 2, 0, 1, 2, 0}, false));
    ck_assert_str_eq(tg_last_error(), "tg_sum_dims: 7 axes; a list holds 0 to 6");
    tg_clear_error();
    ck_assert_ptr_null(tg_sum_dims(NULL, 0, NULL, false));
    ck_assert_int_eq(tg_last_error_code(), TG_ENULL);
    tg_clear_error();
    tg_tensor *empty = tu_tensor(TG_F64, TU_SHAPE(2, 0, 3), NULL, false);
    tg_tensor *y = tg_sum_dims(empty, 2, (const int[]){0, 1}, false);
    tu_assert_ok(y);
    assert_shape(y, TU_SHAPE(3));
    tu_assert_close(tg_get(y, 2), 0, 0);
    ck_assert(isnan(tg_get(tg_mean_dims(empty, 2, (const int[]){1, 2}, false), 0)));
}
END_TEST

TCase *tg_test_reduce_dims(void)
{
    TCase *tc = tu_tcase("reduce_dims");
    tcase_add_test(tc, sum_over_outer_and_inner_axes);
    tcase_add_test(tc, dims_agree_with_sum_and_sum_axis);
    tcase_add_test(tc, dims_gradient_is_spread);
    tcase_add_test(tc, dims_gradcheck);
    tcase_add_test(tc, dims_gradgrad);
    tcase_add_test(tc, op_axes_reports_the_set);
    tcase_add_test(tc, dims_errors);
    return tc;
}
