/* test_silu.c -- tg_silu: values and gradients against x sigmoid(x), the
 * tails at +-1e4, the fused pass against the composed rule, errors. */
#include "pointwise_check.h"

static tg_tensor *silu_op(tg_tensor *x, const void *ctx)
{
    (void)ctx;
    return tg_silu(x);
}

static double silu_ref(double x, const void *ctx, double *dy)
{
    (void)ctx;
    double s = x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x));
    *dy = s * (1 + x * (1 - s));
    return x * s;
}

START_TEST(silu_values_and_gradient)
{
    double x[8] = {-1e4, -30, -2.5, -0.5, 0, 0.75, 3, 1e4};
    pc_check_points(silu_op, silu_ref, NULL, 8, x, 2e-6, 1e-15);
    ck_assert_int_eq(tg_op_kind_of(tg_silu(tg_var(1))), TG_OP_SILU);
}
END_TEST

START_TEST(silu_fused_matches_composed)
{
    tu_check_fused_backward(tg_silu, TU_SHAPE(3, 4), -6, 6);
}
END_TEST

START_TEST(silu_gradcheck)
{
    pc_gradcheck_shapes(silu_op, NULL, -4, 4);
    pc_gradgradcheck(silu_op, NULL, -4, 4);
}
END_TEST

START_TEST(silu_errors)
{
    ck_assert_ptr_null(tg_silu(NULL));
    ck_assert_str_eq(tg_last_error(), "tg_silu: argument 1 is NULL");
}
END_TEST

TCase *tg_test_silu(void)
{
    TCase *tc = tu_tcase("silu");
    tcase_add_test(tc, silu_values_and_gradient);
    tcase_add_test(tc, silu_fused_matches_composed);
    tcase_add_test(tc, silu_gradcheck);
    tcase_add_test(tc, silu_errors);
    return tc;
}
