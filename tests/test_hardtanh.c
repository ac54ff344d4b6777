/* test_hardtanh.c -- tg_hardtanh: values, PyTorch's zero gradient at both
 * bounds, both constants, errors. */
#include "pointwise_check.h"

typedef struct {
    double lo, hi;
} bounds;

static tg_tensor *hardtanh_op(tg_tensor *x, const void *ctx)
{
    const bounds *b = ctx;
    return tg_hardtanh(x, b->lo, b->hi);
}

static double hardtanh_ref(double x, const void *ctx, double *dy)
{
    const bounds *b = ctx;
    *dy = x > b->lo && x < b->hi;
    return fmin(fmax(x, b->lo), b->hi);
}

START_TEST(hardtanh_values_and_gradient)
{
    double x[7] = {-1e4, -3, -0.5, 0, 0.75, 2, 1e4};
    bounds defaults = {-1, 1}, wide = {-2.5, 1.5};
    pc_check_points(hardtanh_op, hardtanh_ref, &defaults, 7, x, 0, 0);
    pc_check_points(hardtanh_op, hardtanh_ref, &wide, 7, x, 0, 0);
}
END_TEST

/* PyTorch's hardtanh_backward is 0 where x <= min_val or x >= max_val. */
START_TEST(hardtanh_gradient_is_zero_at_the_bounds)
{
    bounds defaults = {-1, 1};
    pc_check_grad_at(hardtanh_op, &defaults, 4, (double[]){-1, 1, -0.999, 0.999},
                     (double[]){0, 0, 1, 1});
    tg_tensor *y = tg_hardtanh(tg_scalar(NAN), -1, 1);
    ck_assert(isnan(tg_item(y)));
    double c[2];
    ck_assert_int_eq(tg_op_constants(tg_hardtanh(tg_var(0), -2, 3), c, 2), 2);
    ck_assert(c[0] == -2 && c[1] == 3);
}
END_TEST

START_TEST(hardtanh_gradcheck)
{
    bounds b = {-1, 1};
    pc_gradcheck_shapes(hardtanh_op, &b, -0.9, 0.9);
    pc_gradcheck_shapes(hardtanh_op, &b, 1.1, 3);
    pc_gradgradcheck(hardtanh_op, &b, -0.9, 0.9);
}
END_TEST

START_TEST(hardtanh_errors)
{
    ck_assert_ptr_null(tg_hardtanh(tg_var(0), 2, 1));
    ck_assert_str_eq(tg_last_error(), "tg_hardtanh: min_val 2 must not exceed max_val 1");
    ck_assert_int_eq(tg_last_error_code(), TG_EVALUE);
    tg_clear_error();
    ck_assert_ptr_null(tg_hardtanh(NULL, -1, 1));
    ck_assert_str_eq(tg_last_error(), "tg_hardtanh: argument 1 is NULL");
}
END_TEST

TCase *tg_test_hardtanh(void)
{
    TCase *tc = tu_tcase("hardtanh");
    tcase_add_test(tc, hardtanh_values_and_gradient);
    tcase_add_test(tc, hardtanh_gradient_is_zero_at_the_bounds);
    tcase_add_test(tc, hardtanh_gradcheck);
    tcase_add_test(tc, hardtanh_errors);
    return tc;
}
