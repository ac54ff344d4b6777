/* test_tan.c -- tg_tan: values against C's tan, the gradient 1 + tan^2 x,
 * the second derivative, large finite values beside the pole, gradchecks
 * (scalars, vectors, matrices, broadcast pairs, size-1 axes) and errors. */
#include "testutil.h"

static tg_tensor *tan_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_tan(in[0]);
}

/* tan(a) b: the gradient passes through a broadcasting product. */
static tg_tensor *tan_times_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_mul(tg_tan(in[0]), in[1]);
}

/* The value and the gradient of tg_tan at x, in dtype. */
static void value_and_grad(tg_dtype dtype, double x, double *y, double *dy)
{
    tg_tensor *t = tu_tensor(dtype, TU_SCALAR, &x, true);
    tg_tensor *out = tg_tan(t);
    tu_assert_ok(out);
    ck_assert_int_eq(tg_backward(out), 0);
    *y = tg_item(out);
    *dy = tg_grad_get(t, 0);
}

static double dtan(double x) { return 1 + tan(x) * tan(x); }
static double d2tan(double x) { return 2 * tan(x) * (1 + tan(x) * tan(x)); }
static double ref_f32(float x) { return tanf(x); }
static double ref_f64(double x) { return tan(x); }

START_TEST(tan_values_and_gradient)
{
    double x[6] = {-1.2, -0.5, 0, 0.3, 1, 1.5};
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *t = tu_tensor((tg_dtype)dt, TU_SHAPE(2, 3), x, true);
        tg_tensor *y = tg_tan(t);
        tu_assert_ok(y);
        ck_assert_int_eq(tg_dtype_of(y), dt);
        ck_assert_int_eq(tg_op_kind_of(y), TG_OP_TAN);
        ck_assert_int_eq(tg_backward_ex(y, tg_full((tg_dtype)dt, 2, tg_shape(y), 1, false), 0), 0);
        for (int i = 0; i < 6; i++) {
            /* f32 against the float function at the float input */
            double xi = dt == TG_F32 ? (double)(float)x[i] : x[i];
            double want = dt == TG_F32 ? ref_f32((float)x[i]) : ref_f64(x[i]);
            tu_assert_close(tg_get(y, i), want, dt == TG_F32 ? 1e-6 : 1e-15);
            tu_assert_close(tg_grad_get(t, i), dtan(xi), dt == TG_F32 ? 1e-5 : 1e-14);
        }
    }
}
END_TEST

/* The recorded rule is differentiated again. */
START_TEST(tan_second_derivative)
{
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        double x0 = 0.7;
        tg_tensor *x = tu_tensor((tg_dtype)dt, TU_SCALAR, &x0, true), *dy, *d2y;
        tg_tensor *y = tg_tan(x);
        ck_assert_int_eq(tg_grad(&y, 1, &x, 1, &dy, true), 0);
        ck_assert_int_eq(tg_grad(&dy, 1, &x, 1, &d2y, false), 0);
        tu_assert_close(tg_item(d2y), d2tan(dt == TG_F32 ? (double)(float)x0 : x0),
                        dt == TG_F32 ? 1e-5 : 1e-13);
    }
}
END_TEST

/* pi/2 is not a double: next to it tan is about 1.6e16, and its gradient
 * 1 + tan^2 about 2.7e32, both finite. */
START_TEST(tan_beside_the_pole_is_finite)
{
    double x = 1.5707963267948966, y, dy;
    value_and_grad(TG_F64, x, &y, &dy);
    tu_assert_close(y, tan(x), 1e-15);
    tu_assert_close(dy, 1 + tan(x) * tan(x), 1e-14);
    ck_assert(isfinite(dy));
    value_and_grad(TG_F64, INFINITY, &y, &dy);
    ck_assert(isnan(y) && isnan(dy));
}
END_TEST

START_TEST(tan_gradcheck)
{
    static const tu_shape shapes[] = {TU_SCALAR, TU_SHAPE(5), TU_SHAPE(2, 3), TU_SHAPE(2, 1, 3)};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        tu_gradcheck_both(tan_fn, NULL, 1, &shapes[i], -1.2, 1.2);
    for (int p = 0; p < TU_BROADCAST_PAIRS; p++)
        tu_gradcheck_both(tan_times_fn, NULL, 2, tu_broadcast_pairs[p], -1.2, 1.2);
}
END_TEST

START_TEST(tan_errors)
{
    ck_assert_ptr_null(tg_tan(NULL));
    ck_assert_str_eq(tg_last_error(), "tg_tan: argument 1 is NULL");
}
END_TEST

TCase *tg_test_tan(void)
{
    TCase *tc = tu_tcase("tan");
    tcase_add_test(tc, tan_values_and_gradient);
    tcase_add_test(tc, tan_second_derivative);
    tcase_add_test(tc, tan_beside_the_pole_is_finite);
    tcase_add_test(tc, tan_gradcheck);
    tcase_add_test(tc, tan_errors);
    return tc;
}
