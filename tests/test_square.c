/* test_square.c -- tg_square: values, the gradient 2x, the second derivative
 * 2, overflow, gradchecks (scalars, vectors, matrices, broadcast pairs,
 * size-1 axes) and errors. */
#include "testutil.h"

static tg_tensor *square_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_square(in[0]);
}

/* square(a) b: the gradient passes through a broadcasting product. */
static tg_tensor *square_times_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_mul(tg_square(in[0]), in[1]);
}

/* The value and the gradient of tg_square at x, in dtype. */
static void value_and_grad(tg_dtype dtype, double x, double *y, double *dy)
{
    tg_tensor *t = tu_tensor(dtype, TU_SCALAR, &x, true);
    tg_tensor *out = tg_square(t);
    tu_assert_ok(out);
    ck_assert_int_eq(tg_backward(out), 0);
    *y = tg_item(out);
    *dy = tg_grad_get(t, 0);
}

static double dsquare(double x) { return 2 * x; }
static double d2square(double x) { (void)x; return 2; }
static double ref_f32(float x) { return x * x; }
static double ref_f64(double x) { return x * x; }

START_TEST(square_values_and_gradient)
{
    double x[6] = {-3, -0.5, 0, 0.25, 2, 1e3};
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *t = tu_tensor((tg_dtype)dt, TU_SHAPE(2, 3), x, true);
        tg_tensor *y = tg_square(t);
        tu_assert_ok(y);
        ck_assert_int_eq(tg_dtype_of(y), dt);
        ck_assert_int_eq(tg_op_kind_of(y), TG_OP_SQUARE);
        ck_assert_int_eq(tg_backward_ex(y, tg_full((tg_dtype)dt, 2, tg_shape(y), 1, false), 0), 0);
        for (int i = 0; i < 6; i++) {
            /* f32 against the float function at the float input */
            double xi = dt == TG_F32 ? (double)(float)x[i] : x[i];
            double want = dt == TG_F32 ? ref_f32((float)x[i]) : ref_f64(x[i]);
            tu_assert_close(tg_get(y, i), want, dt == TG_F32 ? 1e-6 : 1e-15);
            tu_assert_close(tg_grad_get(t, i), dsquare(xi), dt == TG_F32 ? 1e-5 : 1e-14);
        }
    }
}
END_TEST

/* The recorded rule is differentiated again. */
START_TEST(square_second_derivative)
{
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        double x0 = 0.7;
        tg_tensor *x = tu_tensor((tg_dtype)dt, TU_SCALAR, &x0, true), *dy, *d2y;
        tg_tensor *y = tg_square(x);
        ck_assert_int_eq(tg_grad(&y, 1, &x, 1, &dy, true), 0);
        ck_assert_int_eq(tg_grad(&dy, 1, &x, 1, &d2y, false), 0);
        tu_assert_close(tg_item(d2y), d2square(dt == TG_F32 ? (double)(float)x0 : x0),
                        dt == TG_F32 ? 1e-5 : 1e-13);
    }
}
END_TEST

/* x^2 overflows where the math does (1e155 in f64); its gradient 2x does
 * not. */
START_TEST(square_overflows_with_its_value)
{
    double y, dy;
    value_and_grad(TG_F64, -1e155, &y, &dy);
    ck_assert(isinf(y) && y > 0);
    ck_assert(dy == -2e155);
    value_and_grad(TG_F32, 1e20, &y, &dy);
    ck_assert(isinf(y) && isfinite(dy));
}
END_TEST

START_TEST(square_gradcheck)
{
    static const tu_shape shapes[] = {TU_SCALAR, TU_SHAPE(5), TU_SHAPE(2, 3), TU_SHAPE(2, 1, 3)};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        tu_gradcheck_both(square_fn, NULL, 1, &shapes[i], -2, 2);
    for (int p = 0; p < TU_BROADCAST_PAIRS; p++)
        tu_gradcheck_both(square_times_fn, NULL, 2, tu_broadcast_pairs[p], -2, 2);
}
END_TEST

START_TEST(square_errors)
{
    ck_assert_ptr_null(tg_square(NULL));
    ck_assert_str_eq(tg_last_error(), "tg_square: argument 1 is NULL");
}
END_TEST

TCase *tg_test_square(void)
{
    TCase *tc = tu_tcase("square");
    tcase_add_test(tc, square_values_and_gradient);
    tcase_add_test(tc, square_second_derivative);
    tcase_add_test(tc, square_overflows_with_its_value);
    tcase_add_test(tc, square_gradcheck);
    tcase_add_test(tc, square_errors);
    return tc;
}
