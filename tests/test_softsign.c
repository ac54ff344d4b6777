/* test_softsign.c -- tg_softsign: values and gradients, smooth at 0, large
 * inputs, errors. */
#include "pointwise_check.h"

static tg_tensor *softsign_op(tg_tensor *x, const void *ctx)
{
    (void)ctx;
    return tg_softsign(x);
}

static double softsign_ref(double x, const void *ctx, double *dy)
{
    (void)ctx;
    *dy = 1 / ((1 + fabs(x)) * (1 + fabs(x)));
    return x / (1 + fabs(x));
}

START_TEST(softsign_values_and_gradient)
{
    double x[7] = {-1e30, -1e4, -2, 0, 0.5, 3, 1e4};
    pc_check_points(softsign_op, softsign_ref, NULL, 7, x, 2e-6, 1e-15);
    pc_check_grad_at(softsign_op, NULL, 1, (double[]){0}, (double[]){1});
}
END_TEST

START_TEST(softsign_gradcheck)
{
    pc_gradcheck_shapes(softsign_op, NULL, -3, 3);
    pc_gradgradcheck(softsign_op, NULL, 0.2, 3);
    pc_gradgradcheck(softsign_op, NULL, -3, -0.2);
}
END_TEST

START_TEST(softsign_errors)
{
    ck_assert_ptr_null(tg_softsign(NULL));
    ck_assert_str_eq(tg_last_error(), "tg_softsign: argument 1 is NULL");
}
END_TEST

TCase *tg_test_softsign(void)
{
    TCase *tc = tu_tcase("softsign");
    tcase_add_test(tc, softsign_values_and_gradient);
    tcase_add_test(tc, softsign_gradcheck);
    tcase_add_test(tc, softsign_errors);
    return tc;
}
