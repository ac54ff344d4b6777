/* test_tanh.c -- tg_tanh: values, saturation, its sigmoid form, gradients. */
#include "testutil.h"

static tg_tensor *tanh_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_tanh(in[0]);
}

START_TEST(tanh_values)
{
    double x[5] = {-3, -0.5, 0, 0.25, 2};
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *y = tg_tanh(tu_tensor((tg_dtype)dt, TU_SHAPE(5), x, false));
        tu_assert_ok(y);
        ck_assert_int_eq(tg_dtype_of(y), dt);
        for (int i = 0; i < 5; i++)
            tu_assert_close(tg_get(y, i), tanh(x[i]), dt == TG_F32 ? 1e-6 : 1e-15);
    }
}
END_TEST

START_TEST(tanh_saturates_without_nan)
{
    double x[4] = {-1000, -30, 30, 1000}, want[4] = {-1, -1, 1, 1};
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *t = tu_tensor((tg_dtype)dt, TU_SHAPE(4), x, true);
        tg_tensor *y = tg_tanh(t);
        tu_assert_ok(y);
        ck_assert_int_eq(tg_backward_ex(y, tg_full((tg_dtype)dt, 1, (int64_t[]){4}, 1, false), 0),
                         0);
        for (int i = 0; i < 4; i++) {
            tu_assert_close(tg_get(y, i), want[i], 0);
            tu_assert_close(tg_grad_get(t, i), 0, 1e-12);
        }
    }
}
END_TEST

/* tanh x = 2 sigmoid(2x) - 1, in values and in gradients */
START_TEST(tanh_is_rescaled_sigmoid)
{
    double x[6] = {-4, -1.5, -0.1, 0, 0.7, 3};
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *x1 = tu_tensor((tg_dtype)dt, TU_SHAPE(2, 3), x, true);
        tg_tensor *x2 = tu_tensor((tg_dtype)dt, TU_SHAPE(2, 3), x, true);
        tg_tensor *y1 = tg_tanh(x1);
        tg_tensor *y2 = tg_add_scalar(tg_mul_scalar(tg_sigmoid(tg_mul_scalar(x2, 2)), 2), -1);
        tu_assert_ok(y1);
        tu_assert_ok(y2);
        tg_tensor *ones = tg_full((tg_dtype)dt, 2, tg_shape(y1), 1, false);
        ck_assert_int_eq(tg_backward_ex(y1, ones, 0), 0);
        ck_assert_int_eq(tg_backward_ex(y2, ones, 0), 0);
        double tol = dt == TG_F32 ? 1e-6 : 1e-14;
        for (int i = 0; i < 6; i++) {
            tu_assert_close(tg_get(y1, i), tg_get(y2, i), tol);
            tu_assert_close(tg_grad_get(x1, i), tg_grad_get(x2, i), tol);
            tu_assert_close(tg_grad_get(x1, i), 1 - tanh(x[i]) * tanh(x[i]), tol);
        }
    }
}
END_TEST

/* float tanh is -d / (2 + d) with d = e^(-2|x|) - 1 from ops/expf_arith.h,
 * not libm: within 2.2 ulp of tanh in double at 2^20 points of [-20, 20]
 * and at 2^12 of 10^-40 ... 1 times either sign (where tanh x ~ x); -0
 * stays -0, NaN NaN. Measured worst: 1.96 ulp here, 2.15 over every float
 * of [0, 20] (checked once by a loop over them all, too slow for a test);
 * libm's tanhf: 1.02 here. */
START_TEST(tanh_f32_within_2_2_ulp)
{
    enum { N = 1 << 20, SMALL = 1 << 12 };
    tg_tensor *x = tg_persistent(TG_F32, 1, (int64_t[]){N + 2 * SMALL}, NULL, false);
    ck_assert_ptr_nonnull(x);
    float *xv = tg_data(x);
    for (int i = 0; i < N; i++)
        xv[i] = (float)(-20 + 40 * ((double)i / (N - 1)));
    for (int i = 0; i < SMALL; i++)
        xv[N + 2 * i] = -(xv[N + 2 * i + 1] = (float)pow(10, -40 + 40 * ((double)i / SMALL)));
    tg_tensor *y = tg_tanh(x);
    ck_assert_ptr_nonnull(y);
    const float *yv = tg_data(y);
    double worst = 0;
    float worst_at = 0;
    for (int i = 0; i < N + 2 * SMALL; i++) {
        double d = tu_ulps_off(yv[i], tanh((double)xv[i]));
        if (d > worst)
            worst = d, worst_at = xv[i];
    }
    ck_assert_msg(worst <= 2.2, "tanh(%.9g) is %.3f ulp off", worst_at, worst);
    xv[0] = NAN, xv[1] = -0.0f;
    tg_tensor *special = tg_tanh(x);
    ck_assert(isnan(tg_get(special, 0)));
    ck_assert(tg_get(special, 1) == 0 && signbit(tg_get(special, 1)));
    tg_free(x);
}
END_TEST

START_TEST(tanh_gradcheck)
{
    static const tu_shape shapes[] = {TU_SCALAR, TU_SHAPE(5), TU_SHAPE(2, 3), TU_SHAPE(2, 1, 3)};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        tu_gradcheck_both(tanh_fn, NULL, 1, &shapes[i], -2, 2);
}
END_TEST

START_TEST(tanh_fused_backward_matches_composed_rule)
{
    tu_check_fused_backward(tg_tanh, TU_SHAPE(3, 5), -3, 3);
}
END_TEST

/* in a plain tg_backward the fused rule adds into the parameter's .grad */
START_TEST(tanh_fused_backward_into_grad)
{
    tu_check_fused_backward_into_grad(tg_tanh, TU_SHAPE(3, 5), -3, 3);
}
END_TEST

TCase *tg_test_tanh(void)
{
    TCase *tc = tu_tcase("tanh");
    tcase_add_test(tc, tanh_fused_backward_matches_composed_rule);
    tcase_add_test(tc, tanh_fused_backward_into_grad);
    tcase_add_test(tc, tanh_f32_within_2_2_ulp);
    tcase_add_test(tc, tanh_values);
    tcase_add_test(tc, tanh_saturates_without_nan);
    tcase_add_test(tc, tanh_is_rescaled_sigmoid);
    tcase_add_test(tc, tanh_gradcheck);
    return tc;
}
