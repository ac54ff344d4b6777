/* test_neg.c -- tg_neg. */
#include "testutil.h"

static tg_tensor *neg_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_neg(in[0]);
}

START_TEST(neg_values_and_gradient)
{
    double v[3] = {-1.5, 0, 2};
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *x = tu_tensor((tg_dtype)dt, TU_SHAPE(3), v, true);
        tg_tensor *y = tg_neg(x);
        ck_assert_int_eq(tg_backward(tg_sum(y)), 0);
        for (int i = 0; i < 3; i++) {
            tu_assert_close(tg_get(y, i), -v[i], 0);
            tu_assert_close(tg_grad_get(x, i), -1, 0);
        }
    }
}
END_TEST

START_TEST(neg_gradcheck)
{
    static const tu_shape cases[][1] = {{TU_SCALAR}, {TU_SHAPE(4)}, {TU_SHAPE(2, 1, 3)}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        tu_gradcheck_both(neg_fn, NULL, 1, cases[i], -2, 2);
}
END_TEST

TCase *tg_test_neg(void)
{
    TCase *tc = tu_tcase("neg");
    tcase_add_test(tc, neg_values_and_gradient);
    tcase_add_test(tc, neg_gradcheck);
    return tc;
}
