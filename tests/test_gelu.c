/* test_gelu.c -- tg_gelu in both forms: values and gradients against the
 * closed forms, the tails at +-1e4 (and 1e20 in float), second
 * derivatives of the tanh form, errors. */
#include "pointwise_check.h"

#define BETA 0.79788456080286535588 /* sqrt(2/pi) */
#define KAPPA 0.044715

static tg_tensor *gelu_op(tg_tensor *x, const void *ctx)
{
    return tg_gelu(x, *(const tg_gelu_approximate *)ctx);
}

static double exact_ref(double x, double *dy)
{
    double cdf = 0.5 * erfc(-x / sqrt(2.0));
    *dy = cdf + x * exp(-x * x / 2) / sqrt(2 * 3.14159265358979323846);
    return x * cdf;
}

/* PyTorch's tanh form, written with 1 + tanh u = 2 sigmoid(2u) */
static double tanh_ref(double x, double *dy)
{
    double u = BETA * (x + KAPPA * x * x * x), t = tanh(u);
    double s = u >= 0 ? 1 / (1 + exp(-2 * u)) : exp(2 * u) / (1 + exp(2 * u));
    *dy = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * BETA * (1 + 3 * KAPPA * x * x);
    return x * s;
}

static double gelu_ref(double x, const void *ctx, double *dy)
{
    return *(const tg_gelu_approximate *)ctx == TG_GELU_TANH ? tanh_ref(x, dy) : exact_ref(x, dy);
}

START_TEST(gelu_values_and_gradient)
{
    double x[9] = {-1e4, -30, -5, -1, 0, 0.5, 2, 8, 1e4};
    tg_gelu_approximate forms[2] = {TG_GELU_NONE, TG_GELU_TANH};
    for (int f = 0; f < 2; f++)
        pc_check_points(gelu_op, gelu_ref, &forms[f], 9, x, 1e-5, 1e-14);
    /* gelu(1) = Phi(1) */
    tu_assert_close(tg_item(tg_gelu(tg_scalar(1), TG_GELU_NONE)), 0.8413447460685429, 1e-15);
    double c;
    ck_assert(tg_op_constant(tg_gelu(tg_var(1), TG_GELU_TANH), &c) && c == 1);
}
END_TEST

/* In float x^3 overflows beyond 7e12: the value and gradient stay x, 1
 * and 0, 0, not NaN. */
START_TEST(gelu_tanh_form_far_out_in_float)
{
    tg_gelu_approximate form = TG_GELU_TANH;
    double x[4] = {-1e20, -1e13, 1e13, 1e20};
    pc_check_grad_at(gelu_op, &form, 4, x, (double[]){0, 0, 1, 1});
    tg_tensor *y = tg_gelu(tu_tensor(TG_F32, TU_SHAPE(4), x, false), TG_GELU_TANH);
    ck_assert(tg_get(y, 0) == 0 && tg_get(y, 3) == (double)1e20f);
}
END_TEST

static tg_tensor *gelu_exact(tg_tensor *x) { return tg_gelu(x, TG_GELU_NONE); }
static tg_tensor *gelu_tanh(tg_tensor *x) { return tg_gelu(x, TG_GELU_TANH); }

START_TEST(gelu_fused_matches_composed)
{
    tu_check_fused_backward(gelu_exact, TU_SHAPE(3, 4), -6, 6);
    tu_check_fused_backward(gelu_tanh, TU_SHAPE(3, 4), -6, 6);
    tu_check_fused_backward(gelu_tanh, TU_SHAPE(5), 1e3, 1e4); /* clamped */
}
END_TEST

START_TEST(gelu_gradcheck)
{
    tg_gelu_approximate forms[2] = {TG_GELU_NONE, TG_GELU_TANH};
    for (int f = 0; f < 2; f++) {
        pc_gradcheck_shapes(gelu_op, &forms[f], -4, 4);
        pc_gradgradcheck(gelu_op, &forms[f], -4, 4);
    }
}
END_TEST

START_TEST(gelu_errors)
{
    ck_assert_ptr_null(tg_gelu(tg_var(1), (tg_gelu_approximate)2));
    ck_assert_str_eq(tg_last_error(), "tg_gelu: approximate must be TG_GELU_NONE (0) or "
                                      "TG_GELU_TANH (1), not 2");
    ck_assert_int_eq(tg_last_error_code(), TG_EVALUE);
    tg_clear_error();
    ck_assert_ptr_null(tg_gelu(NULL, TG_GELU_NONE));
    ck_assert_str_eq(tg_last_error(), "tg_gelu: argument 1 is NULL");
}
END_TEST

TCase *tg_test_gelu(void)
{
    TCase *tc = tu_tcase("gelu");
    tcase_add_test(tc, gelu_values_and_gradient);
    tcase_add_test(tc, gelu_tanh_form_far_out_in_float);
    tcase_add_test(tc, gelu_fused_matches_composed);
    tcase_add_test(tc, gelu_gradcheck);
    tcase_add_test(tc, gelu_errors);
    return tc;
}
