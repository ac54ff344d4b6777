/* test_atanh.c -- tg_atanh: values against C's atanh, the gradient 1/(1 -
 * x^2), the second derivative, +-inf with a +inf gradient at +-1 (IEEE), NaN
 * beyond, gradchecks (scalars, vectors, matrices, broadcast pairs, size-1
 * axes) and errors. */
#include "testutil.h"

static tg_tensor *atanh_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_atanh(in[0]);
}

/* atanh(a) b: the gradient passes through a broadcasting product. */
static tg_tensor *atanh_times_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_mul(tg_atanh(in[0]), in[1]);
}

/* The value and the gradient of tg_atanh at x, in dtype. */
static void value_and_grad(tg_dtype dtype, double x, double *y, double *dy)
{
    tg_tensor *t = tu_tensor(dtype, TU_SCALAR, &x, true);
    tg_tensor *out = tg_atanh(t);
    tu_assert_ok(out);
    ck_assert_int_eq(tg_backward(out), 0);
    *y = tg_item(out);
    *dy = tg_grad_get(t, 0);
}

static double datanh(double x) { return 1 / ((1 - x) * (1 + x)); }
static double d2atanh(double x) { return 2 * x / (((1 - x) * (1 + x)) * ((1 - x) * (1 + x))); }
static double ref_f32(float x) { return atanhf(x); }
static double ref_f64(double x) { return atanh(x); }

START_TEST(atanh_values_and_gradient)
{
    double x[6] = {-0.99, -0.5, 0, 0.1, 0.6, 0.9};
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *t = tu_tensor((tg_dtype)dt, TU_SHAPE(2, 3), x, true);
        tg_tensor *y = tg_atanh(t);
        tu_assert_ok(y);
        ck_assert_int_eq(tg_dtype_of(y), dt);
        ck_assert_int_eq(tg_op_kind_of(y), TG_OP_ATANH);
        ck_assert_int_eq(tg_backward_ex(y, tg_full((tg_dtype)dt, 2, tg_shape(y), 1, false), 0), 0);
        for (int i = 0; i < 6; i++) {
            /* f32 against the float function at the float input */
            double xi = dt == TG_F32 ? (double)(float)x[i] : x[i];
            double want = dt == TG_F32 ? ref_f32((float)x[i]) : ref_f64(x[i]);
            tu_assert_close(tg_get(y, i), want, dt == TG_F32 ? 1e-6 : 1e-15);
            tu_assert_close(tg_grad_get(t, i), datanh(xi), dt == TG_F32 ? 1e-5 : 1e-14);
        }
    }
}
END_TEST

/* The recorded rule is differentiated again. */
START_TEST(atanh_second_derivative)
{
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        double x0 = 0.6;
        tg_tensor *x = tu_tensor((tg_dtype)dt, TU_SCALAR, &x0, true), *dy, *d2y;
        tg_tensor *y = tg_atanh(x);
        ck_assert_int_eq(tg_grad(&y, 1, &x, 1, &dy, true), 0);
        ck_assert_int_eq(tg_grad(&dy, 1, &x, 1, &d2y, false), 0);
        tu_assert_close(tg_item(d2y), d2atanh(dt == TG_F32 ? (double)(float)x0 : x0),
                        dt == TG_F32 ? 1e-5 : 1e-13);
    }
}
END_TEST

START_TEST(atanh_at_the_ends)
{
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        double y, dy;
        value_and_grad((tg_dtype)dt, 1, &y, &dy);
        ck_assert(isinf(y) && y > 0);
        ck_assert(isinf(dy) && dy > 0);
        value_and_grad((tg_dtype)dt, -1, &y, &dy);
        ck_assert(isinf(y) && y < 0);
        ck_assert(isinf(dy) && dy > 0);
        /* beyond, the value is NaN and the rule's formula, like PyTorch's,
         * still gives 1/(1 - x^2) */
        value_and_grad((tg_dtype)dt, 1.5, &y, &dy);
        ck_assert(isnan(y));
        tu_assert_close(dy, 1 / (1 - 2.25), 1e-6);
    }
}
END_TEST

START_TEST(atanh_gradcheck)
{
    static const tu_shape shapes[] = {TU_SCALAR, TU_SHAPE(5), TU_SHAPE(2, 3), TU_SHAPE(2, 1, 3)};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        tu_gradcheck_both(atanh_fn, NULL, 1, &shapes[i], -0.8, 0.8);
    for (int p = 0; p < TU_BROADCAST_PAIRS; p++)
        tu_gradcheck_both(atanh_times_fn, NULL, 2, tu_broadcast_pairs[p], -0.8, 0.8);
}
END_TEST

START_TEST(atanh_errors)
{
    ck_assert_ptr_null(tg_atanh(NULL));
    ck_assert_str_eq(tg_last_error(), "tg_atanh: argument 1 is NULL");
}
END_TEST

TCase *tg_test_atanh(void)
{
    TCase *tc = tu_tcase("atanh");
    tcase_add_test(tc, atanh_values_and_gradient);
    tcase_add_test(tc, atanh_second_derivative);
    tcase_add_test(tc, atanh_at_the_ends);
    tcase_add_test(tc, atanh_gradcheck);
    tcase_add_test(tc, atanh_errors);
    return tc;
}
