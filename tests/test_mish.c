/* test_mish.c -- tg_mish: values and gradients against PyTorch's formula,
 * finite at +-1e4, errors. */
#include "pointwise_check.h"

static tg_tensor *mish_op(tg_tensor *x, const void *ctx)
{
    (void)ctx;
    return tg_mish(x);
}

static double mish_ref(double x, const void *ctx, double *dy)
{
    (void)ctx;
    double t = tanh(fmax(x, 0) + log1p(exp(-fabs(x))));
    double s = x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x));
    *dy = t + x * s * (1 - t * t);
    return x * t;
}

START_TEST(mish_values_and_gradient)
{
    double x[8] = {-1e4, -40, -2, -0.3, 0, 1, 25, 1e4};
    pc_check_points(mish_op, mish_ref, NULL, 8, x, 2e-6, 1e-14);
    /* tanh(log(1 + e)), to 17 digits */
    tu_assert_close(tg_item(tg_mish(tg_scalar(1))), 0.8650983882673103, 1e-15);
}
END_TEST

START_TEST(mish_gradcheck)
{
    pc_gradcheck_shapes(mish_op, NULL, -4, 4);
    pc_gradgradcheck(mish_op, NULL, -4, 4);
}
END_TEST

START_TEST(mish_errors)
{
    ck_assert_ptr_null(tg_mish(NULL));
    ck_assert_str_eq(tg_last_error(), "tg_mish: argument 1 is NULL");
}
END_TEST

TCase *tg_test_mish(void)
{
    TCase *tc = tu_tcase("mish");
    tcase_add_test(tc, mish_values_and_gradient);
    tcase_add_test(tc, mish_gradcheck);
    tcase_add_test(tc, mish_errors);
    return tc;
}
