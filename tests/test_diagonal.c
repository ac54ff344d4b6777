/* test_diagonal.c -- tg_tril, tg_triu, tg_diagonal, tg_diag_embed,
 * tg_trace, tg_dot and tg_outer: values against closed forms in both
 * dtypes, gradients, errors. */
#include "testutil.h"

static const double v12[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};

static void assert_values(tg_tensor *y, int n, const double *want)
{
    tu_assert_ok(y);
    ck_assert_int_eq(tg_numel(y), n);
    for (int i = 0; i < n; i++)
        tu_assert_close(tg_get(y, i), want[i], 0);
}

START_TEST(band_values)
{
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *x = tu_tensor((tg_dtype)dt, TU_SHAPE(3, 4), v12, false);
        assert_values(tg_tril(x, 0), 12, (double[]){1, 0, 0, 0, 5, 6, 0, 0, 9, 10, 11, 0});
        assert_values(tg_tril(x, -1), 12, (double[]){0, 0, 0, 0, 5, 0, 0, 0, 9, 10, 0, 0});
        assert_values(tg_triu(x, 1), 12, (double[]){0, 2, 3, 4, 0, 0, 7, 8, 0, 0, 0, 12});
        assert_values(tg_triu(x, -5), 12, v12);
    }
}
END_TEST

START_TEST(diagonal_values)
{
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *x = tu_tensor((tg_dtype)dt, TU_SHAPE(3, 4), v12, false);
        assert_values(tg_diagonal(x, 0, 0, 1), 3, (double[]){1, 6, 11});
        assert_values(tg_diagonal(x, 1, 0, 1), 3, (double[]){2, 7, 12});
        assert_values(tg_diagonal(x, -1, 0, 1), 2, (double[]){5, 10});
        assert_values(tg_diagonal(x, 0, 1, 0), 3, (double[]){1, 6, 11});
        ck_assert_int_eq(tg_numel(tg_diagonal(x, 4, 0, 1)), 0); /* past the matrix */
        tg_tensor *b = tu_tensor((tg_dtype)dt, TU_SHAPE(2, 2, 3), v12, false);
        assert_values(tg_diagonal(b, 0, 0, 2), 4, (double[]){1, 8, 4, 11}); /* [2, 2]: [j, i] */
        tg_tensor *e = tg_diag_embed(tu_tensor((tg_dtype)dt, TU_SHAPE(2), v12, false), 1);
        ck_assert_int_eq(tg_shape(e)[0], 3);
        assert_values(e, 9, (double[]){0, 1, 0, 0, 0, 2, 0, 0, 0});
        tu_assert_close(tg_item(tg_trace(x)), 18, 0);
        tg_tensor *a = tu_tensor((tg_dtype)dt, TU_SHAPE(3), v12, false);
        tg_tensor *c = tu_tensor((tg_dtype)dt, TU_SHAPE(3), v12 + 3, false);
        tu_assert_close(tg_item(tg_dot(a, c)), 4 + 10 + 18, 0);
        tg_tensor *o = tg_outer(a, tu_tensor((tg_dtype)dt, TU_SHAPE(2), v12 + 3, false));
        assert_values(o, 6, (double[]){4, 5, 8, 10, 12, 15});
    }
}
END_TEST

START_TEST(closed_form_gradients)
{
    tg_tensor *x = tu_tensor(TG_F64, TU_SHAPE(3, 4), v12, true);
    ck_assert_int_eq(tg_backward(tg_trace(x)), 0);
    for (int i = 0; i < 12; i++)
        tu_assert_close(tg_grad_get(x, i), i % 5 == 0 ? 1 : 0, 0);
    tg_tensor *a = tu_tensor(TG_F64, TU_SHAPE(3), v12, true);
    tg_tensor *b = tu_tensor(TG_F64, TU_SHAPE(2), v12 + 3, true);
    ck_assert_int_eq(tg_backward(tg_sum(tg_outer(a, b))), 0); /* d/da_i = sum b */
    for (int i = 0; i < 3; i++)
        tu_assert_close(tg_grad_get(a, i), 9, 0);
    tu_assert_close(tg_grad_get(b, 0), 6, 0);
}
END_TEST

