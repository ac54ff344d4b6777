/* test_sigmoid.c -- tg_sigmoid: both branches, extremes, s' = s (1 - s). */
#include "testutil.h"

static tg_tensor *sigmoid_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_sigmoid(in[0]);
}

START_TEST(sigmoid_values_on_both_branches)
{
    double v[5] = {-3, -0.5, 0, 0.5, 3};
    tg_tensor *y = tg_sigmoid(tu_tensor(TG_F64, TU_SHAPE(5), v, false));
    for (int i = 0; i < 5; i++)
        tu_assert_close(tg_get(y, i), 1 / (1 + exp(-v[i])), 1e-15);
}
END_TEST

START_TEST(sigmoid_is_finite_at_extremes)
{
    double v[4] = {-1e4, -800, 800, 1e4}, want[4] = {0, 0, 1, 1};
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *x = tu_tensor((tg_dtype)dt, TU_SHAPE(4), v, true);
        tg_tensor *y = tg_sigmoid(x);
        ck_assert_int_eq(tg_backward(tg_sum(y)), 0);
        for (int i = 0; i < 4; i++) {
            tu_assert_close(tg_get(y, i), want[i], 0);
            tu_assert_close(tg_grad_get(x, i), 0, 0);
        }
    }
}
END_TEST

START_TEST(sigmoid_gradcheck)
{
    static const tu_shape cases[][1] = {{TU_SCALAR}, {TU_SHAPE(5)}, {TU_SHAPE(2, 1, 3)}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        tu_gradcheck_both(sigmoid_fn, NULL, 1, cases[i], -4, 4);
}
END_TEST

START_TEST(sigmoid_fused_backward_matches_composed_rule)
{
    tu_check_fused_backward(tg_sigmoid, TU_SHAPE(3, 5), -4, 4);
}
END_TEST

/* in a plain tg_backward the fused rule adds into the parameter's .grad */
START_TEST(sigmoid_fused_backward_into_grad)
{
    tu_check_fused_backward_into_grad(tg_sigmoid, TU_SHAPE(3, 5), -4, 4);
}
END_TEST

TCase *tg_test_sigmoid(void)
{
    TCase *tc = tu_tcase("sigmoid");
    tcase_add_test(tc, sigmoid_fused_backward_matches_composed_rule);
    tcase_add_test(tc, sigmoid_fused_backward_into_grad);
    tcase_add_test(tc, sigmoid_values_on_both_branches);
    tcase_add_test(tc, sigmoid_is_finite_at_extremes);
    tcase_add_test(tc, sigmoid_gradcheck);
    return tc;
}
