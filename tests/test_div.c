/* test_div.c -- tg_div: values, broadcasting, gradients, errors. */
#include <string.h>

#include "testutil.h"

static tg_tensor *div_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_div(in[0], in[1]);
}

START_TEST(div_broadcasts_values)
{
    double a[6] = {1, 2, 3, 4, 5, 6}, b[3] = {2, -4, 0.5};
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *y = tg_div(tu_tensor((tg_dtype)dt, TU_SHAPE(2, 3), a, false),
                              tu_tensor((tg_dtype)dt, TU_SHAPE(3), b, false));
        tu_assert_ok(y);
        ck_assert_int_eq(tg_dtype_of(y), dt);
        for (int i = 0; i < 6; i++)
            tu_assert_close(tg_get(y, i), a[i] / b[i % 3], 1e-7);
    }
}
END_TEST

START_TEST(div_by_zero_follows_ieee)
{
    double a[3] = {1, -1, 0}, b[3] = {0, 0, 0};
    tg_tensor *y = tg_div(tu_tensor(TG_F64, TU_SHAPE(3), a, false),
                          tu_tensor(TG_F64, TU_SHAPE(3), b, false));
    tu_assert_ok(y);
    ck_assert_int_eq(tg_last_error_code(), TG_OK);
    ck_assert(isinf(tg_get(y, 0)) && tg_get(y, 0) > 0);
    ck_assert(isinf(tg_get(y, 1)) && tg_get(y, 1) < 0);
    ck_assert(isnan(tg_get(y, 2)));
}
END_TEST

START_TEST(div_gradcheck)
{
    for (size_t i = 0; i < TU_BROADCAST_PAIRS; i++) {
        tu_gradcheck_both(div_fn, NULL, 2, tu_broadcast_pairs[i], 0.5, 2);
        tu_gradcheck_both(div_fn, NULL, 2, tu_broadcast_pairs[i], -2, -0.5);
    }
}
END_TEST

START_TEST(div_gradient_closed_form)
{
    tg_tensor *a = tg_var(3), *b = tg_var(-2);
    ck_assert_int_eq(tg_backward(tg_div(a, b)), 0);
    tu_assert_close(tg_grad_get(a, 0), -0.5, 1e-15);  /* 1 / b */
    tu_assert_close(tg_grad_get(b, 0), -0.75, 1e-15); /* -a / b^2 */
}
END_TEST

START_TEST(div_rejects_mixed_dtypes)
{
    tg_tensor *y = tg_div(tu_rand(TG_F32, TU_SHAPE(2), 1, 2, false),
                          tu_rand(TG_F64, TU_SHAPE(2), 1, 2, false));
    ck_assert_ptr_null(y);
    ck_assert_int_eq(tg_last_error_code(), TG_EDTYPE);
    ck_assert_msg(strstr(tg_last_error(), "tg_div: dtypes differ: f32 and f64"), "%s",
                  tg_last_error());
}
END_TEST

START_TEST(div_rejects_shapes_that_do_not_broadcast)
{
    tg_tensor *y = tg_div(tu_rand(TG_F64, TU_SHAPE(2, 3), 1, 2, false),
                          tu_rand(TG_F64, TU_SHAPE(4), 1, 2, false));
    ck_assert_ptr_null(y);
    ck_assert_int_eq(tg_last_error_code(), TG_ESHAPE);
    ck_assert_str_eq(tg_last_error(), "tg_div: shapes do not broadcast: [2,3] and [4]");
}
END_TEST

TCase *tg_test_div(void)
{
    TCase *tc = tu_tcase("div");
    tcase_add_test(tc, div_broadcasts_values);
    tcase_add_test(tc, div_by_zero_follows_ieee);
    tcase_add_test(tc, div_gradcheck);
    tcase_add_test(tc, div_gradient_closed_form);
    tcase_add_test(tc, div_rejects_mixed_dtypes);
    tcase_add_test(tc, div_rejects_shapes_that_do_not_broadcast);
    return tc;
}
