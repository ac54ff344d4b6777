/* test_transpose.c -- tg_transpose: values, batches, vectors and scalars,
 * gradients. */
#include "testutil.h"

static tg_tensor *transpose_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_transpose(in[0]);
}

START_TEST(swaps_the_last_two_axes)
{
    double v[6] = {1, 2, 3, 4, 5, 6};
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *y = tg_transpose(tu_tensor((tg_dtype)dt, TU_SHAPE(2, 3), v, false));
        tu_assert_ok(y);
        ck_assert_int_eq(tg_ndim(y), 2);
        ck_assert_int_eq(tg_shape(y)[0], 3);
        ck_assert_int_eq(tg_shape(y)[1], 2);
        double want[6] = {1, 4, 2, 5, 3, 6};
        for (int i = 0; i < 6; i++)
            tu_assert_close(tg_get(y, i), want[i], 0);
    }
}
END_TEST

START_TEST(transposes_each_matrix_of_a_batch)
{
    double v[12];
    for (int i = 0; i < 12; i++)
        v[i] = i;
    tg_tensor *y = tg_transpose(tu_tensor(TG_F64, TU_SHAPE(2, 3, 2), v, false));
    tu_assert_ok(y);
    ck_assert_int_eq(tg_shape(y)[0], 2);
    ck_assert_int_eq(tg_shape(y)[1], 2);
    ck_assert_int_eq(tg_shape(y)[2], 3);
    for (int b = 0; b < 2; b++)
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 2; j++)
                tu_assert_close(tg_get(y, b * 6 + j * 3 + i), v[b * 6 + i * 2 + j], 0);
}
END_TEST

START_TEST(vectors_and_scalars_come_back_unchanged)
{
    double v[3] = {1, 2, 3};
    tg_tensor *x = tu_tensor(TG_F64, TU_SHAPE(3), v, true);
    tg_tensor *y = tg_transpose(x);
    tu_assert_ok(y);
    ck_assert_ptr_ne(y, x);
    ck_assert_ptr_ne(tg_data(y), tg_data(x));
    ck_assert(tg_requires_grad(y));
    ck_assert_int_eq(tg_ndim(y), 1);
    ck_assert_int_eq(tg_shape(y)[0], 3);
    for (int i = 0; i < 3; i++)
        tu_assert_close(tg_get(y, i), v[i], 0);
    tg_tensor *s = tg_transpose(tg_scalar(4));
    tu_assert_ok(s);
    ck_assert_int_eq(tg_ndim(s), 0);
    tu_assert_close(tg_item(s), 4, 0);
}
END_TEST

START_TEST(transpose_gradcheck)
{
    static const tu_shape shapes[] = {TU_SCALAR,      TU_SHAPE(3),       TU_SHAPE(1, 1),
                                      TU_SHAPE(2, 3), TU_SHAPE(1, 4),    TU_SHAPE(2, 3, 2),
                                      TU_SHAPE(2, 1, 1, 3)};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        tu_gradcheck_both(transpose_fn, NULL, 1, &shapes[i], -2, 2);
}
END_TEST

START_TEST(null_argument)
{
    tg_clear_error();
    ck_assert_ptr_null(tg_transpose(NULL));
    ck_assert_int_eq(tg_last_error_code(), TG_ENULL);
    ck_assert_str_eq(tg_last_error(), "tg_transpose: argument 1 is NULL");
}
END_TEST

TCase *tg_test_transpose(void)
{
    TCase *tc = tu_tcase("transpose");
    tcase_add_test(tc, swaps_the_last_two_axes);
    tcase_add_test(tc, transposes_each_matrix_of_a_batch);
    tcase_add_test(tc, vectors_and_scalars_come_back_unchanged);
    tcase_add_test(tc, transpose_gradcheck);
    tcase_add_test(tc, null_argument);
    return tc;
}
