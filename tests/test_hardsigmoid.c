/* test_hardsigmoid.c -- tg_hardsigmoid: values, slope 1/6 inside, PyTorch's
 * zero gradient at -3 and 3, errors. */
#include "pointwise_check.h"

static tg_tensor *hardsigmoid_op(tg_tensor *x, const void *ctx)
{
    (void)ctx;
    return tg_hardsigmoid(x);
}

static double hardsigmoid_ref(double x, const void *ctx, double *dy)
{
    (void)ctx;
    *dy = x > -3 && x < 3 ? 1.0 / 6 : 0;
    return fmin(fmax(x + 3, 0), 6) / 6;
}

START_TEST(hardsigmoid_values_and_gradient)
{
    double x[7] = {-1e4, -4, -2.5, 0, 1, 2.9, 1e4};
    pc_check_points(hardsigmoid_op, hardsigmoid_ref, NULL, 7, x, 1e-7, 1e-16);
    ck_assert(tg_item(tg_hardsigmoid(tg_scalar(0))) == 0.5);
}
END_TEST

START_TEST(hardsigmoid_gradient_is_zero_at_the_kinks)
{
    pc_check_grad_at(hardsigmoid_op, NULL, 3, (double[]){-3, 3, 0}, (double[]){0, 0, 1.0 / 6});
}
END_TEST

START_TEST(hardsigmoid_gradcheck)
{
    pc_gradcheck_shapes(hardsigmoid_op, NULL, -2.8, 2.8);
    pc_gradcheck_shapes(hardsigmoid_op, NULL, 3.2, 5);
}
END_TEST

START_TEST(hardsigmoid_errors)
{
    ck_assert_ptr_null(tg_hardsigmoid(NULL));
    ck_assert_str_eq(tg_last_error(), "tg_hardsigmoid: argument 1 is NULL");
}
END_TEST

TCase *tg_test_hardsigmoid(void)
{
    TCase *tc = tu_tcase("hardsigmoid");
    tcase_add_test(tc, hardsigmoid_values_and_gradient);
    tcase_add_test(tc, hardsigmoid_gradient_is_zero_at_the_kinks);
    tcase_add_test(tc, hardsigmoid_gradcheck);
    tcase_add_test(tc, hardsigmoid_errors);
    return tc;
}
