/* test_elu.c -- tg_elu: values and gradients against the closed form,
 * PyTorch's alpha at the kink, the tail at -1e4, errors. */
#include "pointwise_check.h"

static tg_tensor *elu_op(tg_tensor *x, const void *ctx)
{
    return tg_elu(x, *(const double *)ctx);
}

static double elu_ref(double x, const void *ctx, double *dy)
{
    double alpha = *(const double *)ctx;
    *dy = x > 0 ? 1 : alpha * exp(x);
    return x > 0 ? x : alpha * expm1(x);
}

START_TEST(elu_values_and_gradient)
{
    double x[8] = {-1e4, -20, -1, -1e-9, 1e-9, 0.5, 3, 1e4}, alphas[3] = {1, 0.5, -2};
    for (int a = 0; a < 3; a++)
        pc_check_points(elu_op, elu_ref, &alphas[a], 8, x, 2e-6, 1e-15);
}
END_TEST

/* elu'(0) = alpha: PyTorch's elu_backward takes the x <= 0 branch. */
START_TEST(elu_gradient_at_zero_is_alpha)
{
    double x[1] = {0}, alpha = 0.3;
    pc_check_grad_at(elu_op, &alpha, 1, x, (double[]){0.3});
    ck_assert(tg_item(tg_elu(tg_scalar(0), 0.3)) == 0);
}
END_TEST

START_TEST(elu_gradcheck)
{
    double alphas[2] = {1, 0.4};
    for (int a = 0; a < 2; a++) {
        pc_gradcheck_shapes(elu_op, &alphas[a], -3, -0.1);
        pc_gradcheck_shapes(elu_op, &alphas[a], 0.1, 3);
        pc_gradgradcheck(elu_op, &alphas[a], -3, -0.1);
    }
}
END_TEST

START_TEST(elu_errors)
{
    ck_assert_ptr_null(tg_elu(NULL, 1));
    ck_assert_str_eq(tg_last_error(), "tg_elu: argument 1 is NULL");
}
END_TEST

TCase *tg_test_elu(void)
{
    TCase *tc = tu_tcase("elu");
    tcase_add_test(tc, elu_values_and_gradient);
    tcase_add_test(tc, elu_gradient_at_zero_is_alpha);
    tcase_add_test(tc, elu_gradcheck);
    tcase_add_test(tc, elu_errors);
    return tc;
}
