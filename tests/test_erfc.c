/* test_erfc.c -- tg_erfc: values against C's erfc, the gradient -2/sqrt(pi)
 * e^(-x^2), the second derivative, the right tail without cancellation (erfc
 * at 10, 26 and 30), gradchecks (scalars, vectors, matrices, broadcast
 * pairs, size-1 axes) and errors. */
#include "testutil.h"

#define TWO_OVER_SQRTPI 1.12837916709551257390

static tg_tensor *erfc_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_erfc(in[0]);
}

/* erfc(a) b: the gradient passes through a broadcasting product. */
static tg_tensor *erfc_times_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_mul(tg_erfc(in[0]), in[1]);
}

/* The value and the gradient of tg_erfc at x, in dtype. */
static void value_and_grad(tg_dtype dtype, double x, double *y, double *dy)
{
    tg_tensor *t = tu_tensor(dtype, TU_SCALAR, &x, true);
    tg_tensor *out = tg_erfc(t);
    tu_assert_ok(out);
    ck_assert_int_eq(tg_backward(out), 0);
    *y = tg_item(out);
    *dy = tg_grad_get(t, 0);
}

static double derfc(double x) { return -TWO_OVER_SQRTPI * exp(-x * x); }
static double d2erfc(double x) { return 2 * x * TWO_OVER_SQRTPI * exp(-x * x); }
static double ref_f32(float x) { return erfcf(x); }
static double ref_f64(double x) { return erfc(x); }

START_TEST(erfc_values_and_gradient)
{
    double x[6] = {-3, -0.5, 0, 0.1, 1, 4};
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *t = tu_tensor((tg_dtype)dt, TU_SHAPE(2, 3), x, true);
        tg_tensor *y = tg_erfc(t);
        tu_assert_ok(y);
        ck_assert_int_eq(tg_dtype_of(y), dt);
        ck_assert_int_eq(tg_op_kind_of(y), TG_OP_ERFC);
        ck_assert_int_eq(tg_backward_ex(y, tg_full((tg_dtype)dt, 2, tg_shape(y), 1, false), 0), 0);
        for (int i = 0; i < 6; i++) {
            /* f32 against the float function at the float input */
            double xi = dt == TG_F32 ? (double)(float)x[i] : x[i];
            double want = dt == TG_F32 ? ref_f32((float)x[i]) : ref_f64(x[i]);
            tu_assert_close(tg_get(y, i), want, dt == TG_F32 ? 1e-6 : 1e-15);
            tu_assert_close(tg_grad_get(t, i), derfc(xi), dt == TG_F32 ? 1e-5 : 1e-14);
        }
    }
}
END_TEST

/* The recorded rule is differentiated again. */
START_TEST(erfc_second_derivative)
{
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        double x0 = 0.7;
        tg_tensor *x = tu_tensor((tg_dtype)dt, TU_SCALAR, &x0, true), *dy, *d2y;
        tg_tensor *y = tg_erfc(x);
        ck_assert_int_eq(tg_grad(&y, 1, &x, 1, &dy, true), 0);
        ck_assert_int_eq(tg_grad(&dy, 1, &x, 1, &d2y, false), 0);
        tu_assert_close(tg_item(d2y), d2erfc(dt == TG_F32 ? (double)(float)x0 : x0),
                        dt == TG_F32 ? 1e-5 : 1e-13);
    }
}
END_TEST

/* 1 - erf(x) is 0 from x = 6 on; erfc keeps the tail to full precision
 * until it underflows (erfc(30) is about 3e-393, below the smallest double):
 * finite values and gradients all the way. */
START_TEST(erfc_in_the_right_tail)
{
    double y, dy;
    value_and_grad(TG_F64, 10, &y, &dy);
    tu_assert_close(y / 2.0884875837625446e-45, 1, 1e-14);
    tu_assert_close(dy / (-TWO_OVER_SQRTPI * exp(-100.0)), 1, 1e-13);
    value_and_grad(TG_F64, 26, &y, &dy);
    ck_assert(y > 0);
    tu_assert_close(y / erfc(26.0), 1, 1e-15);
    value_and_grad(TG_F32, 9, &y, &dy);
    tu_assert_close(y / erfc(9.0), 1, 1e-5);
    tu_assert_close(dy / (-TWO_OVER_SQRTPI * exp(-81.0)), 1, 1e-5);
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        value_and_grad((tg_dtype)dt, 30, &y, &dy);
        ck_assert(y == 0 && dy == 0);
        value_and_grad((tg_dtype)dt, -30, &y, &dy);
        ck_assert(y == 2 && dy == 0);
    }
}
END_TEST

START_TEST(erfc_gradcheck)
{
    static const tu_shape shapes[] = {TU_SCALAR, TU_SHAPE(5), TU_SHAPE(2, 3), TU_SHAPE(2, 1, 3)};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        tu_gradcheck_both(erfc_fn, NULL, 1, &shapes[i], -2, 2);
    for (int p = 0; p < TU_BROADCAST_PAIRS; p++)
        tu_gradcheck_both(erfc_times_fn, NULL, 2, tu_broadcast_pairs[p], -2, 2);
}
END_TEST

START_TEST(erfc_errors)
{
    ck_assert_ptr_null(tg_erfc(NULL));
    ck_assert_str_eq(tg_last_error(), "tg_erfc: argument 1 is NULL");
}
END_TEST

TCase *tg_test_erfc(void)
{
    TCase *tc = tu_tcase("erfc");
    tcase_add_test(tc, erfc_values_and_gradient);
    tcase_add_test(tc, erfc_second_derivative);
    tcase_add_test(tc, erfc_in_the_right_tail);
    tcase_add_test(tc, erfc_gradcheck);
    tcase_add_test(tc, erfc_errors);
    return tc;
}
