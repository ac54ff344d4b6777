/* test_sum_to.c -- tg_broadcast_to and tg_sum_to, the adjoint pair behind
 * broadcasting. */
#include "testutil.h"

static tg_tensor *broadcast_fn(tg_tensor *const *in, void *ctx)
{
    const tu_shape *to = ctx;
    return tg_broadcast_to(in[0], to->ndim, to->d);
}

static tg_tensor *sum_to_fn(tg_tensor *const *in, void *ctx)
{
    const tu_shape *to = ctx;
    return tg_sum_to(in[0], to->ndim, to->d);
}

START_TEST(broadcast_then_sum_values)
{
    double v[3] = {1, 2, 3};
    tg_tensor *x = tu_tensor(TG_F64, TU_SHAPE(3, 1), v, false);
    tg_tensor *big = tg_broadcast_to(x, 3, (int64_t[]){2, 3, 4});
    tu_assert_ok(big);
    ck_assert_int_eq(tg_numel(big), 24);
    for (int i = 0; i < 24; i++)
        tu_assert_close(tg_get(big, i), v[(i / 4) % 3], 0);
    tg_tensor *back = tg_sum_to(big, 2, (int64_t[]){3, 1});
    for (int i = 0; i < 3; i++)
        tu_assert_close(tg_get(back, i), 8 * v[i], 0);
}
END_TEST

START_TEST(incompatible_shapes_are_refused)
{
    tg_tensor *x = tu_rand(TG_F64, TU_SHAPE(2, 3), -1, 1, false);
    ck_assert_ptr_null(tg_broadcast_to(x, 2, (int64_t[]){4, 3}));
    ck_assert_str_eq(tg_last_error(), "tg_broadcast_to: shape [2,3] does not broadcast to [4,3]");
    tg_clear_error();
    ck_assert_ptr_null(tg_sum_to(x, 1, (int64_t[]){2}));
    ck_assert_str_eq(tg_last_error(), "tg_sum_to: shape [2] does not broadcast to [2,3]");
}
END_TEST

START_TEST(sum_to_gradcheck)
{
    static const struct {
        tu_shape from, to;
    } cases[] = {
        {TU_SCALAR, TU_SHAPE(2, 3)},
        {TU_SHAPE(3), TU_SHAPE(2, 3)},
        {TU_SHAPE(2, 1), TU_SHAPE(4, 2, 3)},
        {TU_SHAPE(1, 3), TU_SHAPE(1, 3)},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tu_gradcheck_both(broadcast_fn, (void *)&cases[i].to, 1, &cases[i].from, -1, 1);
        tu_gradcheck_both(sum_to_fn, (void *)&cases[i].from, 1, &cases[i].to, -1, 1);
    }
}
END_TEST

TCase *tg_test_sum_to(void)
{
    TCase *tc = tu_tcase("sum_to");
    tcase_add_test(tc, broadcast_then_sum_values);
    tcase_add_test(tc, incompatible_shapes_are_refused);
    tcase_add_test(tc, sum_to_gradcheck);
    return tc;
}
