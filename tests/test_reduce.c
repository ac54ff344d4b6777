/* test_reduce.c -- tg_sum, tg_mean, tg_sum_axis, tg_mean_axis: values,
 * shapes, gradients, errors. */
#include <string.h>

#include "testutil.h"

typedef struct {
    int axis;
    bool keepdim;
} axis_arg;

static tg_tensor *sum_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_sum(in[0]);
}

static tg_tensor *mean_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_mean(in[0]);
}

static tg_tensor *sum_axis_fn(tg_tensor *const *in, void *ctx)
{
    const axis_arg *arg = ctx;
    return tg_sum_axis(in[0], arg->axis, arg->keepdim);
}

static tg_tensor *mean_axis_fn(tg_tensor *const *in, void *ctx)
{
    const axis_arg *arg = ctx;
    return tg_mean_axis(in[0], arg->axis, arg->keepdim);
}

static void assert_shape(const tg_tensor *t, tu_shape want)
{
    ck_assert_int_eq(tg_ndim(t), want.ndim);
    for (int d = 0; d < want.ndim; d++)
        ck_assert_int_eq(tg_shape(t)[d], want.d[d]);
}

/* x = [[1, 2, 3], [4, 5, 6]] */
static const double x23[6] = {1, 2, 3, 4, 5, 6};

START_TEST(sum_and_mean_of_everything)
{
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *x = tu_tensor((tg_dtype)dt, TU_SHAPE(2, 3), x23, false);
        tg_tensor *s = tg_sum(x), *m = tg_mean(x);
        tu_assert_ok(s);
        tu_assert_ok(m);
        assert_shape(s, TU_SCALAR);
        assert_shape(m, TU_SCALAR);
        ck_assert_int_eq(tg_dtype_of(s), dt);
        tu_assert_close(tg_item(s), 21, 0);
        tu_assert_close(tg_item(m), 3.5, 0);
        tg_tensor *scalar = tg_scalar_of((tg_dtype)dt, -2.5);
        tu_assert_close(tg_item(tg_sum(scalar)), -2.5, 0);
        tu_assert_close(tg_item(tg_mean(scalar)), -2.5, 0);
    }
}
END_TEST

START_TEST(sum_axis_values_and_shapes)
{
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *x = tu_tensor((tg_dtype)dt, TU_SHAPE(2, 3), x23, false);
        tg_tensor *rows = tg_sum_axis(x, 1, false), *cols = tg_sum_axis(x, 0, true);
        tg_tensor *last = tg_sum_axis(x, -1, true), *means = tg_mean_axis(x, -2, false);
        tu_assert_ok(rows);
        tu_assert_ok(cols);
        tu_assert_ok(last);
        tu_assert_ok(means);
        assert_shape(rows, TU_SHAPE(2));
        assert_shape(cols, TU_SHAPE(1, 3));
        assert_shape(last, TU_SHAPE(2, 1));
        assert_shape(means, TU_SHAPE(3));
        double want_rows[2] = {6, 15}, want_cols[3] = {5, 7, 9}, want_means[3] = {2.5, 3.5, 4.5};
        for (int i = 0; i < 2; i++) {
            tu_assert_close(tg_get(rows, i), want_rows[i], 0);
            tu_assert_close(tg_get(last, i), want_rows[i], 0);
        }
        for (int i = 0; i < 3; i++) {
            tu_assert_close(tg_get(cols, i), want_cols[i], 0);
            tu_assert_close(tg_get(means, i), want_means[i], 0);
        }
    }
}
END_TEST

START_TEST(sum_axis_middle_of_three)
{
    /* x[i,j,k] = 100 i + 10 j + k over [2,3,4]; summing j gives
     * 300 i + 30 + 3 k */
    double v[24];
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 3; j++)
            for (int k = 0; k < 4; k++)
                v[(i * 3 + j) * 4 + k] = 100 * i + 10 * j + k;
    tg_tensor *y = tg_sum_axis(tu_tensor(TG_F64, TU_SHAPE(2, 3, 4), v, false), 1, false);
    tu_assert_ok(y);
    assert_shape(y, TU_SHAPE(2, 4));
    for (int i = 0; i < 2; i++)
        for (int k = 0; k < 4; k++)
            tu_assert_close(tg_get(y, i * 4 + k), 300 * i + 30 + 3 * k, 0);
}
END_TEST

START_TEST(f32_sum_accumulates_in_double)
{
    /* 0.1f added 100000 times in float drifts by about 1e-3 relative; one
     * rounding of a double total stays within float precision */
    enum { n = 100000 };
    tg_tensor *x = tg_full(TG_F32, 1, (const int64_t[]){n}, 0.1, false);
    double want = n * (double)0.1f;
    tu_assert_close(tg_item(tg_sum(x)), want, 1e-7);
    tu_assert_close(tg_item(tg_mean(x)), (double)0.1f, 1e-7);
}
END_TEST

