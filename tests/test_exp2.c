/* test_exp2.c -- tg_exp2: values against C's exp2, the gradient 2^x ln 2,
 * the second derivative, exact integers, overflow and underflow, gradchecks
 * (scalars, vectors, matrices, broadcast pairs, size-1 axes) and errors. */
#include "testutil.h"

#define LN2 0.69314718055994530942

static tg_tensor *exp2_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_exp2(in[0]);
}

/* exp2(a) b: the gradient passes through a broadcasting product. */
static tg_tensor *exp2_times_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_mul(tg_exp2(in[0]), in[1]);
}

/* The value and the gradient of tg_exp2 at x, in dtype. */
static void value_and_grad(tg_dtype dtype, double x, double *y, double *dy)
{
    tg_tensor *t = tu_tensor(dtype, TU_SCALAR, &x, true);
    tg_tensor *out = tg_exp2(t);
    tu_assert_ok(out);
    ck_assert_int_eq(tg_backward(out), 0);
    *y = tg_item(out);
    *dy = tg_grad_get(t, 0);
}

static double dexp2(double x) { return exp2(x) * LN2; }
static double d2exp2(double x) { return exp2(x) * LN2 * LN2; }
static double ref_f32(float x) { return exp2f(x); }
static double ref_f64(double x) { return exp2(x); }

START_TEST(exp2_values_and_gradient)
{
    double x[6] = {-10, -1.5, 0, 0.5, 3, 10};
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *t = tu_tensor((tg_dtype)dt, TU_SHAPE(2, 3), x, true);
        tg_tensor *y = tg_exp2(t);
        tu_assert_ok(y);
        ck_assert_int_eq(tg_dtype_of(y), dt);
        ck_assert_int_eq(tg_op_kind_of(y), TG_OP_EXP2);
        ck_assert_int_eq(tg_backward_ex(y, tg_full((tg_dtype)dt, 2, tg_shape(y), 1, false), 0), 0);
        for (int i = 0; i < 6; i++) {
            /* f32 against the float function at the float input */
            double xi = dt == TG_F32 ? (double)(float)x[i] : x[i];
            double want = dt == TG_F32 ? ref_f32((float)x[i]) : ref_f64(x[i]);
            tu_assert_close(tg_get(y, i), want, dt == TG_F32 ? 1e-6 : 1e-15);
            tu_assert_close(tg_grad_get(t, i), dexp2(xi), dt == TG_F32 ? 1e-5 : 1e-14);
        }
    }
}
END_TEST

/* The recorded rule is differentiated again. */
START_TEST(exp2_second_derivative)
{
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        double x0 = 0.7;
        tg_tensor *x = tu_tensor((tg_dtype)dt, TU_SCALAR, &x0, true), *dy, *d2y;
        tg_tensor *y = tg_exp2(x);
        ck_assert_int_eq(tg_grad(&y, 1, &x, 1, &dy, true), 0);
        ck_assert_int_eq(tg_grad(&dy, 1, &x, 1, &d2y, false), 0);
        tu_assert_close(tg_item(d2y), d2exp2(dt == TG_F32 ? (double)(float)x0 : x0),
                        dt == TG_F32 ? 1e-5 : 1e-13);
    }
}
END_TEST

START_TEST(exp2_exact_at_integers)
{
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        double y, dy;
        value_and_grad((tg_dtype)dt, 10, &y, &dy);
        ck_assert(y == 1024);
        tu_assert_close(dy, 1024 * LN2, dt == TG_F32 ? 1e-6 : 1e-15);
        value_and_grad((tg_dtype)dt, -3, &y, &dy);
        ck_assert(y == 0.125);
    }
    double y, dy;
    value_and_grad(TG_F64, 1023, &y, &dy);
    ck_assert(y == 0x1p1023 && isfinite(dy));
    value_and_grad(TG_F64, 1024, &y, &dy);
    ck_assert(isinf(y) && isinf(dy));
    value_and_grad(TG_F64, -1074, &y, &dy);
    ck_assert(y == 0x1p-1074);
}
END_TEST

START_TEST(exp2_gradcheck)
{
    static const tu_shape shapes[] = {TU_SCALAR, TU_SHAPE(5), TU_SHAPE(2, 3), TU_SHAPE(2, 1, 3)};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        tu_gradcheck_both(exp2_fn, NULL, 1, &shapes[i], -2, 2);
    for (int p = 0; p < TU_BROADCAST_PAIRS; p++)
        tu_gradcheck_both(exp2_times_fn, NULL, 2, tu_broadcast_pairs[p], -2, 2);
}
END_TEST

START_TEST(exp2_errors)
{
    ck_assert_ptr_null(tg_exp2(NULL));
    ck_assert_str_eq(tg_last_error(), "tg_exp2: argument 1 is NULL");
}
END_TEST

TCase *tg_test_exp2(void)
{
    TCase *tc = tu_tcase("exp2");
    tcase_add_test(tc, exp2_values_and_gradient);
    tcase_add_test(tc, exp2_second_derivative);
    tcase_add_test(tc, exp2_exact_at_integers);
    tcase_add_test(tc, exp2_gradcheck);
    tcase_add_test(tc, exp2_errors);
    return tc;
}
