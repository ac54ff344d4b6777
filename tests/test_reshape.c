/* test_reshape.c -- tg_reshape: shared data, -1 inference, gradients,
 * errors. */
#include "testutil.h"

typedef struct {
    int ndim;
    int64_t shape[TG_MAX_DIMS];
} target;

/* Returns the view itself: gradcheck must read f(x + h) before it moves x
 * again, or both evaluations would show the same values. */
static tg_tensor *reshape_fn(tg_tensor *const *in, void *ctx)
{
    const target *t = ctx;
    return tg_reshape(in[0], t->ndim, t->shape);
}

START_TEST(views_the_same_data)
{
    double v[6] = {1, 2, 3, 4, 5, 6};
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *x = tu_tensor((tg_dtype)dt, TU_SHAPE(2, 3), v, false);
        tg_tensor *y = tg_reshape(x, 3, (const int64_t[]){3, 1, 2});
        tu_assert_ok(y);
        ck_assert_ptr_ne(y, x);
        ck_assert_ptr_eq(tg_data(y), tg_data(x));
        ck_assert_int_eq(tg_dtype_of(y), dt);
        ck_assert_int_eq(tg_ndim(y), 3);
        ck_assert_int_eq(tg_shape(y)[0], 3);
        ck_assert_int_eq(tg_shape(y)[1], 1);
        ck_assert_int_eq(tg_shape(y)[2], 2);
        for (int i = 0; i < 6; i++)
            tu_assert_close(tg_get(y, i), v[i], 0);
    }
}
END_TEST

START_TEST(infers_one_minus_one)
{
    tg_tensor *x = tu_tensor(TG_F64, TU_SHAPE(2, 3, 4), NULL, false);
    tg_tensor *y = tg_reshape(x, 2, (const int64_t[]){-1, 4});
    tu_assert_ok(y);
    ck_assert_int_eq(tg_shape(y)[0], 6);
    tg_tensor *flat = tg_reshape(x, 1, (const int64_t[]){-1});
    tu_assert_ok(flat);
    ck_assert_int_eq(tg_shape(flat)[0], 24);
    tg_tensor *s = tg_reshape(tg_scalar(5), 2, (const int64_t[]){1, -1});
    tu_assert_ok(s);
    ck_assert_int_eq(tg_shape(s)[1], 1);
    tg_tensor *back = tg_reshape(s, 0, NULL);
    tu_assert_ok(back);
    ck_assert_int_eq(tg_ndim(back), 0);
    tu_assert_close(tg_item(back), 5, 0);
    tg_tensor *empty = tg_reshape(tu_tensor(TG_F64, TU_SHAPE(0, 3), NULL, false), 2,
                                  (const int64_t[]){3, -1});
    tu_assert_ok(empty);
    ck_assert_int_eq(tg_shape(empty)[1], 0);
}
END_TEST

START_TEST(gradient_takes_the_input_shape)
{
    tg_tensor *x = tu_tensor(TG_F64, TU_SHAPE(2, 3), (double[]){1, 2, 3, 4, 5, 6}, true);
    tg_tensor *y = tg_reshape(x, 1, (const int64_t[]){6});
    tg_tensor *w = tu_tensor(TG_F64, TU_SHAPE(6), (double[]){6, 5, 4, 3, 2, 1}, false);
    ck_assert_int_eq(tg_backward(tg_sum(tg_mul(y, w))), 0);
    for (int i = 0; i < 6; i++)
        tu_assert_close(tg_grad_get(x, i), 6 - i, 0);
}
END_TEST

START_TEST(reshape_gradcheck)
{
    static const struct {
        tu_shape from;
        target to;
    } cases[] = {
        {TU_SCALAR, {1, {1}}},      {TU_SHAPE(1, 1), {0, {0}}},
        {TU_SHAPE(6), {2, {2, 3}}}, {TU_SHAPE(2, 3), {3, {3, -1, 1}}},
        {TU_SHAPE(2, 3, 2), {2, {-1, 3}}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        tu_gradcheck_both(reshape_fn, (void *)&cases[i].to, 1, &cases[i].from, -2, 2);
}
END_TEST

START_TEST(errors)
{
    tg_tensor *x = tu_tensor(TG_F64, TU_SHAPE(2, 3), NULL, false);
    ck_assert_ptr_null(tg_reshape(x, 2, (const int64_t[]){4, 2}));
    ck_assert_int_eq(tg_last_error_code(), TG_ESHAPE);
    ck_assert_str_eq(tg_last_error(), "tg_reshape: cannot reshape [2,3] (6 elements) into [4,2]");
    tg_clear_error();
    ck_assert_ptr_null(tg_reshape(x, 2, (const int64_t[]){4, -1}));
    ck_assert_str_eq(tg_last_error(), "tg_reshape: cannot reshape [2,3] (6 elements) into [4,-1]");
    tg_clear_error();
    ck_assert_ptr_null(tg_reshape(x, 2, (const int64_t[]){-1, -1}));
    ck_assert_str_eq(tg_last_error(), "tg_reshape: bad shape [-1,-1]: one dimension may be -1, "
                                      "the others must be >= 0");
    tg_clear_error();
    ck_assert_ptr_null(tg_reshape(x, 2, (const int64_t[]){-2, -3}));
    ck_assert_int_eq(tg_last_error_code(), TG_ESHAPE);
    tg_clear_error();
    ck_assert_ptr_null(tg_reshape(x, 7, (const int64_t[]){1, 1, 1, 1, 1, 2, 3}));
    ck_assert_str_eq(tg_last_error(), "tg_reshape: ndim 7 out of range 0..6");
    tg_clear_error();
    ck_assert_ptr_null(tg_reshape(x, 1, NULL));
    ck_assert_int_eq(tg_last_error_code(), TG_ENULL);
    tg_clear_error();
    int64_t huge = INT64_MAX / 2;
    ck_assert_ptr_null(tg_reshape(x, 3, (const int64_t[]){huge, huge, 0}));
    ck_assert_ptr_null(tg_reshape(x, 2, (const int64_t[]){huge, 4}));
    ck_assert_int_eq(tg_last_error_code(), TG_ESHAPE);
    tg_clear_error();
    tg_tensor *none = tu_tensor(TG_F64, TU_SHAPE(0, 3), NULL, false);
    ck_assert_ptr_null(tg_reshape(none, 2, (const int64_t[]){0, -1}));
    ck_assert_str_eq(tg_last_error(), "tg_reshape: cannot reshape [0,3] (0 elements) into [0,-1]");
}
END_TEST

TCase *tg_test_reshape(void)
{
    TCase *tc = tu_tcase("reshape");
    tcase_add_test(tc, views_the_same_data);
    tcase_add_test(tc, infers_one_minus_one);
    tcase_add_test(tc, gradient_takes_the_input_shape);
    tcase_add_test(tc, reshape_gradcheck);
    tcase_add_test(tc, errors);
    return tc;
}
