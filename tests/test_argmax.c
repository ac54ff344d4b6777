/* test_argmax.c -- tg_argmax and tg_argmin: first occurrence on ties, NaN,
 * the index held in the operand's dtype, no gradient, and the errors. */
#include "testutil.h"

START_TEST(argmax_values_and_ties)
{
    /* [[1, 7, 7], [9, -2, 9]] */
    double v[6] = {1, 7, 7, 9, -2, 9};
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *x = tu_tensor((tg_dtype)dt, TU_SHAPE(2, 3), v, true);
        tg_tensor *all = tg_argmax(x);
        tu_assert_ok(all);
        ck_assert_int_eq(tg_dtype_of(all), dt);
        ck_assert_int_eq(tg_ndim(all), 0);
        ck_assert_int_eq(tg_op_kind_of(all), TG_OP_ARGMAX);
        tu_assert_close(tg_item(all), 3, 0); /* the first 9, flat index */
        tu_assert_close(tg_item(tg_argmin(x)), 4, 0);
        tg_tensor *rows = tg_argmax_axis(x, 1, false);
        ck_assert_int_eq(tg_ndim(rows), 1);
        tu_assert_close(tg_get(rows, 0), 1, 0); /* first of the tied 7s */
        tu_assert_close(tg_get(rows, 1), 0, 0);
        tg_tensor *cols = tg_argmin_axis(x, 0, true);
        ck_assert_int_eq(tg_ndim(cols), 2);
        double want[3] = {0, 1, 0};
        for (int j = 0; j < 3; j++)
            tu_assert_close(tg_get(cols, j), want[j], 0);
    }
}
END_TEST

START_TEST(nan_counts_as_the_extreme)
{
    tg_tensor *x = tu_tensor(TG_F64, TU_SHAPE(4), (double[]){1, NAN, 5, NAN}, false);
    tu_assert_close(tg_item(tg_argmax(x)), 1, 0);
    tu_assert_close(tg_item(tg_argmin(x)), 1, 0);
}
END_TEST

/* No gradient flows through an index: the rule returns none. */
START_TEST(argmax_has_no_gradient)
{
    tg_tensor *x = tu_tensor(TG_F64, TU_SHAPE(3), (double[]){1, 3, 2}, true);
    tg_tensor *y = tg_add(tg_argmax(x), tg_sum(x));
    ck_assert_int_eq(tg_backward(y), 0);
    for (int i = 0; i < 3; i++)
        tu_assert_close(tg_grad_get(x, i), 1, 0);
    int axes[TG_MAX_DIMS];
    ck_assert_int_eq(tg_op_axes(tg_argmin_axis(x, -1, false), axes, 6), 1);
    ck_assert_int_eq(axes[0], 0);
}
END_TEST

START_TEST(argmax_errors)
{
    tg_tensor *empty = tu_tensor(TG_F64, TU_SHAPE(0), NULL, false);
    ck_assert_ptr_null(tg_argmax(empty));
    ck_assert_str_eq(tg_last_error(), "tg_argmax: tensor of shape [0] is empty; it has no extreme");
    tg_clear_error();
    ck_assert_ptr_null(tg_argmin_axis(tu_tensor(TG_F64, TU_SHAPE(2), NULL, false), 1, false));
    ck_assert_int_eq(tg_last_error_code(), TG_EAXIS);
    ck_assert_str_eq(tg_last_error(), "tg_argmin_axis: axis 1 out of range for shape [2]");
    tg_clear_error();
    /* 2^24 + 1 elements: an f32 index would round */
    int64_t n = ((int64_t)1 << 24) + 1;
    tg_tensor *big = tg_full(TG_F32, 1, &n, 0, false);
    ck_assert_ptr_null(tg_argmax(big));
    ck_assert_int_eq(tg_last_error_code(), TG_EVALUE);
    ck_assert_str_eq(tg_last_error(), "tg_argmax: a slice of 16777217 elements has indices a "
                                      "float32 cannot hold exactly (above 2^24); cast x to float64");
    tg_clear_error();
    ck_assert_ptr_null(tg_argmax(NULL));
    ck_assert_int_eq(tg_last_error_code(), TG_ENULL);
}
END_TEST

TCase *tg_test_argmax(void)
{
    TCase *tc = tu_tcase("argmax");
    tcase_add_test(tc, argmax_values_and_ties);
    tcase_add_test(tc, nan_counts_as_the_extreme);
    tcase_add_test(tc, argmax_has_no_gradient);
    tcase_add_test(tc, argmax_errors);
    return tc;
}
