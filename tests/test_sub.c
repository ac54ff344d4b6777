/* test_sub.c -- tg_sub: values, broadcasting, gradients. */
#include "testutil.h"

static tg_tensor *sub_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_sub(in[0], in[1]);
}

START_TEST(sub_broadcasts_values)
{
    double a[6] = {1, 2, 3, 4, 5, 6}, b[2] = {10, 20};
    tg_tensor *y = tg_sub(tu_tensor(TG_F32, TU_SHAPE(2, 3), a, false),
                          tu_tensor(TG_F32, TU_SHAPE(2, 1), b, false));
    tu_assert_ok(y);
    double want[6] = {-9, -8, -7, -16, -15, -14};
    for (int i = 0; i < 6; i++)
        tu_assert_close(tg_get(y, i), want[i], 0);
}
END_TEST

START_TEST(sub_gradient_is_plus_and_minus_g)
{
    tg_tensor *a = tu_rand(TG_F64, TU_SHAPE(2, 3), -1, 1, true);
    tg_tensor *b = tu_rand(TG_F64, TU_SHAPE(3), -1, 1, true);
    ck_assert_int_eq(tg_backward(tg_sum(tg_sub(a, b))), 0);
    for (int i = 0; i < 6; i++)
        tu_assert_close(tg_grad_get(a, i), 1, 0);
    for (int i = 0; i < 3; i++)
        tu_assert_close(tg_grad_get(b, i), -2, 0); /* summed over the broadcast axis */
}
END_TEST

START_TEST(sub_gradcheck)
{
    for (size_t i = 0; i < TU_BROADCAST_PAIRS; i++)
        tu_gradcheck_both(sub_fn, NULL, 2, tu_broadcast_pairs[i], -2, 2);
}
END_TEST

TCase *tg_test_sub(void)
{
    TCase *tc = tu_tcase("sub");
    tcase_add_test(tc, sub_broadcasts_values);
    tcase_add_test(tc, sub_gradient_is_plus_and_minus_g);
    tcase_add_test(tc, sub_gradcheck);
    return tc;
}
