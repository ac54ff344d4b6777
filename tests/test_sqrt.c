/* test_sqrt.c -- tg_sqrt: values, the domain edge, gradients. */
#include "testutil.h"

static tg_tensor *sqrt_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_sqrt(in[0]);
}

START_TEST(sqrt_values)
{
    double x[4] = {0, 0.25, 2, 9};
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *y = tg_sqrt(tu_tensor((tg_dtype)dt, TU_SHAPE(4), x, false));
        tu_assert_ok(y);
        ck_assert_int_eq(tg_dtype_of(y), dt);
        for (int i = 0; i < 4; i++)
            tu_assert_close(tg_get(y, i), sqrt(x[i]), dt == TG_F32 ? 1e-7 : 1e-16);
    }
}
END_TEST

/* PyTorch semantics: the root of a negative number is NaN, no error */
START_TEST(sqrt_of_negative_is_nan)
{
    tg_tensor *y = tg_sqrt(tg_scalar(-4));
    tu_assert_ok(y);
    ck_assert_int_eq(tg_last_error_code(), TG_OK);
    ck_assert(isnan(tg_item(y)));
}
END_TEST

START_TEST(sqrt_gradient_closed_form)
{
    tg_tensor *x = tg_var(4), *z = tg_var(0);
    ck_assert_int_eq(tg_backward(tg_sqrt(x)), 0);
    tu_assert_close(tg_grad_get(x, 0), 0.25, 0); /* 1 / (2 sqrt 4) */
    ck_assert_int_eq(tg_backward(tg_sqrt(z)), 0);
    ck_assert(isinf(tg_grad_get(z, 0)));
}
END_TEST

START_TEST(sqrt_gradcheck)
{
    static const tu_shape shapes[] = {TU_SCALAR, TU_SHAPE(5), TU_SHAPE(2, 3), TU_SHAPE(2, 1, 3)};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        tu_gradcheck_both(sqrt_fn, NULL, 1, &shapes[i], 0.5, 2);
}
END_TEST

TCase *tg_test_sqrt(void)
{
    TCase *tc = tu_tcase("sqrt");
    tcase_add_test(tc, sqrt_values);
    tcase_add_test(tc, sqrt_of_negative_is_nan);
    tcase_add_test(tc, sqrt_gradient_closed_form);
    tcase_add_test(tc, sqrt_gradcheck);
    return tc;
}
