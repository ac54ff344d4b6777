/* test_cast.c -- tg_cast: conversions both ways, gradient dtypes, errors. */
#include "testutil.h"

static tg_tensor *cast_fn(tg_tensor *const *in, void *ctx)
{
    return tg_cast(in[0], *(const tg_dtype *)ctx);
}

START_TEST(cast_to_f32_rounds)
{
    double x[3] = {0.1, -2.5, 1e300};
    tg_tensor *y = tg_cast(tu_tensor(TG_F64, TU_SHAPE(3), x, false), TG_F32);
    tu_assert_ok(y);
    ck_assert_int_eq(tg_dtype_of(y), TG_F32);
    ck_assert(tg_get(y, 0) == (double)0.1f);
    ck_assert(tg_get(y, 1) == -2.5);
    ck_assert(isinf(tg_get(y, 2)));
}
END_TEST

START_TEST(cast_to_f64_is_exact)
{
    tg_tensor *x = tu_rand(TG_F32, TU_SHAPE(2, 3), -3, 3, false);
    tg_tensor *y = tg_cast(x, TG_F64);
    tu_assert_ok(y);
    ck_assert_int_eq(tg_dtype_of(y), TG_F64);
    ck_assert_int_eq(tg_ndim(y), 2);
    for (int i = 0; i < 6; i++)
        ck_assert(tg_get(y, i) == tg_get(x, i));
}
END_TEST

/* the gradient arrives in the dtype of the tensor it belongs to */
START_TEST(cast_gradient_has_input_dtype)
{
    double g[3] = {1, -2, 0.5};
    for (int from = TG_F32; from <= TG_F64; from++) {
        tg_dtype to = from == TG_F32 ? TG_F64 : TG_F32;
        tg_tensor *x = tu_rand((tg_dtype)from, TU_SHAPE(3), -1, 1, true);
        tg_tensor *y = tg_cast(x, to);
        tu_assert_ok(y);
        ck_assert_int_eq(tg_dtype_of(y), to);
        ck_assert_int_eq(tg_backward_ex(y, tu_tensor(to, TU_SHAPE(3), g, false), 0), 0);
        ck_assert_int_eq(tg_dtype_of(tg_grad_tensor(x)), from);
        for (int i = 0; i < 3; i++)
            tu_assert_close(tg_grad_get(x, i), g[i], 0);
    }
}
END_TEST

START_TEST(cast_to_same_dtype_is_a_new_tensor)
{
    tg_tensor *x = tg_var(1.5);
    tg_tensor *y = tg_cast(x, TG_F64);
    tu_assert_ok(y);
    ck_assert_ptr_ne(y, x);
    ck_assert_ptr_ne(tg_data(y), tg_data(x));
    ck_assert(tg_requires_grad(y));
    ck_assert_int_eq(tg_backward(tg_mul(y, y)), 0);
    tu_assert_close(tg_grad_get(x, 0), 3, 0);
}
END_TEST

START_TEST(cast_rejects_unknown_dtype)
{
    ck_assert_ptr_null(tg_cast(tg_scalar(1), (tg_dtype)7));
    ck_assert_int_eq(tg_last_error_code(), TG_EDTYPE);
    ck_assert_str_eq(tg_last_error(), "tg_cast: unknown dtype 7");
}
END_TEST

/* cast is linear, so a wide step makes the central difference exact up to
 * f32 rounding of the perturbed values */
START_TEST(cast_gradcheck)
{
    static const tu_shape shapes[] = {TU_SCALAR, TU_SHAPE(5), TU_SHAPE(2, 1, 3)};
    const tg_gradcheck_opts opts = {.eps = 0.25};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        for (int from = TG_F32; from <= TG_F64; from++)
            for (int to = TG_F32; to <= TG_F64; to++) {
                tg_dtype target = (tg_dtype)to;
                tg_tensor *x = tu_rand((tg_dtype)from, shapes[i], -2, 2, true);
                ck_assert_msg(tg_gradcheck(cast_fn, &target, 1, &x, &opts, NULL) == 0, "%s",
                              tg_last_error());
            }
}
END_TEST

TCase *tg_test_cast(void)
{
    TCase *tc = tu_tcase("cast");
    tcase_add_test(tc, cast_to_f32_rounds);
    tcase_add_test(tc, cast_to_f64_is_exact);
    tcase_add_test(tc, cast_gradient_has_input_dtype);
    tcase_add_test(tc, cast_to_same_dtype_is_a_new_tensor);
    tcase_add_test(tc, cast_rejects_unknown_dtype);
    tcase_add_test(tc, cast_gradcheck);
    return tc;
}
