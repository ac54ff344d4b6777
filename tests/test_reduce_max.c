/* test_reduce_max.c -- tg_max, tg_min, tg_max_axis, tg_min_axis: values,
 * ties, gradients, errors. */
#include <tapegrad/gradcheck.h>

#include "testutil.h"

typedef struct {
    tg_tensor *(*reduce)(tg_tensor *x, int axis, bool keepdim);
    int axis;
    bool keepdim;
} axis_arg;

static tg_tensor *max_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_max(in[0]);
}

static tg_tensor *min_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_min(in[0]);
}

static tg_tensor *axis_fn(tg_tensor *const *in, void *ctx)
{
    const axis_arg *arg = ctx;
    return arg->reduce(in[0], arg->axis, arg->keepdim);
}

/* Distinct values 0.25 apart in scrambled order (i -> 5 i mod 29 is one to
 * one below 29): the gap dwarfs the finite-difference step, so no
 * perturbation changes which element wins. */
static tg_tensor *spaced(tg_dtype dtype, tu_shape shape)
{
    tg_tensor *t = tu_tensor(dtype, shape, NULL, true);
    ck_assert_int_le(tg_numel(t), 29);
    for (int64_t i = 0; i < tg_numel(t); i++)
        tg_set(t, i, 0.25 * (double)(i * 5 % 29) - 3);
    return t;
}

static void gradcheck_spaced(tg_fn f, void *ctx, tu_shape shape)
{
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *x = spaced((tg_dtype)dt, shape);
        ck_assert_msg(tg_gradcheck(f, ctx, 1, &x, NULL, NULL) == 0, "%s", tg_last_error());
    }
}

static const double x23[6] = {3, -1, 3, 2, 5, 0}; /* [[3,-1,3],[2,5,0]] */

START_TEST(extremes_of_everything)
{
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *x = tu_tensor((tg_dtype)dt, TU_SHAPE(2, 3), x23, false);
        tg_tensor *hi = tg_max(x), *lo = tg_min(x);
        tu_assert_ok(hi);
        tu_assert_ok(lo);
        ck_assert_int_eq(tg_ndim(hi), 0);
        ck_assert_int_eq(tg_dtype_of(hi), dt);
        tu_assert_close(tg_item(hi), 5, 0);
        tu_assert_close(tg_item(lo), -1, 0);
        tu_assert_close(tg_item(tg_max(tg_scalar_of((tg_dtype)dt, 4))), 4, 0);
    }
}
END_TEST

START_TEST(extremes_along_an_axis)
{
    tg_tensor *x = tu_tensor(TG_F64, TU_SHAPE(2, 3), x23, false);
    tg_tensor *row_max = tg_max_axis(x, 1, false), *col_min = tg_min_axis(x, -2, true);
    tu_assert_ok(row_max);
    tu_assert_ok(col_min);
    ck_assert_int_eq(tg_ndim(row_max), 1);
    ck_assert_int_eq(tg_ndim(col_min), 2);
    ck_assert_int_eq(tg_shape(col_min)[0], 1);
    ck_assert_int_eq(tg_shape(col_min)[1], 3);
    tu_assert_close(tg_get(row_max, 0), 3, 0);
    tu_assert_close(tg_get(row_max, 1), 5, 0);
    double want_min[3] = {2, -1, 0};
    for (int i = 0; i < 3; i++)
        tu_assert_close(tg_get(col_min, i), want_min[i], 0);
}
END_TEST

START_TEST(tie_sends_gradient_to_the_first)
{
    double v[4] = {1, 3, 3, 2};
    tg_tensor *x = tu_tensor(TG_F64, TU_SHAPE(4), v, true);
    ck_assert_int_eq(tg_backward(tg_max(x)), 0);
    double want[4] = {0, 1, 0, 0};
    for (int i = 0; i < 4; i++)
        tu_assert_close(tg_grad_get(x, i), want[i], 0);

    double w[4] = {2, 1, 1, 1};
    tg_tensor *z = tu_tensor(TG_F32, TU_SHAPE(4), w, true);
    ck_assert_int_eq(tg_backward(tg_min(z)), 0);
    double want_min[4] = {0, 1, 0, 0};
    for (int i = 0; i < 4; i++)
        tu_assert_close(tg_grad_get(z, i), want_min[i], 0);
}
END_TEST

START_TEST(axis_tie_sends_gradient_to_the_first)
{
    /* rows [3,-1,3] and [2,5,0]: maxima at columns 0 (first of a tie) and 1;
     * column maxima at rows 0, 1, 0 */
    tg_tensor *x = tu_tensor(TG_F64, TU_SHAPE(2, 3), x23, true);
    ck_assert_int_eq(tg_backward(tg_sum(tg_max_axis(x, -1, false))), 0);
    double want_rows[6] = {1, 0, 0, 0, 1, 0};
    for (int i = 0; i < 6; i++)
        tu_assert_close(tg_grad_get(x, i), want_rows[i], 0);
    tg_zero_grad(x);
    ck_assert_int_eq(tg_backward(tg_sum(tg_max_axis(x, 0, true))), 0);
    double want_cols[6] = {1, 0, 1, 0, 1, 0};
    for (int i = 0; i < 6; i++)
        tu_assert_close(tg_grad_get(x, i), want_cols[i], 0);
}
END_TEST

