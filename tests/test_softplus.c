/* test_softplus.c -- tg_softplus: values and gradients against the closed
 * form for several beta, PyTorch's linear region above the threshold, the
 * tails at +-1e4, the constants, errors. */
#include "pointwise_check.h"

typedef struct {
    double beta, threshold;
} params;

static tg_tensor *softplus_op(tg_tensor *x, const void *ctx)
{
    const params *p = ctx;
    return tg_softplus(x, p->beta, p->threshold);
}

static double softplus_ref(double x, const void *ctx, double *dy)
{
    const params *p = ctx;
    double bx = p->beta * x;
    if (bx > p->threshold) {
        *dy = 1;
        return x;
    }
    *dy = bx >= 0 ? 1 / (1 + exp(-bx)) : exp(bx) / (1 + exp(bx));
    return (fmax(bx, 0) + log1p(exp(-fabs(bx)))) / p->beta;
}

START_TEST(softplus_values_and_gradient)
{
    double x[9] = {-1e4, -50, -3, -0.5, 0, 0.5, 3, 15, 19.5};
    params defaults = {1, 20}, steep = {2, 20}, negative = {-0.5, 20};
    pc_check_points(softplus_op, softplus_ref, &defaults, 9, x, 2e-6, 1e-15);
    pc_check_points(softplus_op, softplus_ref, &steep, 9, x, 2e-6, 1e-15);
    pc_check_points(softplus_op, softplus_ref, &negative, 9, x, 2e-6, 1e-15);
}
END_TEST

/* Above the threshold y = x exactly and g passes (strict >: at beta x ==
 * threshold the log form); an infinite threshold never switches. */
START_TEST(softplus_linear_above_threshold)
{
    double x[4] = {20, 20.5, 1e4, 3}, want[4] = {0, 1, 1, 1};
    params defaults = {1, 20}, low = {1, 2}, never = {1, INFINITY};
    tg_tensor *y = tg_softplus(tu_tensor(TG_F64, TU_SHAPE(4), x, false), 1, 20);
    tu_assert_ok(y);
    tu_assert_close(tg_get(y, 0), log1p(exp(20.0)), 1e-15);
    ck_assert(tg_get(y, 1) == 20.5 && tg_get(y, 2) == 1e4);
    want[0] = 1 / (1 + exp(-20.0));
    pc_check_grad_at(softplus_op, &defaults, 3, x, want);
    pc_check_grad_at(softplus_op, &low, 4, x, (double[]){1, 1, 1, 1});
    pc_check_points(softplus_op, softplus_ref, &never, 4, x, 2e-6, 1e-15);
}
END_TEST

START_TEST(softplus_keeps_both_constants)
{
    tg_tensor *y = tg_softplus(tg_var(1), 2, 7);
    double c[2], first;
    ck_assert_int_eq(tg_op_kind_of(y), TG_OP_SOFTPLUS);
    ck_assert_int_eq(tg_op_constants(y, c, 2), 2);
    ck_assert(c[0] == 2 && c[1] == 7);
    ck_assert(tg_op_constant(y, &first) && first == 2);
    ck_assert_int_eq(tg_op_constants(y, NULL, 0), 2);
    ck_assert_int_eq(tg_op_constants(y, NULL, 1), TG_ENULL);
    tg_clear_error();
    ck_assert_int_eq(tg_op_constants(tg_silu(tg_var(1)), c, 2), 0);
    ck_assert_int_eq(tg_op_constants(tg_elu(tg_var(1), 0.5), c, 2), 1);
    ck_assert(c[0] == 0.5);
}
END_TEST

START_TEST(softplus_gradcheck)
{
    params defaults = {1, 20}, steep = {3, 2};
    pc_gradcheck_shapes(softplus_op, &defaults, -4, 4);
    pc_gradcheck_shapes(softplus_op, &steep, -2, 0.5);
    pc_gradcheck_shapes(softplus_op, &steep, 0.8, 2);
    pc_gradgradcheck(softplus_op, &defaults, -4, 4);
}
END_TEST

START_TEST(softplus_errors)
{
    ck_assert_ptr_null(tg_softplus(tg_var(1), 0, 20));
    ck_assert_str_eq(tg_last_error(), "tg_softplus: beta must be finite and nonzero and "
                                      "threshold a number, not beta 0, threshold 20");
    ck_assert_int_eq(tg_last_error_code(), TG_EVALUE);
    tg_clear_error();
    ck_assert_ptr_null(tg_softplus(tg_var(1), 1, NAN));
    tg_clear_error();
    ck_assert_ptr_null(tg_softplus(NULL, 1, 20));
    ck_assert_str_eq(tg_last_error(), "tg_softplus: argument 1 is NULL");
}
END_TEST

TCase *tg_test_softplus(void)
{
    TCase *tc = tu_tcase("softplus");
    tcase_add_test(tc, softplus_values_and_gradient);
    tcase_add_test(tc, softplus_linear_above_threshold);
    tcase_add_test(tc, softplus_keeps_both_constants);
    tcase_add_test(tc, softplus_gradcheck);
    tcase_add_test(tc, softplus_errors);
    return tc;
}
