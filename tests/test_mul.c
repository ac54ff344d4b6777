/* test_mul.c -- tg_mul: values, broadcasting, the product rule. */
#include "testutil.h"

static tg_tensor *mul_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_mul(in[0], in[1]);
}

START_TEST(mul_broadcasts_values)
{
    double a[6] = {1, 2, 3, 4, 5, 6}, b[3] = {2, 0, -1};
    tg_tensor *y = tg_mul(tu_tensor(TG_F64, TU_SHAPE(2, 3), a, false),
                          tu_tensor(TG_F64, TU_SHAPE(3), b, false));
    tu_assert_ok(y);
    double want[6] = {2, 0, -3, 8, 0, -6};
    for (int i = 0; i < 6; i++)
        tu_assert_close(tg_get(y, i), want[i], 0);
}
END_TEST

START_TEST(mul_gradient_is_the_other_factor)
{
    tg_tensor *a = tu_rand(TG_F64, TU_SHAPE(2, 3), -1, 1, true);
    tg_tensor *b = tu_rand(TG_F64, TU_SHAPE(3), -1, 1, true);
    ck_assert_int_eq(tg_backward(tg_sum(tg_mul(a, b))), 0);
    for (int i = 0; i < 6; i++)
        tu_assert_close(tg_grad_get(a, i), tg_get(b, i % 3), 0);
    for (int j = 0; j < 3; j++)
        tu_assert_close(tg_grad_get(b, j), tg_get(a, j) + tg_get(a, 3 + j), 1e-15);
}
END_TEST

START_TEST(mul_gradcheck)
{
    for (size_t i = 0; i < TU_BROADCAST_PAIRS; i++)
        tu_gradcheck_both(mul_fn, NULL, 2, tu_broadcast_pairs[i], -2, 2);
}
END_TEST

TCase *tg_test_mul(void)
{
    TCase *tc = tu_tcase("mul");
    tcase_add_test(tc, mul_broadcasts_values);
    tcase_add_test(tc, mul_gradient_is_the_other_factor);
    tcase_add_test(tc, mul_gradcheck);
    return tc;
}