START_TEST(gradient_follows_the_forward_choice)
{
    /* overwriting x after the forward does not move the gradient */
    double v[3] = {1, 4, 2};
    tg_tensor *x = tu_tensor(TG_F64, TU_SHAPE(3), v, true);
    tg_tensor *y = tg_max(x);
    tg_set(x, 2, 9);
    ck_assert_int_eq(tg_backward(y), 0);
    tu_assert_close(tg_grad_get(x, 1), 1, 0);
    tu_assert_close(tg_grad_get(x, 2), 0, 0);
}
END_TEST

START_TEST(nan_propagates)
{
    double v[3] = {1, NAN, 2};
    tg_tensor *x = tu_tensor(TG_F64, TU_SHAPE(3), v, true);
    ck_assert(isnan(tg_item(tg_max(x))));
    tg_tensor *lo = tg_min(x);
    ck_assert(isnan(tg_item(lo)));
    ck_assert_int_eq(tg_backward(lo), 0);
    tu_assert_close(tg_grad_get(x, 1), 1, 0);
}
END_TEST

START_TEST(extremes_gradcheck)
{
    static const tu_shape shapes[] = {TU_SCALAR, TU_SHAPE(1), TU_SHAPE(5), TU_SHAPE(2, 3),
                                      TU_SHAPE(2, 1, 3)};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        gradcheck_spaced(max_fn, NULL, shapes[i]);
        gradcheck_spaced(min_fn, NULL, shapes[i]);
    }
}
END_TEST

START_TEST(axis_extremes_gradcheck)
{
    static const struct {
        tu_shape shape;
        int axis;
        bool keepdim;
    } cases[] = {
        {TU_SHAPE(5), 0, false},       {TU_SHAPE(5), -1, true},     {TU_SHAPE(2, 3), 0, true},
        {TU_SHAPE(2, 3), 1, false},    {TU_SHAPE(2, 3), -2, false}, {TU_SHAPE(3, 1, 2), 1, false},
        {TU_SHAPE(2, 3, 4), 1, true},  {TU_SHAPE(2, 3, 4), -1, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        axis_arg max_arg = {tg_max_axis, cases[i].axis, cases[i].keepdim};
        axis_arg min_arg = {tg_min_axis, cases[i].axis, cases[i].keepdim};
        gradcheck_spaced(axis_fn, &max_arg, cases[i].shape);
        gradcheck_spaced(axis_fn, &min_arg, cases[i].shape);
    }
}
END_TEST

START_TEST(errors)
{
    tg_tensor *x = tu_tensor(TG_F64, TU_SHAPE(2, 3), x23, false);
    ck_assert_ptr_null(tg_max_axis(x, 2, false));
    ck_assert_int_eq(tg_last_error_code(), TG_EAXIS);
    ck_assert_str_eq(tg_last_error(), "tg_max_axis: axis 2 out of range for shape [2,3]");
    tg_clear_error();
    ck_assert_ptr_null(tg_min_axis(x, -3, true));
    ck_assert_str_eq(tg_last_error(), "tg_min_axis: axis -3 out of range for shape [2,3]");
    tg_clear_error();
    tg_tensor *empty = tu_tensor(TG_F64, TU_SHAPE(2, 0), NULL, false);
    ck_assert_ptr_null(tg_max(empty));
    ck_assert_int_eq(tg_last_error_code(), TG_ESHAPE);
    ck_assert_str_eq(tg_last_error(), "tg_max: tensor of shape [2,0] is empty; it has no extreme");
    tg_clear_error();
    ck_assert_ptr_null(tg_min_axis(empty, 1, false));
    ck_assert_str_eq(tg_last_error(),
                     "tg_min_axis: axis 1 of shape [2,0] is empty; it has no extreme");
    tg_clear_error();
    tg_tensor *none = tg_max_axis(empty, 0, false); /* two empty slices of length 2 */
    tu_assert_ok(none);
    ck_assert_int_eq(tg_numel(none), 0);
}
END_TEST

TCase *tg_test_reduce_max(void)
{
    TCase *tc = tu_tcase("reduce_max");
    tcase_add_test(tc, extremes_of_everything);
    tcase_add_test(tc, extremes_along_an_axis);
    tcase_add_test(tc, tie_sends_gradient_to_the_first);
    tcase_add_test(tc, axis_tie_sends_gradient_to_the_first);
    tcase_add_test(tc, gradient_follows_the_forward_choice);
    tcase_add_test(tc, nan_propagates);
    tcase_add_test(tc, extremes_gradcheck);
    tcase_add_test(tc, axis_extremes_gradcheck);
    tcase_add_test(tc, errors);
    return tc;
}
