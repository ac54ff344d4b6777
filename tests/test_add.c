/* test_add.c -- tg_add: values, broadcasting, gradients. */
#include "testutil.h"

static tg_tensor *add_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_add(in[0], in[1]);
}

START_TEST(add_broadcasts_values)
{
    double a[6] = {1, 2, 3, 4, 5, 6}, b[3] = {10, 20, 30};
    tg_tensor *y = tg_add(tu_tensor(TG_F64, TU_SHAPE(2, 3), a, false),
                          tu_tensor(TG_F64, TU_SHAPE(3), b, false));
    tu_assert_ok(y);
    ck_assert_int_eq(tg_ndim(y), 2);
    double want[6] = {11, 22, 33, 14, 25, 36};
    for (int i = 0; i < 6; i++)
        tu_assert_close(tg_get(y, i), want[i], 0);
}
END_TEST

START_TEST(add_gradcheck)
{
    for (size_t i = 0; i < TU_BROADCAST_PAIRS; i++)
        tu_gradcheck_both(add_fn, NULL, 2, tu_broadcast_pairs[i], -2, 2);
}
END_TEST

START_TEST(add_used_twice_accumulates)
{
    tg_tensor *x = tg_var(3);
    ck_assert_int_eq(tg_backward(tg_add(x, x)), 0);
    tu_assert_close(tg_grad_get(x, 0), 2, 0);
}
END_TEST

TCase *tg_test_add(void)
{
    TCase *tc = tu_tcase("add");
    tcase_add_test(tc, add_broadcasts_values);
    tcase_add_test(tc, add_gradcheck);
    tcase_add_test(tc, add_used_twice_accumulates);
    return tc;
}
