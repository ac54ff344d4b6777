/* test_asin.c -- tg_asin: values against C's asin, the gradient 1/sqrt(1 -
 * x^2), the second derivative, +inf gradients at +-1 (IEEE) and NaN beyond,
 * precision near 1, gradchecks (scalars, vectors, matrices, broadcast pairs,
 * size-1 axes) and errors. */
#include "testutil.h"

static tg_tensor *asin_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_asin(in[0]);
}

/* asin(a) b: the gradient passes through a broadcasting product. */
static tg_tensor *asin_times_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_mul(tg_asin(in[0]), in[1]);
}

/* The value and the gradient of tg_asin at x, in dtype. */
static void value_and_grad(tg_dtype dtype, double x, double *y, double *dy)
{
    tg_tensor *t = tu_tensor(dtype, TU_SCALAR, &x, true);
    tg_tensor *out = tg_asin(t);
    tu_assert_ok(out);
    ck_assert_int_eq(tg_backward(out), 0);
    *y = tg_item(out);
    *dy = tg_grad_get(t, 0);
}

static double dasin(double x) { return 1 / sqrt((1 - x) * (1 + x)); }
static double d2asin(double x) { return x / pow((1 - x) * (1 + x), 1.5); }
static double ref_f32(float x) { return asinf(x); }
static double ref_f64(double x) { return asin(x); }

START_TEST(asin_values_and_gradient)
{
    double x[6] = {-0.99, -0.6, -0.1, 0, 0.4, 0.95};
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *t = tu_tensor((tg_dtype)dt, TU_SHAPE(2, 3), x, true);
        tg_tensor *y = tg_asin(t);
        tu_assert_ok(y);
        ck_assert_int_eq(tg_dtype_of(y), dt);
        ck_assert_int_eq(tg_op_kind_of(y), TG_OP_ASIN);
        ck_assert_int_eq(tg_backward_ex(y, tg_full((tg_dtype)dt, 2, tg_shape(y), 1, false), 0), 0);
        for (int i = 0; i < 6; i++) {
            /* f32 against the float function at the float input */
            double xi = dt == TG_F32 ? (double)(float)x[i] : x[i];
            double want = dt == TG_F32 ? ref_f32((float)x[i]) : ref_f64(x[i]);
            tu_assert_close(tg_get(y, i), want, dt == TG_F32 ? 1e-6 : 1e-15);
            tu_assert_close(tg_grad_get(t, i), dasin(xi), dt == TG_F32 ? 1e-5 : 1e-14);
        }
    }
}
END_TEST

/* The recorded rule is differentiated again. */
START_TEST(asin_second_derivative)
{
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        double x0 = 0.6;
        tg_tensor *x = tu_tensor((tg_dtype)dt, TU_SCALAR, &x0, true), *dy, *d2y;
        tg_tensor *y = tg_asin(x);
        ck_assert_int_eq(tg_grad(&y, 1, &x, 1, &dy, true), 0);
        ck_assert_int_eq(tg_grad(&dy, 1, &x, 1, &d2y, false), 0);
        tu_assert_close(tg_item(d2y), d2asin(dt == TG_F32 ? (double)(float)x0 : x0),
                        dt == TG_F32 ? 1e-5 : 1e-13);
    }
}
END_TEST

/* At x = +-1 the derivative is 1/sqrt(+0) = +inf (IEEE, as in PyTorch). */
START_TEST(asin_at_the_ends)
{
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        double y, dy;
        value_and_grad((tg_dtype)dt, 1, &y, &dy);
        tu_assert_close(y, 1.5707963267948966, 1e-7);
        ck_assert(isinf(dy) && dy > 0);
        value_and_grad((tg_dtype)dt, -1, &y, &dy);
        tu_assert_close(y, -1.5707963267948966, 1e-7);
        ck_assert(isinf(dy) && dy > 0);
        value_and_grad((tg_dtype)dt, 1.5, &y, &dy);
        ck_assert(isnan(y) && isnan(dy));
    }
}
END_TEST

/* Near 1 the gradient is taken from (1 - x)(1 + x), exact there: 1 - x^2
 * would lose the 2^-60 of x = 1 - 2^-30 and be off by 5e-10. */
START_TEST(asin_near_one_keeps_its_digits)
{
    double x = 1 - 0x1p-30, y, dy;
    value_and_grad(TG_F64, x, &y, &dy);
    tu_assert_close(y, asin(x), 1e-15);
    tu_assert_close(dy, 1 / sqrt(0x1p-30 * (2 - 0x1p-30)), 1e-14);
}
END_TEST

START_TEST(asin_gradcheck)
{
    static const tu_shape shapes[] = {TU_SCALAR, TU_SHAPE(5), TU_SHAPE(2, 3), TU_SHAPE(2, 1, 3)};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        tu_gradcheck_both(asin_fn, NULL, 1, &shapes[i], -0.9, 0.9);
    for (int p = 0; p < TU_BROADCAST_PAIRS; p++)
        tu_gradcheck_both(asin_times_fn, NULL, 2, tu_broadcast_pairs[p], -0.9, 0.9);
}
END_TEST

START_TEST(asin_errors)
{
    ck_assert_ptr_null(tg_asin(NULL));
    ck_assert_str_eq(tg_last_error(), "tg_asin: argument 1 is NULL");
}
END_TEST

TCase *tg_test_asin(void)
{
    TCase *tc = tu_tcase("asin");
    tcase_add_test(tc, asin_values_and_gradient);
    tcase_add_test(tc, asin_second_derivative);
    tcase_add_test(tc, asin_at_the_ends);
    tcase_add_test(tc, asin_near_one_keeps_its_digits);
    tcase_add_test(tc, asin_gradcheck);
    tcase_add_test(tc, asin_errors);
    return tc;
}
