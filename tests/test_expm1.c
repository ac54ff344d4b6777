/* test_expm1.c -- tg_expm1: values against C's expm1, the gradient e^x, the
 * second derivative, full precision near 0 and a gradient that keeps e^x far
 * left, gradchecks (scalars, vectors, matrices, broadcast pairs, size-1
 * axes) and errors. */
#include "testutil.h"

static tg_tensor *expm1_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_expm1(in[0]);
}

/* expm1(a) b: the gradient passes through a broadcasting product. */
static tg_tensor *expm1_times_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_mul(tg_expm1(in[0]), in[1]);
}

/* The value and the gradient of tg_expm1 at x, in dtype. */
static void value_and_grad(tg_dtype dtype, double x, double *y, double *dy)
{
    tg_tensor *t = tu_tensor(dtype, TU_SCALAR, &x, true);
    tg_tensor *out = tg_expm1(t);
    tu_assert_ok(out);
    ck_assert_int_eq(tg_backward(out), 0);
    *y = tg_item(out);
    *dy = tg_grad_get(t, 0);
}

static double dexpm1(double x) { return exp(x); }
static double d2expm1(double x) { return exp(x); }
static double ref_f32(float x) { return expm1f(x); }
static double ref_f64(double x) { return expm1(x); }

START_TEST(expm1_values_and_gradient)
{
    double x[6] = {-50, -1, -1e-10, 0, 0.5, 3};
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *t = tu_tensor((tg_dtype)dt, TU_SHAPE(2, 3), x, true);
        tg_tensor *y = tg_expm1(t);
        tu_assert_ok(y);
        ck_assert_int_eq(tg_dtype_of(y), dt);
        ck_assert_int_eq(tg_op_kind_of(y), TG_OP_EXPM1);
        ck_assert_int_eq(tg_backward_ex(y, tg_full((tg_dtype)dt, 2, tg_shape(y), 1, false), 0), 0);
        for (int i = 0; i < 6; i++) {
            /* f32 against the float function at the float input */
            double xi = dt == TG_F32 ? (double)(float)x[i] : x[i];
            double want = dt == TG_F32 ? ref_f32((float)x[i]) : ref_f64(x[i]);
            tu_assert_close(tg_get(y, i), want, dt == TG_F32 ? 1e-6 : 1e-15);
            tu_assert_close(tg_grad_get(t, i), dexpm1(xi), dt == TG_F32 ? 1e-5 : 1e-14);
        }
    }
}
END_TEST

/* The recorded rule is differentiated again. */
START_TEST(expm1_second_derivative)
{
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        double x0 = 0.7;
        tg_tensor *x = tu_tensor((tg_dtype)dt, TU_SCALAR, &x0, true), *dy, *d2y;
        tg_tensor *y = tg_expm1(x);
        ck_assert_int_eq(tg_grad(&y, 1, &x, 1, &dy, true), 0);
        ck_assert_int_eq(tg_grad(&dy, 1, &x, 1, &d2y, false), 0);
        tu_assert_close(tg_item(d2y), d2expm1(dt == TG_F32 ? (double)(float)x0 : x0),
                        dt == TG_F32 ? 1e-5 : 1e-13);
    }
}
END_TEST

/* e^x - 1 at 1e-20 is 0; expm1 keeps the 1e-20. */
START_TEST(expm1_near_0_to_full_precision)
{
    double y, dy;
    value_and_grad(TG_F64, 1e-20, &y, &dy);
    ck_assert(y == 1e-20);
    ck_assert(dy == 1);
    value_and_grad(TG_F64, -2e-12, &y, &dy);
    tu_assert_close(y / expm1(-2e-12), 1, 1e-16);
    value_and_grad(TG_F32, 1e-10, &y, &dy);
    tu_assert_close(y / (double)1e-10f, 1, 1e-7);
}
END_TEST

/* The gradient is e^x, not y + 1: at x = -50, y + 1 is 0 (y rounds to -1)
 * while e^-50 = 1.9e-22; in f32 the same at -20. */
START_TEST(expm1_gradient_far_left)
{
    double y, dy;
    value_and_grad(TG_F64, -50, &y, &dy);
    ck_assert(y == -1);
    tu_assert_close(dy / exp(-50.0), 1, 1e-15);
    value_and_grad(TG_F32, -20, &y, &dy);
    tu_assert_close(dy / exp(-20.0), 1, 1e-6);
    value_and_grad(TG_F64, 709, &y, &dy);
    ck_assert(isfinite(y) && isfinite(dy));
    value_and_grad(TG_F64, 710, &y, &dy);
    ck_assert(isinf(y) && isinf(dy));
}
END_TEST

START_TEST(expm1_gradcheck)
{
    static const tu_shape shapes[] = {TU_SCALAR, TU_SHAPE(5), TU_SHAPE(2, 3), TU_SHAPE(2, 1, 3)};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        tu_gradcheck_both(expm1_fn, NULL, 1, &shapes[i], -2, 2);
    for (int p = 0; p < TU_BROADCAST_PAIRS; p++)
        tu_gradcheck_both(expm1_times_fn, NULL, 2, tu_broadcast_pairs[p], -2, 2);
}
END_TEST

START_TEST(expm1_errors)
{
    ck_assert_ptr_null(tg_expm1(NULL));
    ck_assert_str_eq(tg_last_error(), "tg_expm1: argument 1 is NULL");
}
END_TEST

TCase *tg_test_expm1(void)
{
    TCase *tc = tu_tcase("expm1");
    tcase_add_test(tc, expm1_values_and_gradient);
    tcase_add_test(tc, expm1_second_derivative);
    tcase_add_test(tc, expm1_near_0_to_full_precision);
    tcase_add_test(tc, expm1_gradient_far_left);
    tcase_add_test(tc, expm1_gradcheck);
    tcase_add_test(tc, expm1_errors);
    return tc;
}
