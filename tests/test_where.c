/* test_where.c -- tg_where: three-way broadcasting, gradients, errors. */
#include <string.h>

#include "testutil.h"

/* ctx is the condition: held constant, since no gradient flows into it */
static tg_tensor *where_fn(tg_tensor *const *in, void *ctx)
{
    return tg_where(ctx, in[0], in[1]);
}

/* 1, 0, 1, 0, ... in the given shape */
static tg_tensor *alternating(tg_dtype dtype, tu_shape shape)
{
    tg_tensor *t = tu_tensor(dtype, shape, NULL, false);
    for (int64_t i = 0; i < tg_numel(t); i++)
        tg_set(t, i, (double)(i % 2 == 0));
    return t;
}

START_TEST(where_selects_with_broadcasting)
{
    double c[2] = {-0.5, 0}, a[3] = {1, 2, 3}, want[6] = {1, 2, 3, 9, 9, 9};
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *y = tg_where(tu_tensor((tg_dtype)dt, TU_SHAPE(2, 1), c, false),
                                tu_tensor((tg_dtype)dt, TU_SHAPE(3), a, false),
                                tg_scalar_of((tg_dtype)dt, 9));
        tu_assert_ok(y);
        ck_assert_int_eq(tg_dtype_of(y), dt);
        ck_assert_int_eq(tg_ndim(y), 2);
        ck_assert_int_eq(tg_shape(y)[0], 2);
        ck_assert_int_eq(tg_shape(y)[1], 3);
        for (int i = 0; i < 6; i++)
            tu_assert_close(tg_get(y, i), want[i], 0);
    }
}
END_TEST

/* every operand strided differently: cond [4,1,3], a [2,1], b [3] -> [4,2,3] */
START_TEST(where_walks_every_axis)
{
    tg_tensor *c = tu_rand(TG_F64, TU_SHAPE(4, 1, 3), -1, 1, false);
    tg_tensor *a = tu_rand(TG_F64, TU_SHAPE(2, 1), -1, 1, false);
    tg_tensor *b = tu_rand(TG_F64, TU_SHAPE(3), -1, 1, false);
    tg_set(c, 0, 0);
    tg_tensor *y = tg_where(c, a, b);
    tu_assert_ok(y);
    ck_assert_int_eq(tg_numel(y), 24);
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 2; j++)
            for (int k = 0; k < 3; k++) {
                double want = tg_get(c, i * 3 + k) != 0 ? tg_get(a, j) : tg_get(b, k);
                tu_assert_close(tg_get(y, (i * 2 + j) * 3 + k), want, 0);
            }
}
END_TEST

START_TEST(where_gradient_skips_cond)
{
    double c[2] = {1, 0};
    tg_tensor *cond = tu_tensor(TG_F64, TU_SHAPE(2, 1), c, true);
    tg_tensor *a = tu_rand(TG_F64, TU_SHAPE(3), -1, 1, true), *b = tg_var(5);
    tg_tensor *y = tg_where(cond, a, b);
    ck_assert_int_eq(tg_backward_ex(y, tg_full(TG_F64, 2, tg_shape(y), 1, false), 0), 0);
    ck_assert_ptr_null(tg_grad_tensor(cond));
    for (int i = 0; i < 3; i++)
        tu_assert_close(tg_grad_get(a, i), 1, 0);
    tu_assert_close(tg_grad_get(b, 0), 3, 0);
}
END_TEST

START_TEST(where_gradcheck)
{
    static const tu_shape cases[][3] = {
        /* cond, a, b */
        {TU_SHAPE(2, 3), TU_SHAPE(2, 3), TU_SHAPE(2, 3)},
        {TU_SHAPE(2, 1), TU_SHAPE(3), TU_SCALAR},
        {TU_SCALAR, TU_SHAPE(2, 3), TU_SHAPE(3)},
        {TU_SHAPE(4, 1, 1), TU_SHAPE(1, 3), TU_SHAPE(2, 1)},
        {TU_SHAPE(3), TU_SCALAR, TU_SCALAR},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (int dt = TG_F32; dt <= TG_F64; dt++)
            tu_gradcheck(where_fn, alternating((tg_dtype)dt, cases[i][0]), (tg_dtype)dt, 2,
                         &cases[i][1], -2, 2);
}
END_TEST

START_TEST(where_rejects_mixed_dtypes)
{
    tg_tensor *f32 = tg_scalar_of(TG_F32, 1), *f64 = tg_scalar(2);
    ck_assert_ptr_null(tg_where(f32, f64, f64));
    ck_assert_int_eq(tg_last_error_code(), TG_EDTYPE);
    ck_assert_msg(strstr(tg_last_error(), "tg_where: dtypes differ: f32 and f64"), "%s",
                  tg_last_error());
    tg_clear_error();
    ck_assert_ptr_null(tg_where(f64, f64, f32));
    ck_assert_msg(strstr(tg_last_error(), "tg_where: dtypes differ: f64 and f32"), "%s",
                  tg_last_error());
}
END_TEST

START_TEST(where_rejects_shapes_that_do_not_broadcast)
{
    tg_tensor *y = tg_where(tu_rand(TG_F64, TU_SHAPE(2), -1, 1, false),
                            tu_rand(TG_F64, TU_SHAPE(3), -1, 1, false),
                            tu_rand(TG_F64, TU_SHAPE(1), -1, 1, false));
    ck_assert_ptr_null(y);
    ck_assert_int_eq(tg_last_error_code(), TG_ESHAPE);
    ck_assert_str_eq(tg_last_error(), "tg_where: shapes do not broadcast: [2] and [3] and [1]");
}
END_TEST

TCase *tg_test_where(void)
{
    TCase *tc = tu_tcase("where");
    tcase_add_test(tc, where_selects_with_broadcasting);
    tcase_add_test(tc, where_walks_every_axis);
    tcase_add_test(tc, where_gradient_skips_cond);
    tcase_add_test(tc, where_gradcheck);
    tcase_add_test(tc, where_rejects_mixed_dtypes);
    tcase_add_test(tc, where_rejects_shapes_that_do_not_broadcast);
    return tc;
}
