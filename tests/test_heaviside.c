/* test_heaviside.c -- tg_heaviside (and tg_step, the same op): values and
 * its zero gradient. */
#include "testutil.h"

static tg_tensor *heaviside_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_heaviside(in[0]);
}

START_TEST(heaviside_values)
{
    double x[5] = {-2, -1e-12, 0, 1e-12, 3}, want[5] = {0, 0, 1, 1, 1};
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *y = tg_heaviside(tu_tensor((tg_dtype)dt, TU_SHAPE(5), x, false));
        tu_assert_ok(y);
        ck_assert_int_eq(tg_dtype_of(y), dt);
        for (int i = 0; i < 5; i++)
            tu_assert_close(tg_get(y, i), want[i], 0);
    }
}
END_TEST

START_TEST(heaviside_gradient_is_zero_everywhere)
{
    double x[4] = {-1, 0, 1e-9, 2};
    tg_tensor *t = tu_tensor(TG_F64, TU_SHAPE(4), x, true);
    tg_tensor *y = tg_heaviside(t);
    tu_assert_ok(y);
    ck_assert(tg_requires_grad(y));
    ck_assert_int_eq(tg_backward_ex(y, tg_full(TG_F64, 1, (int64_t[]){4}, 1, false), 0), 0);
    for (int i = 0; i < 4; i++)
        tu_assert_close(tg_grad_get(t, i), 0, 0);
}
END_TEST

/* d/dx [H(x) x] = H(x): only the second factor carries a gradient */
START_TEST(heaviside_blocks_only_its_own_path)
{
    tg_tensor *x = tg_var(1.5);
    ck_assert_int_eq(tg_backward(tg_mul(tg_heaviside(x), x)), 0);
    tu_assert_close(tg_grad_get(x, 0), 1, 0);
}
END_TEST

START_TEST(heaviside_gradcheck)
{
    static const tu_shape shapes[] = {TU_SCALAR, TU_SHAPE(5), TU_SHAPE(2, 1, 3)};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        tu_gradcheck_both(heaviside_fn, NULL, 1, &shapes[i], 0.2, 2);
        tu_gradcheck_both(heaviside_fn, NULL, 1, &shapes[i], -2, -0.2);
    }
}
END_TEST

/* tg_step is the notes' name for the same op: the same node, kind and name. */
START_TEST(heaviside_step_is_the_same_op)
{
    tg_tensor *x = tg_var(-0.5), *a = tg_step(x), *b = tg_heaviside(x);
    tu_assert_ok(a);
    ck_assert_int_eq(tg_op_kind_of(a), TG_OP_HEAVISIDE);
    ck_assert_int_eq(tg_op_kind_of(b), TG_OP_HEAVISIDE);
    ck_assert_str_eq(tg_op_name(a), "tg_heaviside");
    tu_assert_close(tg_item(a), 0, 0);
    ck_assert_ptr_null(tg_step(NULL));
    ck_assert_str_eq(tg_last_error(), "tg_heaviside: argument 1 is NULL");
}
END_TEST

TCase *tg_test_heaviside(void)
{
    TCase *tc = tu_tcase("heaviside");
    tcase_add_test(tc, heaviside_values);
    tcase_add_test(tc, heaviside_gradient_is_zero_everywhere);
    tcase_add_test(tc, heaviside_blocks_only_its_own_path);
    tcase_add_test(tc, heaviside_gradcheck);
    tcase_add_test(tc, heaviside_step_is_the_same_op);
    return tc;
}
