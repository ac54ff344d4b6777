/* test_relu.c -- tg_relu: values, gradients, the kink at 0. */
#include "testutil.h"

static tg_tensor *relu_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_relu(in[0]);
}

START_TEST(relu_values)
{
    double x[5] = {-2, -1e-9, 0, 0.5, 3};
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *y = tg_relu(tu_tensor((tg_dtype)dt, TU_SHAPE(5), x, false));
        tu_assert_ok(y);
        ck_assert_int_eq(tg_dtype_of(y), dt);
        for (int i = 0; i < 5; i++)
            tu_assert_close(tg_get(y, i), x[i] > 0 ? x[i] : 0, 0);
    }
}
END_TEST

START_TEST(relu_passes_nan)
{
    tg_tensor *y = tg_relu(tg_scalar(NAN));
    tu_assert_ok(y);
    ck_assert(isnan(tg_item(y)));
}
END_TEST

START_TEST(relu_gradient_is_zero_at_zero)
{
    double x[3] = {-1, 0, 2}, want[3] = {0, 0, 1};
    tg_tensor *t = tu_tensor(TG_F32, TU_SHAPE(3), x, true);
    ck_assert_int_eq(tg_backward_ex(tg_relu(t), tg_full(TG_F32, 1, (int64_t[]){3}, 1, false), 0),
                     0);
    for (int i = 0; i < 3; i++)
        tu_assert_close(tg_grad_get(t, i), want[i], 0);
}
END_TEST

/* the kink is avoided by checking each sign on its own */
START_TEST(relu_gradcheck)
{
    static const tu_shape shapes[] = {TU_SCALAR, TU_SHAPE(5), TU_SHAPE(2, 3), TU_SHAPE(2, 1, 3)};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        tu_gradcheck_both(relu_fn, NULL, 1, &shapes[i], 0.2, 2);
        tu_gradcheck_both(relu_fn, NULL, 1, &shapes[i], -2, -0.2);
    }
}
END_TEST

START_TEST(relu_fused_backward_matches_composed_rule)
{
    tu_check_fused_backward(tg_relu, TU_SHAPE(3, 5), -2, 2);
}
END_TEST

/* in a plain tg_backward the fused rule adds into the parameter's .grad */
START_TEST(relu_fused_backward_into_grad)
{
    tu_check_fused_backward_into_grad(tg_relu, TU_SHAPE(3, 5), -2, 2);
}
END_TEST

TCase *tg_test_relu(void)
{
    TCase *tc = tu_tcase("relu");
    tcase_add_test(tc, relu_fused_backward_matches_composed_rule);
    tcase_add_test(tc, relu_fused_backward_into_grad);
    tcase_add_test(tc, relu_values);
    tcase_add_test(tc, relu_passes_nan);
    tcase_add_test(tc, relu_gradient_is_zero_at_zero);
    tcase_add_test(tc, relu_gradcheck);
    return tc;
}
