/* test_log10.c -- tg_log10: values against C's log10, the gradient 1/(x ln
 * 10), the second derivative, exact powers of ten, 0, negative and tiny x,
 * gradchecks (scalars, vectors, matrices, broadcast pairs, size-1 axes) and
 * errors. */
#include "testutil.h"

#define LN10 2.30258509299404568402

static tg_tensor *log10_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_log10(in[0]);
}

/* log10(a) b: the gradient passes through a broadcasting product. */
static tg_tensor *log10_times_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_mul(tg_log10(in[0]), in[1]);
}

/* The value and the gradient of tg_log10 at x, in dtype. */
static void value_and_grad(tg_dtype dtype, double x, double *y, double *dy)
{
    tg_tensor *t = tu_tensor(dtype, TU_SCALAR, &x, true);
    tg_tensor *out = tg_log10(t);
    tu_assert_ok(out);
    ck_assert_int_eq(tg_backward(out), 0);
    *y = tg_item(out);
    *dy = tg_grad_get(t, 0);
}

static double dlog10(double x) { return 1 / (x * LN10); }
static double d2log10(double x) { return -1 / (x * x * LN10); }
static double ref_f32(float x) { return log10f(x); }
static double ref_f64(double x) { return log10(x); }

START_TEST(log10_values_and_gradient)
{
    double x[6] = {1e-3, 0.3, 1, 2, 8, 1000};
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *t = tu_tensor((tg_dtype)dt, TU_SHAPE(2, 3), x, true);
        tg_tensor *y = tg_log10(t);
        tu_assert_ok(y);
        ck_assert_int_eq(tg_dtype_of(y), dt);
        ck_assert_int_eq(tg_op_kind_of(y), TG_OP_LOG10);
        ck_assert_int_eq(tg_backward_ex(y, tg_full((tg_dtype)dt, 2, tg_shape(y), 1, false), 0), 0);
        for (int i = 0; i < 6; i++) {
            /* f32 against the float function at the float input */
            double xi = dt == TG_F32 ? (double)(float)x[i] : x[i];
            double want = dt == TG_F32 ? ref_f32((float)x[i]) : ref_f64(x[i]);
            tu_assert_close(tg_get(y, i), want, dt == TG_F32 ? 1e-6 : 1e-15);
            tu_assert_close(tg_grad_get(t, i), dlog10(xi), dt == TG_F32 ? 1e-5 : 1e-14);
        }
    }
}
END_TEST

/* The recorded rule is differentiated again. */
START_TEST(log10_second_derivative)
{
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        double x0 = 0.7;
        tg_tensor *x = tu_tensor((tg_dtype)dt, TU_SCALAR, &x0, true), *dy, *d2y;
        tg_tensor *y = tg_log10(x);
        ck_assert_int_eq(tg_grad(&y, 1, &x, 1, &dy, true), 0);
        ck_assert_int_eq(tg_grad(&dy, 1, &x, 1, &d2y, false), 0);
        tu_assert_close(tg_item(d2y), d2log10(dt == TG_F32 ? (double)(float)x0 : x0),
                        dt == TG_F32 ? 1e-5 : 1e-13);
    }
}
END_TEST

START_TEST(log10_exact_at_powers)
{
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        double y, dy;
        value_and_grad((tg_dtype)dt, 1000, &y, &dy);
        ck_assert(y == 3);
        tu_assert_close(dy, 1 / (1000 * LN10), dt == TG_F32 ? 1e-6 : 1e-15);
        value_and_grad((tg_dtype)dt, 0.01, &y, &dy);
        ck_assert(y == -2);
    }
}
END_TEST

/* 0 gives -inf with a +inf gradient, a negative x NaN (IEEE) while the
 * formula, like PyTorch's, still gives 1/(x ln b); a tiny x a large finite
 * gradient. */
START_TEST(log10_at_zero_negative_and_tiny)
{
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        double y, dy;
        value_and_grad((tg_dtype)dt, 0, &y, &dy);
        ck_assert(isinf(y) && y < 0);
        ck_assert(isinf(dy) && dy > 0);
        value_and_grad((tg_dtype)dt, -1, &y, &dy);
        ck_assert(isnan(y));
        tu_assert_close(dy, -1 / LN10, 1e-6);
    }
    double y, dy;
    value_and_grad(TG_F64, 1e-300, &y, &dy);
    tu_assert_close(y, log10(1e-300), 1e-15);
    tu_assert_close(dy / (1 / (1e-300 * LN10)), 1, 1e-15);
}
END_TEST

START_TEST(log10_gradcheck)
{
    static const tu_shape shapes[] = {TU_SCALAR, TU_SHAPE(5), TU_SHAPE(2, 3), TU_SHAPE(2, 1, 3)};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        tu_gradcheck_both(log10_fn, NULL, 1, &shapes[i], 0.5, 2);
    for (int p = 0; p < TU_BROADCAST_PAIRS; p++)
        tu_gradcheck_both(log10_times_fn, NULL, 2, tu_broadcast_pairs[p], 0.5, 2);
}
END_TEST

START_TEST(log10_errors)
{
    ck_assert_ptr_null(tg_log10(NULL));
    ck_assert_str_eq(tg_last_error(), "tg_log10: argument 1 is NULL");
}
END_TEST

TCase *tg_test_log10(void)
{
    TCase *tc = tu_tcase("log10");
    tcase_add_test(tc, log10_values_and_gradient);
    tcase_add_test(tc, log10_second_derivative);
    tcase_add_test(tc, log10_exact_at_powers);
    tcase_add_test(tc, log10_at_zero_negative_and_tiny);
    tcase_add_test(tc, log10_gradcheck);
    tcase_add_test(tc, log10_errors);
    return tc;
}
