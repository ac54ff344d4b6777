/* test_celu.c -- tg_celu: values and gradients for several alpha, the
 * kink's gradient 1, alpha = 0 refused. */
#include "pointwise_check.h"

static tg_tensor *celu_op(tg_tensor *x, const void *ctx)
{
    return tg_celu(x, *(const double *)ctx);
}

static double celu_ref(double x, const void *ctx, double *dy)
{
    double alpha = *(const double *)ctx;
    *dy = x > 0 ? 1 : exp(x / alpha);
    return x > 0 ? x : alpha * expm1(x / alpha);
}

START_TEST(celu_values_and_gradient)
{
    double x[7] = {-1e4, -4, -0.5, -1e-9, 0.5, 2, 1e4}, alphas[3] = {1, 0.5, 3};
    for (int a = 0; a < 3; a++)
        pc_check_points(celu_op, celu_ref, &alphas[a], 7, x, 2e-6, 1e-15);
}
END_TEST

/* At 0 PyTorch's negative branch gives (1/alpha) alpha e^0 = 1. */
START_TEST(celu_gradient_at_zero_is_one)
{
    double alphas[2] = {0.25, 4};
    for (int a = 0; a < 2; a++)
        pc_check_grad_at(celu_op, &alphas[a], 1, (double[]){0}, (double[]){1});
}
END_TEST

START_TEST(celu_gradcheck)
{
    double alpha = 0.7;
    pc_gradcheck_shapes(celu_op, &alpha, -3, -0.1);
    pc_gradcheck_shapes(celu_op, &alpha, 0.1, 3);
    pc_gradgradcheck(celu_op, &alpha, -3, -0.1);
}
END_TEST

START_TEST(celu_errors)
{
    ck_assert_ptr_null(tg_celu(tg_var(1), 0));
    ck_assert_str_eq(tg_last_error(), "tg_celu: alpha must be a nonzero number, not 0");
    ck_assert_int_eq(tg_last_error_code(), TG_EVALUE);
    tg_clear_error();
    ck_assert_ptr_null(tg_celu(NULL, 1));
    ck_assert_str_eq(tg_last_error(), "tg_celu: argument 1 is NULL");
}
END_TEST

TCase *tg_test_celu(void)
{
    TCase *tc = tu_tcase("celu");
    tcase_add_test(tc, celu_values_and_gradient);
    tcase_add_test(tc, celu_gradient_at_zero_is_one);
    tcase_add_test(tc, celu_gradcheck);
    tcase_add_test(tc, celu_errors);
    return tc;
}
