/* test_acosh.c -- tg_acosh: values against C's acosh, the gradient
 * 1/sqrt(x^2 - 1), the second derivative, +inf at 1 (IEEE), NaN below,
 * precision near 1 and far out, gradchecks (scalars, vectors, matrices,
 * broadcast pairs, size-1 axes) and errors. */
#include "testutil.h"

static tg_tensor *acosh_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_acosh(in[0]);
}

/* acosh(a) b: the gradient passes through a broadcasting product. */
static tg_tensor *acosh_times_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_mul(tg_acosh(in[0]), in[1]);
}

/* The value and the gradient of tg_acosh at x, in dtype. */
static void value_and_grad(tg_dtype dtype, double x, double *y, double *dy)
{
    tg_tensor *t = tu_tensor(dtype, TU_SCALAR, &x, true);
    tg_tensor *out = tg_acosh(t);
    tu_assert_ok(out);
    ck_assert_int_eq(tg_backward(out), 0);
    *y = tg_item(out);
    *dy = tg_grad_get(t, 0);
}

static double dacosh(double x) { return 1 / sqrt((x - 1) * (x + 1)); }
static double d2acosh(double x) { return -x / pow((x - 1) * (x + 1), 1.5); }
static double ref_f32(float x) { return acoshf(x); }
static double ref_f64(double x) { return acosh(x); }

START_TEST(acosh_values_and_gradient)
{
    double x[6] = {1.01, 1.5, 2, 3, 10, 100};
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *t = tu_tensor((tg_dtype)dt, TU_SHAPE(2, 3), x, true);
        tg_tensor *y = tg_acosh(t);
        tu_assert_ok(y);
        ck_assert_int_eq(tg_dtype_of(y), dt);
        ck_assert_int_eq(tg_op_kind_of(y), TG_OP_ACOSH);
        ck_assert_int_eq(tg_backward_ex(y, tg_full((tg_dtype)dt, 2, tg_shape(y), 1, false), 0), 0);
        for (int i = 0; i < 6; i++) {
            /* f32 against the float function at the float input */
            double xi = dt == TG_F32 ? (double)(float)x[i] : x[i];
            double want = dt == TG_F32 ? ref_f32((float)x[i]) : ref_f64(x[i]);
            tu_assert_close(tg_get(y, i), want, dt == TG_F32 ? 1e-6 : 1e-15);
            tu_assert_close(tg_grad_get(t, i), dacosh(xi), dt == TG_F32 ? 1e-5 : 1e-14);
        }
    }
}
END_TEST

/* The recorded rule is differentiated again. */
START_TEST(acosh_second_derivative)
{
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        double x0 = 1.7;
        tg_tensor *x = tu_tensor((tg_dtype)dt, TU_SCALAR, &x0, true), *dy, *d2y;
        tg_tensor *y = tg_acosh(x);
        ck_assert_int_eq(tg_grad(&y, 1, &x, 1, &dy, true), 0);
        ck_assert_int_eq(tg_grad(&dy, 1, &x, 1, &d2y, false), 0);
        tu_assert_close(tg_item(d2y), d2acosh(dt == TG_F32 ? (double)(float)x0 : x0),
                        dt == TG_F32 ? 1e-5 : 1e-13);
    }
}
END_TEST

/* The derivative at 1 is 1/sinh(0) = +inf (IEEE, as in PyTorch). */
START_TEST(acosh_at_one)
{
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        double y, dy;
        value_and_grad((tg_dtype)dt, 1, &y, &dy);
        ck_assert(y == 0);
        ck_assert(isinf(dy) && dy > 0);
        value_and_grad((tg_dtype)dt, 0.5, &y, &dy);
        ck_assert(isnan(y) && isnan(dy));
    }
}
END_TEST

/* 1/sinh(acosh x) neither cancels near 1 nor overflows far out. */
START_TEST(acosh_near_one_and_far_out)
{
    double y, dy;
    value_and_grad(TG_F64, 1 + 0x1p-30, &y, &dy);
    tu_assert_close(dy / (1 / sqrt(0x1p-30 * (2 + 0x1p-30))), 1, 1e-13);
    value_and_grad(TG_F64, 1e300, &y, &dy);
    tu_assert_close(y, acosh(1e300), 1e-15);
    tu_assert_close(dy / 1e-300, 1, 1e-12);
    value_and_grad(TG_F32, 1e30, &y, &dy);
    tu_assert_close(dy / 1e-30, 1, 1e-5);
}
END_TEST

START_TEST(acosh_gradcheck)
{
    static const tu_shape shapes[] = {TU_SCALAR, TU_SHAPE(5), TU_SHAPE(2, 3), TU_SHAPE(2, 1, 3)};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        tu_gradcheck_both(acosh_fn, NULL, 1, &shapes[i], 1.2, 3);
    for (int p = 0; p < TU_BROADCAST_PAIRS; p++)
        tu_gradcheck_both(acosh_times_fn, NULL, 2, tu_broadcast_pairs[p], 1.2, 3);
}
END_TEST

START_TEST(acosh_errors)
{
    ck_assert_ptr_null(tg_acosh(NULL));
    ck_assert_str_eq(tg_last_error(), "tg_acosh: argument 1 is NULL");
}
END_TEST

TCase *tg_test_acosh(void)
{
    TCase *tc = tu_tcase("acosh");
    tcase_add_test(tc, acosh_values_and_gradient);
    tcase_add_test(tc, acosh_second_derivative);
    tcase_add_test(tc, acosh_at_one);
    tcase_add_test(tc, acosh_near_one_and_far_out);
    tcase_add_test(tc, acosh_gradcheck);
    tcase_add_test(tc, acosh_errors);
    return tc;
}
