/* test_rsqrt.c -- tg_rsqrt: values, the gradient -x^(-3/2)/2, the second
 * derivative, rsqrt(0) = inf (IEEE) and negative x, gradchecks (scalars,
 * vectors, matrices, broadcast pairs, size-1 axes) and errors. */
#include "testutil.h"

static tg_tensor *rsqrt_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_rsqrt(in[0]);
}

/* rsqrt(a) b: the gradient passes through a broadcasting product. */
static tg_tensor *rsqrt_times_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_mul(tg_rsqrt(in[0]), in[1]);
}

/* The value and the gradient of tg_rsqrt at x, in dtype. */
static void value_and_grad(tg_dtype dtype, double x, double *y, double *dy)
{
    tg_tensor *t = tu_tensor(dtype, TU_SCALAR, &x, true);
    tg_tensor *out = tg_rsqrt(t);
    tu_assert_ok(out);
    ck_assert_int_eq(tg_backward(out), 0);
    *y = tg_item(out);
    *dy = tg_grad_get(t, 0);
}

static double drsqrt(double x) { return -0.5 / (x * sqrt(x)); }
static double d2rsqrt(double x) { return 0.75 / (x * x * sqrt(x)); }
static double ref_f32(float x) { return 1 / sqrtf(x); }
static double ref_f64(double x) { return 1 / sqrt(x); }

START_TEST(rsqrt_values_and_gradient)
{
    double x[6] = {1e-4, 0.25, 1, 2, 16, 1e6};
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *t = tu_tensor((tg_dtype)dt, TU_SHAPE(2, 3), x, true);
        tg_tensor *y = tg_rsqrt(t);
        tu_assert_ok(y);
        ck_assert_int_eq(tg_dtype_of(y), dt);
        ck_assert_int_eq(tg_op_kind_of(y), TG_OP_RSQRT);
        ck_assert_int_eq(tg_backward_ex(y, tg_full((tg_dtype)dt, 2, tg_shape(y), 1, false), 0), 0);
        for (int i = 0; i < 6; i++) {
            /* f32 against the float function at the float input */
            double xi = dt == TG_F32 ? (double)(float)x[i] : x[i];
            double want = dt == TG_F32 ? ref_f32((float)x[i]) : ref_f64(x[i]);
            tu_assert_close(tg_get(y, i), want, dt == TG_F32 ? 1e-6 : 1e-15);
            tu_assert_close(tg_grad_get(t, i), drsqrt(xi), dt == TG_F32 ? 1e-5 : 1e-14);
        }
    }
}
END_TEST

/* The recorded rule is differentiated again. */
START_TEST(rsqrt_second_derivative)
{
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        double x0 = 0.7;
        tg_tensor *x = tu_tensor((tg_dtype)dt, TU_SCALAR, &x0, true), *dy, *d2y;
        tg_tensor *y = tg_rsqrt(x);
        ck_assert_int_eq(tg_grad(&y, 1, &x, 1, &dy, true), 0);
        ck_assert_int_eq(tg_grad(&dy, 1, &x, 1, &d2y, false), 0);
        tu_assert_close(tg_item(d2y), d2rsqrt(dt == TG_F32 ? (double)(float)x0 : x0),
                        dt == TG_F32 ? 1e-5 : 1e-13);
    }
}
END_TEST

/* rsqrt(+0) = +inf with gradient -inf; rsqrt(-0) = -inf, and the gradient
 * -y^3/2 is then +inf (PyTorch's formula, -0.5 g y^3, gives the same). */
START_TEST(rsqrt_at_zero_and_below)
{
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        double y, dy;
        value_and_grad((tg_dtype)dt, 0, &y, &dy);
        ck_assert(isinf(y) && y > 0);
        ck_assert(isinf(dy) && dy < 0);
        value_and_grad((tg_dtype)dt, -0.0, &y, &dy);
        ck_assert(isinf(y) && y < 0);
        ck_assert(isinf(dy) && dy > 0);
        value_and_grad((tg_dtype)dt, -1, &y, &dy);
        ck_assert(isnan(y) && isnan(dy));
    }
    double y, dy;
    value_and_grad(TG_F64, 1e300, &y, &dy);
    tu_assert_close(y / 1e-150, 1, 1e-15);
    ck_assert(dy <= 0 && dy > -1e-300);
}
END_TEST

START_TEST(rsqrt_gradcheck)
{
    static const tu_shape shapes[] = {TU_SCALAR, TU_SHAPE(5), TU_SHAPE(2, 3), TU_SHAPE(2, 1, 3)};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        tu_gradcheck_both(rsqrt_fn, NULL, 1, &shapes[i], 0.5, 2);
    for (int p = 0; p < TU_BROADCAST_PAIRS; p++)
        tu_gradcheck_both(rsqrt_times_fn, NULL, 2, tu_broadcast_pairs[p], 0.5, 2);
}
END_TEST

START_TEST(rsqrt_errors)
{
    ck_assert_ptr_null(tg_rsqrt(NULL));
    ck_assert_str_eq(tg_last_error(), "tg_rsqrt: argument 1 is NULL");
}
END_TEST

TCase *tg_test_rsqrt(void)
{
    TCase *tc = tu_tcase("rsqrt");
    tcase_add_test(tc, rsqrt_values_and_gradient);
    tcase_add_test(tc, rsqrt_second_derivative);
    tcase_add_test(tc, rsqrt_at_zero_and_below);
    tcase_add_test(tc, rsqrt_gradcheck);
    tcase_add_test(tc, rsqrt_errors);
    return tc;
}
