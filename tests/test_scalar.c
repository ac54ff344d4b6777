/* test_scalar.c -- tg_add_scalar and tg_mul_scalar: values, gradients. */
#include "testutil.h"

static tg_tensor *add_scalar_fn(tg_tensor *const *in, void *ctx)
{
    return tg_add_scalar(in[0], *(const double *)ctx);
}

static tg_tensor *mul_scalar_fn(tg_tensor *const *in, void *ctx)
{
    return tg_mul_scalar(in[0], *(const double *)ctx);
}

static const tu_shape shapes[] = {TU_SCALAR, TU_SHAPE(5), TU_SHAPE(2, 3), TU_SHAPE(2, 1, 3)};

START_TEST(scalar_ops_values)
{
    double x[4] = {-1.5, 0, 0.25, 3};
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *t = tu_tensor((tg_dtype)dt, TU_SHAPE(2, 2), x, false);
        tg_tensor *sum = tg_add_scalar(t, 0.5), *prod = tg_mul_scalar(t, -2);
        tu_assert_ok(sum);
        tu_assert_ok(prod);
        ck_assert_int_eq(tg_dtype_of(sum), dt);
        ck_assert_int_eq(tg_dtype_of(prod), dt);
        ck_assert_int_eq(tg_ndim(sum), 2);
        for (int i = 0; i < 4; i++) {
            tu_assert_close(tg_get(sum, i), x[i] + 0.5, 0);
            tu_assert_close(tg_get(prod, i), -2 * x[i], 0);
        }
    }
}
END_TEST

START_TEST(scalar_ops_gradients)
{
    tg_tensor *x = tg_var(1.25);
    ck_assert_int_eq(tg_backward(tg_mul_scalar(tg_add_scalar(x, 7), 3)), 0);
    tu_assert_close(tg_grad_get(x, 0), 3, 0);
}
END_TEST

START_TEST(scalar_ops_gradcheck)
{
    double constants[] = {-2.5, 0, 1, 3};
    for (size_t c = 0; c < sizeof constants / sizeof constants[0]; c++)
        for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
            tu_gradcheck_both(add_scalar_fn, &constants[c], 1, &shapes[i], -2, 2);
            tu_gradcheck_both(mul_scalar_fn, &constants[c], 1, &shapes[i], -2, 2);
        }
}
END_TEST

TCase *tg_test_scalar(void)
{
    TCase *tc = tu_tcase("scalar");
    tcase_add_test(tc, scalar_ops_values);
    tcase_add_test(tc, scalar_ops_gradients);
    tcase_add_test(tc, scalar_ops_gradcheck);
    return tc;
}