#define FN(name, expr)                                                                     \
    static tg_tensor *name(tg_tensor *const *in, void *ctx)                                \
    {                                                                                      \
        (void)ctx;                                                                         \
        tg_tensor *x = in[0];                                                              \
        return expr;                                                                       \
    }
FN(tril_fn, tg_mul(tg_tril(x, 0), x))
FN(triu_fn, tg_mul(tg_triu(x, -1), x))
FN(diagonal_fn, tg_add(tg_sum(tg_square(tg_diagonal(x, 0, -1, 0))),
                        tg_sum(tg_square(tg_diagonal(x, -1, -2, -1)))))
FN(diag_embed_fn, tg_mul(tg_diag_embed(x, -1), tg_diag_embed(x, -1)))
FN(trace_fn, tg_mul(tg_trace(x), tg_trace(x)))
FN(dot_fn, tg_dot(x, tg_exp(x)))
FN(outer_fn, tg_mul(tg_outer(x, x), tg_outer(x, x)))

START_TEST(band_and_diagonal_gradcheck)
{
    static const tu_shape mats[] = {TU_SHAPE(3, 4), TU_SHAPE(1, 1), TU_SHAPE(4, 2),
                                    TU_SHAPE(2, 1, 3)};
    for (size_t i = 0; i < sizeof mats / sizeof mats[0]; i++) {
        tu_gradcheck_both(tril_fn, NULL, 1, &mats[i], -2, 2);
        tu_gradcheck_both(triu_fn, NULL, 1, &mats[i], -2, 2);
        tu_gradcheck_both(diagonal_fn, NULL, 1, &mats[i], -2, 2);
        tu_gradcheck_both(diag_embed_fn, NULL, 1, &mats[i], -2, 2);
    }
    tu_gradcheck_both(trace_fn, NULL, 1, &mats[0], -2, 2);
    tu_gradcheck_both(trace_fn, NULL, 1, &mats[2], -2, 2);
    static const tu_shape vecs[] = {TU_SHAPE(1), TU_SHAPE(4)};
    for (size_t i = 0; i < 2; i++) {
        tu_gradcheck_both(dot_fn, NULL, 1, &vecs[i], -2, 2);
        tu_gradcheck_both(outer_fn, NULL, 1, &vecs[i], -2, 2);
    }
}
END_TEST

START_TEST(diagonal_errors)
{
    tg_tensor *v = tu_tensor(TG_F64, TU_SHAPE(3), v12, false);
    tg_tensor *m = tu_tensor(TG_F64, TU_SHAPE(3, 4), v12, false);
    ck_assert_ptr_null(tg_tril(v, 0));
    ck_assert_str_eq(tg_last_error(), "tg_tril: x of shape [3] has no matrix (2 axes at least)");
    tg_clear_error();
    ck_assert_ptr_null(tg_trace(v));
    ck_assert_str_eq(tg_last_error(), "tg_trace: x must be a matrix, not [3]");
    tg_clear_error();
    ck_assert_ptr_null(tg_diagonal(m, 0, 1, -1));
    ck_assert_str_eq(tg_last_error(), "tg_diagonal: dim1 and dim2 are both axis 1");
    tg_clear_error();
    ck_assert_ptr_null(tg_dot(v, tu_tensor(TG_F64, TU_SHAPE(4), v12, false)));
    ck_assert_str_eq(tg_last_error(),
                     "tg_dot: expects two 1-d tensors of one length, got [3] and [4]");
    tg_clear_error();
    ck_assert_ptr_null(tg_outer(m, v));
    ck_assert_int_eq(tg_last_error_code(), TG_ESHAPE);
    tg_clear_error();
    ck_assert_ptr_null(tg_dot(v, tu_tensor(TG_F32, TU_SHAPE(3), v12, false)));
    ck_assert_int_eq(tg_last_error_code(), TG_EDTYPE);
}
END_TEST

TCase *tg_test_diagonal(void)
{
    TCase *tc = tu_tcase("diagonal");
    tcase_add_test(tc, band_values);
    tcase_add_test(tc, diagonal_values);
    tcase_add_test(tc, closed_form_gradients);
    tcase_add_test(tc, band_and_diagonal_gradcheck);
    tcase_add_test(tc, diagonal_errors);
    return tc;
}
