/* test_pow.c -- tg_pow and tg_pow_scalar: values, gradients, the base 0. */
#include <string.h>

#include "testutil.h"

static tg_tensor *pow_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_pow(in[0], in[1]);
}

/* gradchecks draw from one range for every input; this gives exponents of
 * the opposite sign to the bases */
static tg_tensor *pow_negative_exponent_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_pow(in[0], tg_neg(in[1]));
}

static tg_tensor *pow_scalar_fn(tg_tensor *const *in, void *ctx)
{
    return tg_pow_scalar(in[0], *(const double *)ctx);
}

START_TEST(pow_broadcasts_values)
{
    double a[6] = {0.5, 1, 1.5, 2, 2.5, 3}, b[3] = {2, -1, 0.5};
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *y = tg_pow(tu_tensor((tg_dtype)dt, TU_SHAPE(2, 3), a, false),
                              tu_tensor((tg_dtype)dt, TU_SHAPE(3), b, false));
        tu_assert_ok(y);
        ck_assert_int_eq(tg_dtype_of(y), dt);
        for (int i = 0; i < 6; i++)
            tu_assert_close(tg_get(y, i), pow(a[i], b[i % 3]), 1e-6);
    }
}
END_TEST

START_TEST(pow_scalar_values)
{
    double x[4] = {-2, -0.5, 0.5, 3};
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *t = tu_tensor((tg_dtype)dt, TU_SHAPE(4), x, false);
        tg_tensor *cube = tg_pow_scalar(t, 3), *root = tg_pow_scalar(t, 0.5);
        tu_assert_ok(cube);
        tu_assert_ok(root);
        for (int i = 0; i < 4; i++) {
            tu_assert_close(tg_get(cube, i), x[i] * x[i] * x[i], 1e-6);
            if (x[i] > 0)
                tu_assert_close(tg_get(root, i), sqrt(x[i]), 1e-6);
            else
                ck_assert(isnan(tg_get(root, i)));
        }
    }
}
END_TEST

START_TEST(pow_gradcheck)
{
    for (size_t i = 0; i < TU_BROADCAST_PAIRS; i++) {
        tu_gradcheck_both(pow_fn, NULL, 2, tu_broadcast_pairs[i], 0.5, 2);
        tu_gradcheck_both(pow_negative_exponent_fn, NULL, 2, tu_broadcast_pairs[i], 0.5, 2);
    }
}
END_TEST

START_TEST(pow_scalar_gradcheck)
{
    static const tu_shape shapes[] = {TU_SCALAR, TU_SHAPE(5), TU_SHAPE(2, 1, 3)};
    double integral[] = {0, 1, 2, 3, -1}, fractional[] = {0.5, -1.5, 2.5};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        for (size_t k = 0; k < sizeof integral / sizeof integral[0]; k++) {
            tu_gradcheck_both(pow_scalar_fn, &integral[k], 1, &shapes[i], 0.5, 2);
            tu_gradcheck_both(pow_scalar_fn, &integral[k], 1, &shapes[i], -2, -0.5);
        }
        for (size_t k = 0; k < sizeof fractional / sizeof fractional[0]; k++)
            tu_gradcheck_both(pow_scalar_fn, &fractional[k], 1, &shapes[i], 0.5, 2);
    }
}
END_TEST

START_TEST(pow_gradient_closed_form)
{
    tg_tensor *a = tg_var(2), *b = tg_var(3);
    ck_assert_int_eq(tg_backward(tg_pow(a, b)), 0);
    tu_assert_close(tg_grad_get(a, 0), 12, 1e-15);          /* b a^(b-1) */
    tu_assert_close(tg_grad_get(b, 0), 8 * log(2.0), 1e-15); /* a^b ln a */
}
END_TEST

/* At a = 0 the formulas give 0 * inf; the limits are used instead, and the
 * only non-finite gradient left is the genuine one of 0^0.5. */
START_TEST(pow_at_zero_base_has_no_nan)
{
    double b_values[4] = {0, 1, 2, 0.5};
    double want_y[4] = {1, 0, 0, 0}, want_da[3] = {0, 1, 0};
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *a = tu_tensor((tg_dtype)dt, TU_SHAPE(4), NULL, true);
        tg_tensor *b = tu_tensor((tg_dtype)dt, TU_SHAPE(4), b_values, true);
        tg_tensor *y = tg_pow(a, b);
        tu_assert_ok(y);
        ck_assert_int_eq(tg_backward_ex(y, tg_full((tg_dtype)dt, 1, (int64_t[]){4}, 1, false), 0),
                         0);
        for (int i = 0; i < 4; i++) {
            tu_assert_close(tg_get(y, i), want_y[i], 0);
            tu_assert_close(tg_grad_get(b, i), 0, 0);
        }
        for (int i = 0; i < 3; i++)
            tu_assert_close(tg_grad_get(a, i), want_da[i], 0);
        ck_assert(isinf(tg_grad_get(a, 3)) && tg_grad_get(a, 3) > 0);
    }
}
END_TEST

START_TEST(pow_scalar_at_zero_base)
{
    double p[3] = {0, 1, 2}, want[3] = {0, 1, 0};
    for (int k = 0; k < 3; k++) {
        tg_tensor *x = tg_var(0);
        ck_assert_int_eq(tg_backward(tg_pow_scalar(x, p[k])), 0);
        tu_assert_close(tg_grad_get(x, 0), want[k], 0);
    }
}
END_TEST

START_TEST(pow_rejects_mixed_dtypes)
{
    tg_tensor *y = tg_pow(tu_rand(TG_F64, TU_SHAPE(2), 1, 2, false),
                          tu_rand(TG_F32, TU_SHAPE(2), 1, 2, false));
    ck_assert_ptr_null(y);
    ck_assert_int_eq(tg_last_error_code(), TG_EDTYPE);
    ck_assert_msg(strstr(tg_last_error(), "tg_pow: dtypes differ: f64 and f32"), "%s",
                  tg_last_error());
}
END_TEST

TCase *tg_test_pow(void)
{
    TCase *tc = tu_tcase("pow");
    tcase_add_test(tc, pow_broadcasts_values);
    tcase_add_test(tc, pow_scalar_values);
    tcase_add_test(tc, pow_gradcheck);
    tcase_add_test(tc, pow_scalar_gradcheck);
    tcase_add_test(tc, pow_gradient_closed_form);
    tcase_add_test(tc, pow_at_zero_base_has_no_nan);
    tcase_add_test(tc, pow_scalar_at_zero_base);
    tcase_add_test(tc, pow_rejects_mixed_dtypes);
    return tc;
}
