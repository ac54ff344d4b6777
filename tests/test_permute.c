/* test_permute.c -- tg_permute, tg_swapaxes, tg_movedim and the reshape-like
 * views squeeze, unsqueeze, flatten, unflatten and tg_expand. */
#include "testutil.h"

static double v24[24];

static void fill(void)
{
    for (int i = 0; i < 24; i++)
        v24[i] = i;
}

static void assert_shape(tg_tensor *y, int ndim, const int64_t *shape)
{
    tu_assert_ok(y);
    ck_assert_int_eq(tg_ndim(y), ndim);
    for (int d = 0; d < ndim; d++)
        ck_assert_int_eq(tg_shape(y)[d], shape[d]);
}

START_TEST(permute_values)
{
    fill();
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *x = tu_tensor((tg_dtype)dt, TU_SHAPE(2, 3, 4), v24, false);
        tg_tensor *y = tg_permute(x, 3, (int[]){2, 0, -2});
        assert_shape(y, 3, (int64_t[]){4, 2, 3});
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 2; j++)
                for (int k = 0; k < 3; k++)
                    tu_assert_close(tg_get(y, (i * 2 + j) * 3 + k), v24[(j * 3 + k) * 4 + i], 0);
        tg_tensor *s = tg_swapaxes(x, 0, 2); /* torch.transpose(x, 0, 2) */
        assert_shape(s, 3, (int64_t[]){4, 3, 2});
        tu_assert_close(tg_get(s, 1 * 6 + 2 * 2 + 1), v24[(1 * 3 + 2) * 4 + 1], 0);
        tg_tensor *m = tg_movedim(x, 0, -1); /* [3, 4, 2] */
        assert_shape(m, 3, (int64_t[]){3, 4, 2});
        tu_assert_close(tg_get(m, (2 * 4 + 3) * 2 + 1), v24[(1 * 3 + 2) * 4 + 3], 0);
        assert_shape(tg_movedim(x, 2, 0), 3, (int64_t[]){4, 2, 3});
    }
}
END_TEST

static tg_tensor *permute_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    int n = tg_ndim(in[0]), axes[6];
    for (int d = 0; d < n; d++)
        axes[d] = (d + 1) % n;
    return tg_mul(tg_permute(in[0], n, axes), tg_permute(in[0], n, axes));
}

START_TEST(permute_gradcheck)
{
    static const tu_shape shapes[] = {TU_SCALAR, TU_SHAPE(3), TU_SHAPE(2, 3), TU_SHAPE(1, 4),
                                      TU_SHAPE(2, 1, 3), TU_SHAPE(2, 3, 1, 2)};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        tu_gradcheck_both(permute_fn, NULL, 1, &shapes[i], -2, 2);
}
END_TEST

START_TEST(views_share_data)
{
    fill();
    tg_tensor *x = tu_tensor(TG_F64, TU_SHAPE(2, 1, 3, 1), v24, true);
    tg_tensor *a = tg_squeeze_all(x), *b = tg_squeeze(x, 1), *c = tg_squeeze(x, 0);
    assert_shape(a, 2, (int64_t[]){2, 3});
    assert_shape(b, 3, (int64_t[]){2, 3, 1});
    assert_shape(c, 4, (int64_t[]){2, 1, 3, 1}); /* size 2: unchanged (PyTorch) */
    ck_assert_ptr_eq(tg_data(a), tg_data(x));
    assert_shape(tg_unsqueeze(a, -1), 3, (int64_t[]){2, 3, 1});
    assert_shape(tg_unsqueeze(a, 0), 3, (int64_t[]){1, 2, 3});
    assert_shape(tg_flatten(x, 0, -1), 1, (int64_t[]){6});
    assert_shape(tg_flatten(x, 1, 2), 3, (int64_t[]){2, 3, 1});
    assert_shape(tg_flatten(tg_scalar(1), 0, -1), 1, (int64_t[]){1});
    assert_shape(tg_unflatten(a, 1, 2, (int64_t[]){-1, 1}), 3, (int64_t[]){2, 3, 1});
    assert_shape(tg_expand(a, 3, (int64_t[]){4, -1, -1}), 3, (int64_t[]){4, 2, 3});
    ck_assert_int_eq(tg_op_kind_of(a), TG_OP_RESHAPE);
    ck_assert_int_eq(tg_backward(tg_sum(tg_mul(tg_flatten(x, 0, -1), tg_flatten(x, 0, -1)))), 0);
    for (int i = 0; i < 6; i++)
        tu_assert_close(tg_grad_get(x, i), 2 * v24[i], 0);
}
END_TEST

