/* test_embedding.c -- tg_embedding (padding_idx, repeats), tg_one_hot,
 * tg_masked_select and tg_pad: values in both dtypes, gradients, errors. */
#include "testutil.h"

static const double v12[12] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};

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

/* F.embedding(idx, W, padding_idx=0): row 0 is looked up as it is but gets
 * no gradient; row 2, looked up twice, gets twice. */
START_TEST(embedding_values_and_padding)
{
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *w = tu_tensor((tg_dtype)dt, TU_SHAPE(4, 3), v12, true);
        tg_tensor *idx = tg_index_tensor(2, (int64_t[]){2, 2}, (int64_t[]){2, 0, -2, 3});
        tg_tensor *y = tg_embedding(w, idx, 0);
        ck_assert_int_eq(tg_ndim(y), 3);
        ck_assert_int_eq(tg_shape(y)[2], 3);
        assert_values(y, 12, (double[]){6, 7, 8, 0, 1, 2, 6, 7, 8, 9, 10, 11});
        ck_assert_int_eq(tg_backward(tg_sum(y)), 0);
        assert_grads(w, 12, (double[]){0, 0, 0, 0, 0, 0, 2, 2, 2, 1, 1, 1});
        tg_tensor *w2 = tu_tensor((tg_dtype)dt, TU_SHAPE(4, 3), v12, true);
        ck_assert_int_eq(tg_backward(tg_sum(tg_embedding(w2, idx, TG_NO_PADDING))), 0);
        tu_assert_close(tg_grad_get(w2, 0), 1, 0);
        tg_tensor *w3 = tu_tensor((tg_dtype)dt, TU_SHAPE(4, 3), v12, true);
        ck_assert_int_eq(tg_backward(tg_sum(tg_embedding(w3, idx, -1))), 0); /* row 3 */
        tu_assert_close(tg_grad_get(w3, 9), 0, 0);
        tu_assert_close(tg_grad_get(w3, 0), 1, 0);
    }
}
END_TEST

START_TEST(one_hot_values)
{
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *idx = tu_tensor((tg_dtype)dt, TU_SHAPE(3), (double[]){2, 0, 1}, false);
        tg_tensor *y = tg_one_hot(idx, -1);
        ck_assert_int_eq(tg_dtype_of(y), dt);
        assert_values(y, 9, (double[]){0, 0, 1, 1, 0, 0, 0, 1, 0});
        ck_assert_int_eq(tg_shape(tg_one_hot(idx, 5))[1], 5);
    }
}
END_TEST

START_TEST(masked_select_values_and_gradient)
{
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *x = tu_tensor((tg_dtype)dt, TU_SHAPE(2, 3), v12, true);
        tg_tensor *mask = tu_tensor((tg_dtype)dt, TU_SHAPE(3), (double[]){1, 0, NAN}, false);
        tg_tensor *y = tg_masked_select(x, mask); /* broadcast: columns 0 and 2 */
        assert_values(y, 4, (double[]){0, 2, 3, 5});
        ck_assert_int_eq(tg_backward(tg_sum(tg_mul(y, y))), 0);
        assert_grads(x, 6, (double[]){0, 0, 4, 6, 0, 10});
        tg_tensor *none = tg_masked_select(x, tg_full((tg_dtype)dt, 0, NULL, 0, false));
        ck_assert_int_eq(tg_numel(none), 0);
    }
}
END_TEST

START_TEST(pad_modes)
{
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *x = tu_tensor((tg_dtype)dt, TU_SHAPE(3), (double[]){1, 2, 3}, false);
        int64_t w[2] = {2, 1};
        assert_values(tg_pad(x, 2, w, TG_PAD_CONSTANT, -1), 6, (double[]){-1, -1, 1, 2, 3, -1});
        assert_values(tg_pad(x, 2, w, TG_PAD_REFLECT, 0), 6, (double[]){3, 2, 1, 2, 3, 2});
        assert_values(tg_pad(x, 2, w, TG_PAD_REPLICATE, 0), 6, (double[]){1, 1, 1, 2, 3, 3});
        assert_values(tg_pad(x, 2, w, TG_PAD_CIRCULAR, 0), 6, (double[]){2, 3, 1, 2, 3, 1});
        assert_values(tg_pad(x, 2, (int64_t[]){-1, 0}, TG_PAD_CONSTANT, 0), 2, (double[]){2, 3});
        tg_tensor *m = tu_tensor((tg_dtype)dt, TU_SHAPE(1, 2), (double[]){1, 2}, false);
        tg_tensor *p = tg_pad(m, 4, (int64_t[]){0, 1, 1, 0}, TG_PAD_CONSTANT, 0); /* [2, 3] */
        ck_assert_int_eq(tg_shape(p)[0], 2);
        assert_values(p, 6, (double[]){0, 0, 0, 1, 2, 0});
    }
}
END_TEST

