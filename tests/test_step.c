/* test_step.c -- tg_step: values and its zero gradient. */
#include "testutil.h"

static tg_tensor *step_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_step(in[0]);
}

START_TEST(step_values)
{
    double x[5] = {-2, -1e-12, 0, 1e-12, 3}, want[5] = {0, 0, 1, 1, 1};
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *y = tg_step(tu_tensor((tg_dtype)dt, TU_SHAPE(5), x, false));
        tu_assert_ok(y);
        ck_assert_int_eq(tg_dtype_of(y), dt);
        for (int i = 0; i < 5; i++)
            tu_assert_close(tg_get(y, i), want[i], 0);
    }
}
END_TEST

START_TEST(step_gradient_is_zero_everywhere)
{
    double x[4] = {-1, 0, 1e-9, 2};
    tg_tensor *t = tu_tensor(TG_F64, TU_SHAPE(4), x, true);
    tg_tensor *y = tg_step(t);
    tu_assert_ok(y);
    ck_assert(tg_requires_grad(y));
    ck_assert_int_eq(tg_backward_ex(y, tg_full(TG_F64, 1, (int64_t[]){4}, 1, false), 0), 0);
    for (int i = 0; i < 4; i++)
        tu_assert_close(tg_grad_get(t, i), 0, 0);
}
END_TEST

/* d/dx [step(x) x] = step(x): only the second factor carries a gradient */
START_TEST(step_blocks_only_its_own_path)
{
    tg_tensor *x = tg_var(1.5);
    ck_assert_int_eq(tg_backward(tg_mul(tg_step(x), x)), 0);
    tu_assert_close(tg_grad_get(x, 0), 1, 0);
}
END_TEST

START_TEST(step_gradcheck)
{
    static const tu_shape shapes[] = {TU_SCALAR, TU_SHAPE(5), TU_SHAPE(2, 1, 3)};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        tu_gradcheck_both(step_fn, NULL, 1, &shapes[i], 0.2, 2);
        tu_gradcheck_both(step_fn, NULL, 1, &shapes[i], -2, -0.2);
    }
}
END_TEST

TCase *tg_test_step(void)
{
    TCase *tc = tu_tcase("step");
    tcase_add_test(tc, step_values);
    tcase_add_test(tc, step_gradient_is_zero_everywhere);
    tcase_add_test(tc, step_blocks_only_its_own_path);
    tcase_add_test(tc, step_gradcheck);
    return tc;
}
