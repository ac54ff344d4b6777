/* test_log1p.c -- tg_log1p: values against C's log1p, the gradient 1/(1 +
 * x), the second derivative, full precision for tiny x, -1 and below,
 * gradchecks (scalars, vectors, matrices, broadcast pairs, size-1 axes) and
 * errors. */
#include "testutil.h"

static tg_tensor *log1p_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_log1p(in[0]);
}

/* log1p(a) b: the gradient passes through a broadcasting product. */
static tg_tensor *log1p_times_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_mul(tg_log1p(in[0]), in[1]);
}

/* The value and the gradient of tg_log1p at x, in dtype. */
static void value_and_grad(tg_dtype dtype, double x, double *y, double *dy)
{
    tg_tensor *t = tu_tensor(dtype, TU_SCALAR, &x, true);
    tg_tensor *out = tg_log1p(t);
    tu_assert_ok(out);
    ck_assert_int_eq(tg_backward(out), 0);
    *y = tg_item(out);
    *dy = tg_grad_get(t, 0);
}

static double dlog1p(double x) { return 1 / (1 + x); }
static double d2log1p(double x) { return -1 / ((1 + x) * (1 + x)); }
static double ref_f32(float x) { return log1pf(x); }
static double ref_f64(double x) { return log1p(x); }

START_TEST(log1p_values_and_gradient)
{
    double x[6] = {-0.9, -0.3, 0, 1e-3, 1, 20};
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *t = tu_tensor((tg_dtype)dt, TU_SHAPE(2, 3), x, true);
        tg_tensor *y = tg_log1p(t);
        tu_assert_ok(y);
        ck_assert_int_eq(tg_dtype_of(y), dt);
        ck_assert_int_eq(tg_op_kind_of(y), TG_OP_LOG1P);
        ck_assert_int_eq(tg_backward_ex(y, tg_full((tg_dtype)dt, 2, tg_shape(y), 1, false), 0), 0);
        for (int i = 0; i < 6; i++) {
            /* f32 against the float function at the float input */
            double xi = dt == TG_F32 ? (double)(float)x[i] : x[i];
            double want = dt == TG_F32 ? ref_f32((float)x[i]) : ref_f64(x[i]);
            tu_assert_close(tg_get(y, i), want, dt == TG_F32 ? 1e-6 : 1e-15);
            tu_assert_close(tg_grad_get(t, i), dlog1p(xi), dt == TG_F32 ? 1e-5 : 1e-14);
        }
    }
}
END_TEST

/* The recorded rule is differentiated again. */
START_TEST(log1p_second_derivative)
{
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        double x0 = 0.7;
        tg_tensor *x = tu_tensor((tg_dtype)dt, TU_SCALAR, &x0, true), *dy, *d2y;
        tg_tensor *y = tg_log1p(x);
        ck_assert_int_eq(tg_grad(&y, 1, &x, 1, &dy, true), 0);
        ck_assert_int_eq(tg_grad(&dy, 1, &x, 1, &d2y, false), 0);
        tu_assert_close(tg_item(d2y), d2log1p(dt == TG_F32 ? (double)(float)x0 : x0),
                        dt == TG_F32 ? 1e-5 : 1e-13);
    }
}
END_TEST

/* log(1 + 1e-20) is 0: 1 + x rounds x away. log1p keeps it. */
START_TEST(log1p_of_tiny_x_to_full_precision)
{
    double y, dy;
    value_and_grad(TG_F64, 1e-20, &y, &dy);
    ck_assert(y == 1e-20);
    ck_assert(dy == 1);
    value_and_grad(TG_F64, -3e-17, &y, &dy);
    tu_assert_close(y / -3e-17, 1, 1e-15);
    value_and_grad(TG_F32, 1e-10, &y, &dy);
    tu_assert_close(y / (double)1e-10f, 1, 1e-7);
}
END_TEST

START_TEST(log1p_at_minus_one_and_below)
{
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        double y, dy;
        value_and_grad((tg_dtype)dt, -1, &y, &dy);
        ck_assert(isinf(y) && y < 0);
        ck_assert(isinf(dy) && dy > 0);
        /* below -1 the value is NaN; the formula, like PyTorch's, gives -1 */
        value_and_grad((tg_dtype)dt, -2, &y, &dy);
        ck_assert(isnan(y));
        ck_assert(dy == -1);
    }
}
END_TEST

START_TEST(log1p_gradcheck)
{
    static const tu_shape shapes[] = {TU_SCALAR, TU_SHAPE(5), TU_SHAPE(2, 3), TU_SHAPE(2, 1, 3)};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        tu_gradcheck_both(log1p_fn, NULL, 1, &shapes[i], -0.5, 2);
    for (int p = 0; p < TU_BROADCAST_PAIRS; p++)
        tu_gradcheck_both(log1p_times_fn, NULL, 2, tu_broadcast_pairs[p], -0.5, 2);
}
END_TEST

START_TEST(log1p_errors)
{
    ck_assert_ptr_null(tg_log1p(NULL));
    ck_assert_str_eq(tg_last_error(), "tg_log1p: argument 1 is NULL");
}
END_TEST

TCase *tg_test_log1p(void)
{
    TCase *tc = tu_tcase("log1p");
    tcase_add_test(tc, log1p_values_and_gradient);
    tcase_add_test(tc, log1p_second_derivative);
    tcase_add_test(tc, log1p_of_tiny_x_to_full_precision);
    tcase_add_test(tc, log1p_at_minus_one_and_below);
    tcase_add_test(tc, log1p_gradcheck);
    tcase_add_test(tc, log1p_errors);
    return tc;
}