/* reflect padding reads the inner elements twice: their gradients add. */
START_TEST(pad_gradient_accumulates)
{
    tg_tensor *x = tu_tensor(TG_F64, TU_SHAPE(3), (double[]){1, 2, 3}, true);
    ck_assert_int_eq(tg_backward(tg_sum(tg_pad(x, 2, (int64_t[]){2, 1}, TG_PAD_REFLECT, 0))), 0);
    assert_grads(x, 3, (double[]){1, 3, 2});
}
END_TEST

static tg_tensor *embedding_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    tg_tensor *idx = tg_index_tensor(1, (int64_t[]){4}, (int64_t[]){1, 0, 1, -1});
    return tg_square(tg_embedding(in[0], idx, *(int64_t *)ctx));
}

static tg_tensor *pad_fn(tg_tensor *const *in, void *ctx)
{
    int n = 2 * tg_ndim(in[0]);
    int64_t w[12] = {1, 1, 1, 0, 0, 1, 1, 1};
    return tg_square(tg_pad(in[0], n < 8 ? n : 8, w, *(tg_pad_mode *)ctx, 0.5));
}

static tg_tensor *masked_select_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    tg_tensor *mask = tu_tensor(TG_F64, TU_SHAPE(3), (double[]){1, 0, 1}, false);
    return tg_square(tg_masked_select(in[0], mask));
}

START_TEST(structure_gradcheck)
{
    /* with no padding row: a padding row's missing gradient is by design */
    int64_t none = TG_NO_PADDING;
    tu_gradcheck_both(embedding_fn, &none, 1, (tu_shape[]){TU_SHAPE(3, 2)}, -2, 2);
    tu_gradcheck_both(embedding_fn, &none, 1, (tu_shape[]){TU_SHAPE(2, 1)}, -2, 2);
    static const tu_shape shapes[] = {TU_SHAPE(3), TU_SHAPE(2, 3), TU_SHAPE(2, 2, 3)};
    for (int mode = TG_PAD_CONSTANT; mode <= TG_PAD_CIRCULAR; mode++)
        for (size_t i = 0; i < 3; i++)
            tu_gradcheck_both(pad_fn, &mode, 1, &shapes[i], -2, 2);
    tu_gradcheck_both(masked_select_fn, NULL, 1, &shapes[1], -2, 2);
    tu_gradcheck_both(masked_select_fn, NULL, 1, (tu_shape[]){TU_SHAPE(1, 1)}, -2, 2);
}
END_TEST

START_TEST(structure_errors)
{
    tg_tensor *w = tu_tensor(TG_F64, TU_SHAPE(4, 3), v12, false);
    ck_assert_ptr_null(tg_embedding(w, tg_index_tensor(1, (int64_t[]){2}, (int64_t[]){1, 4}),
                                    TG_NO_PADDING));
    ck_assert_str_eq(tg_last_error(),
                     "tg_embedding: index 4 at position 1 is out of range for axis 0 of size 4");
    tg_clear_error();
    ck_assert_ptr_null(tg_embedding(w, tg_index_tensor(0, NULL, (int64_t[]){1}), 4));
    ck_assert_str_eq(tg_last_error(),
                     "tg_embedding: padding_idx 4 is out of range for axis 0 of size 4");
    tg_clear_error();
    tg_tensor *neg = tu_tensor(TG_F64, TU_SHAPE(2), (double[]){1, -1}, false);
    ck_assert_ptr_null(tg_one_hot(neg, 3));
    ck_assert_str_eq(tg_last_error(), "tg_one_hot: class -1 at position 1 is out of range 0..2");
    tg_clear_error();
    tg_tensor *x = tu_tensor(TG_F64, TU_SHAPE(3), v12, false);
    ck_assert_ptr_null(tg_pad(x, 2, (int64_t[]){3, 0}, TG_PAD_REFLECT, 0));
    ck_assert_str_eq(tg_last_error(),
                     "tg_pad: widths (3, 0) do not fit axis 0 of size 3 in reflect mode");
    tg_clear_error();
    ck_assert_ptr_null(tg_pad(x, 3, (int64_t[]){1, 1, 1}, TG_PAD_CONSTANT, 0));
    ck_assert_str_eq(tg_last_error(), "tg_pad: 3 widths for a 1-d tensor (an even number up to 2)");
    tg_clear_error();
    ck_assert_ptr_null(tg_masked_select(x, tu_tensor(TG_F64, TU_SHAPE(2), v12, false)));
    ck_assert_int_eq(tg_last_error_code(), TG_ESHAPE);
}
END_TEST

TCase *tg_test_embedding(void)
{
    TCase *tc = tu_tcase("embedding");
    tcase_add_test(tc, embedding_values_and_padding);
    tcase_add_test(tc, one_hot_values);
    tcase_add_test(tc, masked_select_values_and_gradient);
    tcase_add_test(tc, pad_modes);
    tcase_add_test(tc, pad_gradient_accumulates);
    tcase_add_test(tc, structure_gradcheck);
    tcase_add_test(tc, structure_errors);
    return tc;
}