START_TEST(mean_scales_the_gradient)
{
    tg_tensor *x = tu_tensor(TG_F64, TU_SHAPE(2, 3), x23, true);
    ck_assert_int_eq(tg_backward(tg_mean(x)), 0);
    for (int i = 0; i < 6; i++)
        tu_assert_close(tg_grad_get(x, i), 1.0 / 6, 1e-15);
    tg_tensor *z = tu_tensor(TG_F64, TU_SHAPE(2, 3), x23, true);
    ck_assert_int_eq(tg_backward(tg_sum(tg_mean_axis(z, 1, false))), 0);
    for (int i = 0; i < 6; i++)
        tu_assert_close(tg_grad_get(z, i), 1.0 / 3, 1e-15);
}
END_TEST

START_TEST(reductions_gradcheck)
{
    static const tu_shape shapes[] = {TU_SCALAR,       TU_SHAPE(1),       TU_SHAPE(5),
                                      TU_SHAPE(2, 3),  TU_SHAPE(3, 1, 2), TU_SHAPE(2, 3, 4)};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        tu_gradcheck_both(sum_fn, NULL, 1, &shapes[i], -2, 2);
        tu_gradcheck_both(mean_fn, NULL, 1, &shapes[i], -2, 2);
    }
}
END_TEST

START_TEST(axis_reductions_gradcheck)
{
    static const struct {
        tu_shape shape;
        axis_arg arg;
    } cases[] = {
        {TU_SHAPE(5), {0, false}},       {TU_SHAPE(5), {-1, true}},
        {TU_SHAPE(2, 3), {0, false}},    {TU_SHAPE(2, 3), {1, true}},
        {TU_SHAPE(2, 3), {-1, false}},   {TU_SHAPE(2, 3), {-2, true}},
        {TU_SHAPE(3, 1, 2), {1, false}}, {TU_SHAPE(3, 1, 2), {1, true}},
        {TU_SHAPE(2, 3, 4), {1, false}}, {TU_SHAPE(2, 3, 4), {-1, true}},
        {TU_SHAPE(1, 4), {0, false}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tu_gradcheck_both(sum_axis_fn, (void *)&cases[i].arg, 1, &cases[i].shape, -2, 2);
        tu_gradcheck_both(mean_axis_fn, (void *)&cases[i].arg, 1, &cases[i].shape, -2, 2);
    }
}
END_TEST

START_TEST(bad_axis_is_an_error)
{
    tg_tensor *x = tu_tensor(TG_F64, TU_SHAPE(2, 3), x23, false);
    ck_assert_ptr_null(tg_sum_axis(x, 3, false));
    ck_assert_int_eq(tg_last_error_code(), TG_EAXIS);
    ck_assert_str_eq(tg_last_error(), "tg_sum_axis: axis 3 out of range for shape [2,3]");
    tg_clear_error();
    ck_assert_ptr_null(tg_mean_axis(x, -3, true));
    ck_assert_str_eq(tg_last_error(), "tg_mean_axis: axis -3 out of range for shape [2,3]");
    tg_clear_error();
    ck_assert_ptr_null(tg_sum_axis(tg_scalar(1), 0, false));
    ck_assert_str_eq(tg_last_error(), "tg_sum_axis: axis 0 out of range for shape []");
    tg_clear_error(); /* else the NULL would be blamed on the failure above */
    ck_assert_ptr_null(tg_sum(NULL));
    ck_assert_int_eq(tg_last_error_code(), TG_ENULL);
    ck_assert(strstr(tg_last_error(), "tg_sum") != NULL);
}
END_TEST

START_TEST(empty_reductions)
{
    tg_tensor *x = tu_tensor(TG_F64, TU_SHAPE(2, 0), NULL, false);
    tu_assert_close(tg_item(tg_sum(x)), 0, 0);
    ck_assert(isnan(tg_item(tg_mean(x))));
    tg_tensor *rows = tg_sum_axis(x, 1, false);
    tu_assert_ok(rows);
    assert_shape(rows, TU_SHAPE(2));
    tu_assert_close(tg_get(rows, 1), 0, 0);
}
END_TEST

TCase *tg_test_reduce(void)
{
    TCase *tc = tu_tcase("reduce");
    tcase_add_test(tc, sum_and_mean_of_everything);
    tcase_add_test(tc, sum_axis_values_and_shapes);
    tcase_add_test(tc, sum_axis_middle_of_three);
    tcase_add_test(tc, f32_sum_accumulates_in_double);
    tcase_add_test(tc, mean_scales_the_gradient);
    tcase_add_test(tc, reductions_gradcheck);
    tcase_add_test(tc, axis_reductions_gradcheck);
    tcase_add_test(tc, bad_axis_is_an_error);
    tcase_add_test(tc, empty_reductions);
    return tc;
}
