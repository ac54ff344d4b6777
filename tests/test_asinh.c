/* test_asinh.c -- tg_asinh: values against C's asinh, the gradient 1/sqrt(1
 * + x^2), the second derivative, and the gradient where x^2 overflows,
 * gradchecks (scalars, vectors, matrices, broadcast pairs, size-1 axes) and
 * errors. */
#include "testutil.h"

static tg_tensor *asinh_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_asinh(in[0]);
}

/* asinh(a) b: the gradient passes through a broadcasting product. */
static tg_tensor *asinh_times_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_mul(tg_asinh(in[0]), in[1]);
}

/* The value and the gradient of tg_asinh at x, in dtype. */
static void value_and_grad(tg_dtype dtype, double x, double *y, double *dy)
{
    tg_tensor *t = tu_tensor(dtype, TU_SCALAR, &x, true);
    tg_tensor *out = tg_asinh(t);
    tu_assert_ok(out);
    ck_assert_int_eq(tg_backward(out), 0);
    *y = tg_item(out);
    *dy = tg_grad_get(t, 0);
}

static double dasinh(double x) { return 1 / sqrt(1 + x * x); }
static double d2asinh(double x) { return -x / pow(1 + x * x, 1.5); }
static double ref_f32(float x) { return asinhf(x); }
static double ref_f64(double x) { return asinh(x); }

START_TEST(asinh_values_and_gradient)
{
    double x[6] = {-3, -0.5, 0, 1e-3, 1, 10};
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *t = tu_tensor((tg_dtype)dt, TU_SHAPE(2, 3), x, true);
        tg_tensor *y = tg_asinh(t);
        tu_assert_ok(y);
        ck_assert_int_eq(tg_dtype_of(y), dt);
        ck_assert_int_eq(tg_op_kind_of(y), TG_OP_ASINH);
        ck_assert_int_eq(tg_backward_ex(y, tg_full((tg_dtype)dt, 2, tg_shape(y), 1, false), 0), 0);
        for (int i = 0; i < 6; i++) {
            /* f32 against the float function at the float input */
            double xi = dt == TG_F32 ? (double)(float)x[i] : x[i];
            double want = dt == TG_F32 ? ref_f32((float)x[i]) : ref_f64(x[i]);
            tu_assert_close(tg_get(y, i), want, dt == TG_F32 ? 1e-6 : 1e-15);
            tu_assert_close(tg_grad_get(t, i), dasinh(xi), dt == TG_F32 ? 1e-5 : 1e-14);
        }
    }
}
END_TEST

/* The recorded rule is differentiated again. */
START_TEST(asinh_second_derivative)
{
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        double x0 = 0.7;
        tg_tensor *x = tu_tensor((tg_dtype)dt, TU_SCALAR, &x0, true), *dy, *d2y;
        tg_tensor *y = tg_asinh(x);
        ck_assert_int_eq(tg_grad(&y, 1, &x, 1, &dy, true), 0);
        ck_assert_int_eq(tg_grad(&dy, 1, &x, 1, &d2y, false), 0);
        tu_assert_close(tg_item(d2y), d2asinh(dt == TG_F32 ? (double)(float)x0 : x0),
                        dt == TG_F32 ? 1e-5 : 1e-13);
    }
}
END_TEST

/* The gradient is 1/cosh(asinh x), so it stays about 1/|x| where x^2
 * overflows: 1/sqrt(1 + x^2) would give 0 beyond 1.3e154 (f64) and 1.8e19
 * (f32). */
START_TEST(asinh_gradient_where_x_squared_overflows)
{
    double y, dy;
    value_and_grad(TG_F64, 1e300, &y, &dy);
    tu_assert_close(y, asinh(1e300), 1e-15);
    tu_assert_close(dy / 1e-300, 1, 1e-12);
    value_and_grad(TG_F64, -1e300, &y, &dy);
    tu_assert_close(dy / 1e-300, 1, 1e-12);
    value_and_grad(TG_F32, 1e30, &y, &dy);
    tu_assert_close(dy / 1e-30, 1, 1e-5);
    value_and_grad(TG_F64, 1e-300, &y, &dy);
    tu_assert_close(y / 1e-300, 1, 1e-15);
    tu_assert_close(dy, 1, 1e-15);
}
END_TEST

START_TEST(asinh_gradcheck)
{
    static const tu_shape shapes[] = {TU_SCALAR, TU_SHAPE(5), TU_SHAPE(2, 3), TU_SHAPE(2, 1, 3)};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        tu_gradcheck_both(asinh_fn, NULL, 1, &shapes[i], -2, 2);
    for (int p = 0; p < TU_BROADCAST_PAIRS; p++)
        tu_gradcheck_both(asinh_times_fn, NULL, 2, tu_broadcast_pairs[p], -2, 2);
}
END_TEST

START_TEST(asinh_errors)
{
    ck_assert_ptr_null(tg_asinh(NULL));
    ck_assert_str_eq(tg_last_error(), "tg_asinh: argument 1 is NULL");
}
END_TEST

TCase *tg_test_asinh(void)
{
    TCase *tc = tu_tcase("asinh");
    tcase_add_test(tc, asinh_values_and_gradient);
    tcase_add_test(tc, asinh_second_derivative);
    tcase_add_test(tc, asinh_gradient_where_x_squared_overflows);
    tcase_add_test(tc, asinh_gradcheck);
    tcase_add_test(tc, asinh_errors);
    return tc;
}
