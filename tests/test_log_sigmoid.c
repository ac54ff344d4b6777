/* test_log_sigmoid.c -- tg_log_sigmoid: values and gradients against
 * -softplus(-x), finite at -1e4, errors. */
#include "pointwise_check.h"

static tg_tensor *log_sigmoid_op(tg_tensor *x, const void *ctx)
{
    (void)ctx;
    return tg_log_sigmoid(x);
}

static double log_sigmoid_ref(double x, const void *ctx, double *dy)
{
    (void)ctx;
    *dy = x <= 0 ? 1 / (1 + exp(x)) : exp(-x) / (1 + exp(-x));
    return fmin(x, 0) - log1p(exp(-fabs(x)));
}

START_TEST(log_sigmoid_values_and_gradient)
{
    double x[8] = {-1e4, -100, -3, -0.5, 0, 0.5, 40, 1e4};
    pc_check_points(log_sigmoid_op, log_sigmoid_ref, NULL, 8, x, 2e-6, 1e-15);
    tg_tensor *y = tg_log_sigmoid(tg_scalar(-1e4));
    ck_assert(tg_item(y) == -1e4); /* log(sigmoid(-1e4)) would be log(0) = -inf */
}
END_TEST

START_TEST(log_sigmoid_gradcheck)
{
    pc_gradcheck_shapes(log_sigmoid_op, NULL, -5, 5);
    pc_gradgradcheck(log_sigmoid_op, NULL, -5, 5);
}
END_TEST

START_TEST(log_sigmoid_errors)
{
    ck_assert_ptr_null(tg_log_sigmoid(NULL));
    ck_assert_str_eq(tg_last_error(), "tg_log_sigmoid: argument 1 is NULL");
}
END_TEST

TCase *tg_test_log_sigmoid(void)
{
    TCase *tc = tu_tcase("log_sigmoid");
    tcase_add_test(tc, log_sigmoid_values_and_gradient);
    tcase_add_test(tc, log_sigmoid_gradcheck);
    tcase_add_test(tc, log_sigmoid_errors);
    return tc;
}
