/* test_selu.c -- tg_selu: PyTorch's constants, values and gradients, the
 * kink's scale alpha, errors. */
#include "pointwise_check.h"

#define SCALE 1.0507009873554804934193349852946
#define ALPHA 1.6732632423543772848170429916717

static tg_tensor *selu_op(tg_tensor *x, const void *ctx)
{
    (void)ctx;
    return tg_selu(x);
}

static double selu_ref(double x, const void *ctx, double *dy)
{
    (void)ctx;
    *dy = x > 0 ? SCALE : SCALE * ALPHA * exp(x);
    return x > 0 ? SCALE * x : SCALE * ALPHA * expm1(x);
}

START_TEST(selu_values_and_gradient)
{
    double x[7] = {-1e4, -5, -0.25, 1e-8, 0.5, 2, 1e4};
    pc_check_points(selu_op, selu_ref, NULL, 7, x, 2e-6, 1e-15);
    /* scale alpha (1/e - 1), to 17 digits */
    tu_assert_close(tg_item(tg_selu(tg_scalar(-1))), -1.1113307378125625, 1e-15);
}
END_TEST

START_TEST(selu_gradient_at_zero_is_scale_alpha)
{
    pc_check_grad_at(selu_op, NULL, 1, (double[]){0}, (double[]){SCALE * ALPHA});
}
END_TEST

START_TEST(selu_gradcheck)
{
    pc_gradcheck_shapes(selu_op, NULL, -3, -0.1);
    pc_gradcheck_shapes(selu_op, NULL, 0.1, 3);
    pc_gradgradcheck(selu_op, NULL, -3, -0.1);
}
END_TEST

START_TEST(selu_errors)
{
    ck_assert_ptr_null(tg_selu(NULL));
    ck_assert_str_eq(tg_last_error(), "tg_selu: argument 1 is NULL");
}
END_TEST

TCase *tg_test_selu(void)
{
    TCase *tc = tu_tcase("selu");
    tcase_add_test(tc, selu_values_and_gradient);
    tcase_add_test(tc, selu_gradient_at_zero_is_scale_alpha);
    tcase_add_test(tc, selu_gradcheck);
    tcase_add_test(tc, selu_errors);
    return tc;
}
