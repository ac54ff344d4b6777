/* test_gather.c -- the index ops: tg_index_select, tg_index_add, tg_gather
 * (tg_take_along_axis), tg_scatter_add, tg_index_tensor. Values in both
 * dtypes (and f32 indices into f64 data), repeated indices accumulating,
 * adjoint pairs, second order, and the errors naming position, value, axis
 * and size. */
#include "testutil.h"

static const double v12[12] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};

static tg_tensor *ix(int n, const int64_t *values)
{
    return tg_index_tensor(1, (int64_t[]){n}, values);
}

static void assert_values(tg_tensor *y, int n, const double *want)
{
    tu_assert_ok(y);
    ck_assert_int_eq(tg_numel(y), n);
    for (int i = 0; i < n; i++)
        tu_assert_close(tg_get(y, i), want[i], 0);
}

static void assert_grads(tg_tensor *x, int n, const double *want)
{
    for (int i = 0; i < n; i++)
        tu_assert_close(tg_grad_get(x, i), want[i], 0);
}

START_TEST(index_select_values)
{
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *x = tu_tensor((tg_dtype)dt, TU_SHAPE(3, 4), v12, false);
        assert_values(tg_index_select(x, 0, ix(2, (int64_t[]){2, 0})), 8,
                      (double[]){8, 9, 10, 11, 0, 1, 2, 3});
        assert_values(tg_index_select(x, 1, ix(3, (int64_t[]){-1, 1, -1})), 9,
                      (double[]){3, 1, 3, 7, 5, 7, 11, 9, 11});
        /* an index tensor of the other dtype: indices do not follow the data's */
        tg_tensor *i32 = tu_tensor((tg_dtype)(TG_F32 + TG_F64 - dt), TU_SHAPE(1),
                                   (double[]){1}, false);
        assert_values(tg_index_select(x, 0, i32), 4, (double[]){4, 5, 6, 7});
        tg_tensor *y = tg_index_add(x, 1, ix(3, (int64_t[]){0, 0, 3}),
                                    tu_tensor((tg_dtype)dt, TU_SHAPE(3, 3), v12, false));
        assert_values(y, 12, (double[]){1, 1, 2, 5, 11, 5, 6, 12, 21, 9, 10, 19});
    }
}
END_TEST

START_TEST(gather_values)
{
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *x = tu_tensor((tg_dtype)dt, TU_SHAPE(3, 4), v12, false);
        tg_tensor *idx = tg_index_tensor(2, (int64_t[]){3, 2}, (int64_t[]){3, 0, 1, 1, -1, 2});
        /* torch.gather(x, 1, idx) */
        assert_values(tg_gather(x, 1, idx), 6, (double[]){3, 0, 5, 5, 11, 10});
        assert_values(tg_take_along_axis(x, idx, 1), 6, (double[]){3, 0, 5, 5, 11, 10});
        tg_tensor *rows = tg_index_tensor(2, (int64_t[]){1, 4}, (int64_t[]){2, 0, 1, 2});
        assert_values(tg_gather(x, 0, rows), 4, (double[]){8, 1, 6, 11});
        tg_tensor *s = tg_scatter_add(tg_full((tg_dtype)dt, 2, (int64_t[]){3, 4}, 0, false), 1,
                                      idx, tu_tensor((tg_dtype)dt, TU_SHAPE(3, 2),
                                                     (double[]){1, 2, 3, 4, 5, 6}, false));
        assert_values(s, 12, (double[]){2, 0, 0, 1, 0, 7, 0, 0, 0, 0, 6, 5});
    }
}
END_TEST

/* The multi-class hinge's pattern: a repeated index sends both gradients
 * to one element. */
START_TEST(repeated_indices_accumulate)
{
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *x = tu_tensor((tg_dtype)dt, TU_SHAPE(4), v12, true);
        tg_tensor *w = tu_tensor((tg_dtype)dt, TU_SHAPE(3), (double[]){1, 10, 100}, false);
        tg_tensor *y = tg_dot(tg_index_select(x, 0, ix(3, (int64_t[]){2, 2, 0})), w);
        ck_assert_int_eq(tg_backward(y), 0);
        assert_grads(x, 4, (double[]){100, 0, 11, 0});
        tg_tensor *m = tu_tensor((tg_dtype)dt, TU_SHAPE(2, 3), v12, true);
        tg_tensor *idx = tg_index_tensor(2, (int64_t[]){2, 2}, (int64_t[]){1, 1, 0, 2});
        ck_assert_int_eq(tg_backward(tg_sum(tg_gather(m, 1, idx))), 0);
        assert_grads(m, 6, (double[]){0, 2, 0, 1, 0, 1});
    }
}
END_TEST

#define FN(name, expr)                                                                     \
    static tg_tensor *name(tg_tensor *const *in, void *ctx)                                \
    {                                                                                      \
        (void)ctx;                                                                         \
        tg_tensor *x = in[0];                                                              \
        return expr;                                                                       \
    }
FN(index_select_fn, tg_square(tg_index_select(x, -1, ix(3, (int64_t[]){0, -1, 0}))))
FN(gather_fn, tg_square(tg_gather(x, 0, tg_index_tensor(tg_ndim(x), (int64_t[]){1, 1, 1},
                                                         (int64_t[]){-1}))))

static tg_tensor *index_add_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    int64_t n = tg_shape(in[1])[0], pos[4] = {0, 0, 1, 0};
    return tg_square(tg_index_add(in[0], 0, tg_index_tensor(1, &n, pos), in[1]));
}

