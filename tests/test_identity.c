/* test_identity.c -- tg_identity (and tg_linear, the same op). */
#include "testutil.h"

static tg_tensor *identity_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_identity(in[0]);
}

START_TEST(identity_copies_values)
{
    double x[4] = {-2, 0, 0.1, 7};
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *t = tu_tensor((tg_dtype)dt, TU_SHAPE(2, 2), x, false);
        tg_tensor *y = tg_identity(t);
        tu_assert_ok(y);
        ck_assert_ptr_ne(y, t);
        ck_assert_ptr_ne(tg_data(y), tg_data(t));
        ck_assert_int_eq(tg_dtype_of(y), dt);
        ck_assert_int_eq(tg_ndim(y), 2);
        for (int i = 0; i < 4; i++)
            tu_assert_close(tg_get(y, i), tg_get(t, i), 0);
    }
}
END_TEST

START_TEST(identity_passes_gradient_through)
{
    double g[3] = {0.5, -1, 2};
    tg_tensor *t = tu_rand(TG_F32, TU_SHAPE(3), -1, 1, true);
    ck_assert_int_eq(tg_backward_ex(tg_identity(t), tu_tensor(TG_F32, TU_SHAPE(3), g, false), 0), 0);
    for (int i = 0; i < 3; i++)
        tu_assert_close(tg_grad_get(t, i), g[i], 0);
}
END_TEST

START_TEST(identity_gradcheck)
{
    static const tu_shape shapes[] = {TU_SCALAR, TU_SHAPE(5), TU_SHAPE(2, 1, 3)};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        tu_gradcheck_both(identity_fn, NULL, 1, &shapes[i], -2, 2);
}
END_TEST

/* tg_linear is the notes' name for the same op. */
START_TEST(identity_linear_is_the_same_op)
{
    tg_tensor *x = tg_var(2), *y = tg_linear(x);
    tu_assert_ok(y);
    ck_assert_int_eq(tg_op_kind_of(y), TG_OP_IDENTITY);
    ck_assert_str_eq(tg_op_name(y), "tg_identity");
    tu_assert_close(tg_item(y), 2, 0);
}
END_TEST

TCase *tg_test_identity(void)
{
    TCase *tc = tu_tcase("identity");
    tcase_add_test(tc, identity_copies_values);
    tcase_add_test(tc, identity_passes_gradient_through);
    tcase_add_test(tc, identity_gradcheck);
    tcase_add_test(tc, identity_linear_is_the_same_op);
    return tc;
}
