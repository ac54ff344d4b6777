/* test_sinh.c -- tg_sinh: values against C's sinh, the gradient cosh x, the
 * second derivative, precision near 0 and overflow only with the value,
 * gradchecks (scalars, vectors, matrices, broadcast pairs, size-1 axes) and
 * errors. */
#include "testutil.h"

static tg_tensor *sinh_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_sinh(in[0]);
}

/* sinh(a) b: the gradient passes through a broadcasting product. */
static tg_tensor *sinh_times_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_mul(tg_sinh(in[0]), in[1]);
}

/* The value and the gradient of tg_sinh at x, in dtype. */
static void value_and_grad(tg_dtype dtype, double x, double *y, double *dy)
{
    tg_tensor *t = tu_tensor(dtype, TU_SCALAR, &x, true);
    tg_tensor *out = tg_sinh(t);
    tu_assert_ok(out);
    ck_assert_int_eq(tg_backward(out), 0);
    *y = tg_item(out);
    *dy = tg_grad_get(t, 0);
}

static double dsinh(double x) { return cosh(x); }
static double d2sinh(double x) { return sinh(x); }
static double ref_f32(float x) { return sinhf(x); }
static double ref_f64(double x) { return sinh(x); }

START_TEST(sinh_values_and_gradient)
{
    double x[6] = {-3, -1, -1e-8, 0, 0.5, 2};
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *t = tu_tensor((tg_dtype)dt, TU_SHAPE(2, 3), x, true);
        tg_tensor *y = tg_sinh(t);
        tu_assert_ok(y);
        ck_assert_int_eq(tg_dtype_of(y), dt);
        ck_assert_int_eq(tg_op_kind_of(y), TG_OP_SINH);
        ck_assert_int_eq(tg_backward_ex(y, tg_full((tg_dtype)dt, 2, tg_shape(y), 1, false), 0), 0);
        for (int i = 0; i < 6; i++) {
            /* f32 against the float function at the float input */
            double xi = dt == TG_F32 ? (double)(float)x[i] : x[i];
            double want = dt == TG_F32 ? ref_f32((float)x[i]) : ref_f64(x[i]);
            tu_assert_close(tg_get(y, i), want, dt == TG_F32 ? 1e-6 : 1e-15);
            tu_assert_close(tg_grad_get(t, i), dsinh(xi), dt == TG_F32 ? 1e-5 : 1e-14);
        }
    }
}
END_TEST

/* The recorded rule is differentiated again. */
START_TEST(sinh_second_derivative)
{
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        double x0 = 0.7;
        tg_tensor *x = tu_tensor((tg_dtype)dt, TU_SCALAR, &x0, true), *dy, *d2y;
        tg_tensor *y = tg_sinh(x);
        ck_assert_int_eq(tg_grad(&y, 1, &x, 1, &dy, true), 0);
        ck_assert_int_eq(tg_grad(&dy, 1, &x, 1, &d2y, false), 0);
        tu_assert_close(tg_item(d2y), d2sinh(dt == TG_F32 ? (double)(float)x0 : x0),
                        dt == TG_F32 ? 1e-5 : 1e-13);
    }
}
END_TEST

START_TEST(sinh_is_exact_near_0)
{
    double y, dy;
    value_and_grad(TG_F64, 1e-10, &y, &dy);
    tu_assert_close(y / 1e-10, 1, 1e-15);
    tu_assert_close(dy, 1, 1e-15);
    value_and_grad(TG_F32, 1e-5, &y, &dy);
    tu_assert_close(y / (double)1e-5f, 1, 1e-6);
}
END_TEST

/* sinh and its gradient cosh overflow together: at 710 (f64) and 89 (f32)
 * both are finite, one step on both are inf. */
START_TEST(sinh_overflows_only_with_its_value)
{
    double y, dy;
    value_and_grad(TG_F64, 710, &y, &dy);
    ck_assert(isfinite(y) && isfinite(dy));
    tu_assert_close(dy / cosh(710.0), 1, 1e-15);
    value_and_grad(TG_F64, 711, &y, &dy);
    ck_assert(isinf(y) && isinf(dy));
    value_and_grad(TG_F32, 89, &y, &dy);
    ck_assert(isfinite(y) && isfinite(dy));
    value_and_grad(TG_F32, -90, &y, &dy);
    ck_assert(isinf(y) && y < 0 && isinf(dy) && dy > 0);
}
END_TEST

START_TEST(sinh_gradcheck)
{
    static const tu_shape shapes[] = {TU_SCALAR, TU_SHAPE(5), TU_SHAPE(2, 3), TU_SHAPE(2, 1, 3)};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        tu_gradcheck_both(sinh_fn, NULL, 1, &shapes[i], -2, 2);
    for (int p = 0; p < TU_BROADCAST_PAIRS; p++)
        tu_gradcheck_both(sinh_times_fn, NULL, 2, tu_broadcast_pairs[p], -2, 2);
}
END_TEST

START_TEST(sinh_errors)
{
    ck_assert_ptr_null(tg_sinh(NULL));
    ck_assert_str_eq(tg_last_error(), "tg_sinh: argument 1 is NULL");
}
END_TEST

TCase *tg_test_sinh(void)
{
    TCase *tc = tu_tcase("sinh");
    tcase_add_test(tc, sinh_values_and_gradient);
    tcase_add_test(tc, sinh_second_derivative);
    tcase_add_test(tc, sinh_is_exact_near_0);
    tcase_add_test(tc, sinh_overflows_only_with_its_value);
    tcase_add_test(tc, sinh_gradcheck);
    tcase_add_test(tc, sinh_errors);
    return tc;
}