static tg_tensor *scatter_add_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    int64_t pos[12];
    for (int k = 0; k < 12; k++)
        pos[k] = k % 2;
    tg_tensor *idx = tg_index_tensor(tg_ndim(in[1]), tg_shape(in[1]), pos);
    return tg_square(tg_scatter_add(in[0], 0, idx, in[1]));
}

START_TEST(index_gradcheck_and_gradgrad)
{
    static const tu_shape shapes[] = {TU_SHAPE(3), TU_SHAPE(2, 3), TU_SHAPE(2, 1, 3)};
    for (size_t i = 0; i < 3; i++) {
        tu_gradcheck_both(index_select_fn, NULL, 1, &shapes[i], -2, 2);
        tu_gradcheck_both(gather_fn, NULL, 1, &shapes[i], -2, 2);
    }
    tu_gradcheck_both(index_add_fn, NULL, 2, (tu_shape[]){TU_SHAPE(2, 3), TU_SHAPE(4, 3)}, -2, 2);
    tu_gradcheck_both(index_add_fn, NULL, 2, (tu_shape[]){TU_SHAPE(2), TU_SHAPE(3)}, -2, 2);
    tu_gradcheck_both(scatter_add_fn, NULL, 2, (tu_shape[]){TU_SHAPE(2, 3), TU_SHAPE(4, 3)}, -2,
                      2);
    tu_gradcheck_both(scatter_add_fn, NULL, 2, (tu_shape[]){TU_SHAPE(3, 1), TU_SHAPE(2, 1)}, -2,
                      2);
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *x = tu_rand((tg_dtype)dt, TU_SHAPE(2, 3), -2, 2, true);
        tg_gradcheck_result r;
        const tg_gradcheck_opts f32 = {1e-2, 2e-2, 2e-2};
        ck_assert_msg(tg_gradgradcheck(gather_fn, NULL, 1, &x, dt == TG_F32 ? &f32 : NULL, &r) == 0,
                      "%s", tg_last_error());
        ck_assert_msg(tg_gradgradcheck(index_select_fn, NULL, 1, &x, dt == TG_F32 ? &f32 : NULL,
                                       &r) == 0, "%s", tg_last_error());
    }
}
END_TEST

START_TEST(index_errors)
{
    tg_tensor *x = tu_tensor(TG_F64, TU_SHAPE(3, 4), v12, false);
    ck_assert_ptr_null(tg_index_select(x, 1, ix(3, (int64_t[]){0, 4, 1})));
    ck_assert_str_eq(tg_last_error(),
                     "tg_index_select: index 4 at position 1 is out of range for axis 1 of size 4");
    tg_clear_error();
    tg_tensor *half = tu_tensor(TG_F32, TU_SHAPE(2), (double[]){0, 1.5}, false);
    ck_assert_ptr_null(tg_index_select(x, 0, half));
    ck_assert_str_eq(tg_last_error(),
                     "tg_index_select: index 1.5 at position 1 is not a whole number");
    tg_clear_error();
    tg_tensor *idx = tg_index_tensor(2, (int64_t[]){3, 1}, (int64_t[]){0, -5, 1});
    ck_assert_ptr_null(tg_gather(x, 1, idx));
    ck_assert_str_eq(tg_last_error(),
                     "tg_gather: index -5 at position 1 is out of range for axis 1 of size 4");
    tg_clear_error();
    ck_assert_ptr_null(tg_take_along_axis(x, idx, -1));
    ck_assert_str_eq(tg_last_error(), "tg_take_along_axis: index -5 at position 1 is out of range "
                                      "for axis 1 of size 4");
    tg_clear_error();
    ck_assert_ptr_null(tg_take_along_axis(x, NULL, 0));
    ck_assert_str_eq(tg_last_error(), "tg_take_along_axis: argument 2 is NULL");
    tg_clear_error();
    ck_assert_ptr_null(tg_gather(x, 1, ix(2, (int64_t[]){0, 1})));
    ck_assert_str_eq(tg_last_error(), "tg_gather: the index [2] must have the 2 axes of x [3,4], "
                                      "none larger off axis 1");
    tg_clear_error();
    ck_assert_ptr_null(tg_index_add(x, 0, ix(1, (int64_t[]){0}), x));
    ck_assert_str_eq(tg_last_error(), "tg_index_add: the source [3,4] must have the input's shape "
                                      "[3,4] with axis 0 of size 1 (the index's length)");
    tg_clear_error();
    ck_assert_ptr_null(tg_scatter_add(x, 0, tg_index_tensor(2, (int64_t[]){1, 1}, (int64_t[]){0}),
                                      x));
    ck_assert_str_eq(tg_last_error(),
                     "tg_scatter_add: the source [3,4] must have the index's shape [1,1]");
    tg_clear_error();
    ck_assert_ptr_null(tg_index_select(x, 2, ix(1, (int64_t[]){0})));
    ck_assert_int_eq(tg_last_error_code(), TG_EAXIS);
    tg_clear_error();
    ck_assert_ptr_null(tg_index_select(x, 0, NULL));
    ck_assert_str_eq(tg_last_error(), "tg_index_select: argument 3 is NULL");
}
END_TEST

TCase *tg_test_gather(void)
{
    TCase *tc = tu_tcase("gather");
    tcase_add_test(tc, index_select_values);
    tcase_add_test(tc, gather_values);
    tcase_add_test(tc, repeated_indices_accumulate);
    tcase_add_test(tc, index_gradcheck_and_gradgrad);
    tcase_add_test(tc, index_errors);
    return tc;
}