START_TEST(permute_errors)
{
    tg_tensor *x = tu_tensor(TG_F64, TU_SHAPE(2, 3), NULL, false);
    ck_assert_ptr_null(tg_permute(x, 2, (int[]){0, 0}));
    ck_assert_str_eq(tg_last_error(), "tg_permute: axis 0 appears twice");
    tg_clear_error();
    ck_assert_ptr_null(tg_permute(x, 1, (int[]){0}));
    ck_assert_str_eq(tg_last_error(), "tg_permute: 1 axes given for shape [2,3] of 2");
    tg_clear_error();
    ck_assert_ptr_null(tg_swapaxes(x, 0, 2));
    ck_assert_int_eq(tg_last_error_code(), TG_EAXIS);
    tg_clear_error();
    ck_assert_ptr_null(tg_unflatten(x, 1, 2, (int64_t[]){2, 2}));
    ck_assert_str_eq(tg_last_error(), "tg_unflatten: sizes [2,2] do not multiply to axis 1's size 3");
    tg_clear_error();
    ck_assert_ptr_null(tg_flatten(x, 1, 0));
    ck_assert_int_eq(tg_last_error_code(), TG_EAXIS);
    tg_clear_error();
    ck_assert_ptr_null(tg_unflatten(x, 1, 2, (int64_t[]){-1, -1}));
    ck_assert_str_eq(tg_last_error(),
                     "tg_unflatten: bad sizes [-1,-1]: one may be -1, the others must be >= 0");
    tg_clear_error();
    ck_assert_ptr_null(tg_unflatten(tu_tensor(TG_F64, TU_SHAPE(6), NULL, false), 0, 2,
                                    (int64_t[]){-2, -3}));
    ck_assert_str_eq(tg_last_error(),
                     "tg_unflatten: bad sizes [-2,-3]: one may be -1, the others must be >= 0");
    tg_clear_error();
    ck_assert_ptr_null(tg_expand(x, 3, (int64_t[]){-1, 2, 3}));
    ck_assert_str_eq(tg_last_error(), "tg_expand: -1 at new leading axis 0 has no size to keep");
    tg_clear_error();
    ck_assert_ptr_null(tg_expand(x, 2, (int64_t[]){4, 3}));
    ck_assert_str_eq(tg_last_error(), "tg_expand: shape [2,3] does not broadcast to [4,3]");
    tg_clear_error();
    ck_assert_ptr_null(tg_expand(x, 2, (int64_t[]){2, -2}));
    ck_assert_str_eq(tg_last_error(), "tg_expand: size -2 at axis 1 (-1 keeps a size)");
    tg_clear_error();
    ck_assert_ptr_null(tg_expand(x, 7, (int64_t[]){1, 1, 1, 1, 1, 2, 3}));
    ck_assert_str_eq(tg_last_error(), "tg_expand: 7 sizes for a 2-d tensor (at least 2, at most 6)");
    tg_clear_error();
    ck_assert_ptr_null(tg_unsqueeze(x, 3));
    ck_assert_str_eq(tg_last_error(),
                     "tg_unsqueeze: axis 3 out of range -3..2 for a new axis of a 2-d tensor");
}
END_TEST

TCase *tg_test_permute(void)
{
    TCase *tc = tu_tcase("permute");
    tcase_add_test(tc, permute_values);
    tcase_add_test(tc, permute_gradcheck);
    tcase_add_test(tc, views_share_data);
    tcase_add_test(tc, permute_errors);
    return tc;
}
