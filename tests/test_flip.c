/* test_flip.c -- tg_flip, tg_roll, tg_repeat and tg_tile: values in both
 * dtypes, gradients (summed over repeated copies), errors. */
#include "testutil.h"

static const double v6[6] = {1, 2, 3, 4, 5, 6};

static void assert_values(tg_tensor *y, int n, const double *want)
{
    tu_assert_ok(y);
    ck_assert_int_eq(tg_numel(y), n);
    for (int i = 0; i < n; i++)
        tu_assert_close(tg_get(y, i), want[i], 0);
}

START_TEST(flip_and_roll_values)
{
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *x = tu_tensor((tg_dtype)dt, TU_SHAPE(2, 3), v6, false);
        assert_values(tg_flip(x, 1, (int[]){1}), 6, (double[]){3, 2, 1, 6, 5, 4});
        assert_values(tg_flip(x, 2, (int[]){0, -1}), 6, (double[]){6, 5, 4, 3, 2, 1});
        assert_values(tg_flip(x, 0, NULL), 6, v6);
        /* torch.roll(x, 1, 1) and torch.roll(x, -1, 0); a shift past the size wraps */
        assert_values(tg_roll(x, 1, (int64_t[]){1}, (int[]){1}), 6, (double[]){3, 1, 2, 6, 4, 5});
        assert_values(tg_roll(x, 1, (int64_t[]){-1}, (int[]){0}), 6, (double[]){4, 5, 6, 1, 2, 3});
        assert_values(tg_roll(x, 1, (int64_t[]){7}, (int[]){1}), 6, (double[]){3, 1, 2, 6, 4, 5});
        /* no axes: the flattened tensor, shape kept (torch.roll(x, 2)) */
        tg_tensor *f = tg_roll(x, 1, (int64_t[]){2}, NULL);
        assert_values(f, 6, (double[]){5, 6, 1, 2, 3, 4});
        ck_assert_int_eq(tg_ndim(f), 2);
    }
}
END_TEST

START_TEST(repeat_and_tile_values)
{
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *x = tu_tensor((tg_dtype)dt, TU_SHAPE(2), v6, false);
        tg_tensor *r = tg_repeat(x, 2, (int64_t[]){2, 3}); /* x.repeat(2, 3): [2, 6] */
        ck_assert_int_eq(tg_shape(r)[0], 2);
        ck_assert_int_eq(tg_shape(r)[1], 6);
        assert_values(r, 12, (double[]){1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2});
        tg_tensor *m = tu_tensor((tg_dtype)dt, TU_SHAPE(2, 3), v6, false);
        tg_tensor *t = tg_tile(m, 1, (int64_t[]){2}); /* torch.tile(m, (2,)): [2, 6] */
        assert_values(t, 12, (double[]){1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6});
        ck_assert_int_eq(tg_numel(tg_repeat(m, 2, (int64_t[]){0, 1})), 0);
    }
}
END_TEST

/* d/dx sum(w * repeat(x)) sums w over the copies of each element. */
START_TEST(repeat_gradient_accumulates)
{
    tg_tensor *x = tu_tensor(TG_F64, TU_SHAPE(2), v6, true);
    double wv[6] = {1, 10, 100, 1000, 10000, 100000};
    tg_tensor *w = tu_tensor(TG_F64, TU_SHAPE(3, 2), wv, false);
    ck_assert_int_eq(tg_backward(tg_sum(tg_mul(tg_repeat(x, 2, (int64_t[]){3, 1}), w))), 0);
    tu_assert_close(tg_grad_get(x, 0), 10101, 0);
    tu_assert_close(tg_grad_get(x, 1), 101010, 0);
}
END_TEST

static tg_tensor *flip_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_mul(tg_flip(in[0], 1, (int[]){-1}), in[0]);
}

static tg_tensor *roll_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_mul(tg_roll(in[0], 1, (int64_t[]){-2}, (int[]){-1}), in[0]);
}

static tg_tensor *repeat_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    tg_tensor *r = tg_repeat(in[0], tg_ndim(in[0]) + 1, (int64_t[]){2, 1, 2, 1, 2, 1});
    return tg_mul(r, r);
}

START_TEST(flip_roll_repeat_gradcheck)
{
    static const tu_shape shapes[] = {TU_SHAPE(5), TU_SHAPE(2, 3), TU_SHAPE(1, 4),
                                      TU_SHAPE(2, 1, 3)};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        tu_gradcheck_both(flip_fn, NULL, 1, &shapes[i], -2, 2);
        tu_gradcheck_both(roll_fn, NULL, 1, &shapes[i], -2, 2);
        tu_gradcheck_both(repeat_fn, NULL, 1, &shapes[i], -2, 2);
    }
}
END_TEST

START_TEST(flip_roll_repeat_errors)
{
    tg_tensor *x = tu_tensor(TG_F64, TU_SHAPE(2, 3), v6, false);
    ck_assert_ptr_null(tg_flip(x, 2, (int[]){1, -1}));
    ck_assert_str_eq(tg_last_error(), "tg_flip: axis 1 appears twice");
    tg_clear_error();
    ck_assert_ptr_null(tg_roll(x, 1, (int64_t[]){1}, (int[]){2}));
    ck_assert_int_eq(tg_last_error_code(), TG_EAXIS);
    tg_clear_error();
    ck_assert_ptr_null(tg_repeat(x, 1, (int64_t[]){2}));
    ck_assert_str_eq(tg_last_error(), "tg_repeat: 1 repeats for a 2-d tensor (it takes 2 to 6)");
    tg_clear_error();
    ck_assert_ptr_null(tg_repeat(x, 2, (int64_t[]){1, -1}));
    ck_assert_str_eq(tg_last_error(), "tg_repeat: repeat -1 for axis 1 is negative");
    tg_clear_error();
    ck_assert_ptr_null(tg_tile(x, 1, (int64_t[]){-2})); /* reps padded to (1, -2) */
    ck_assert_str_eq(tg_last_error(), "tg_tile: repeat -2 for axis 1 is negative");
    tg_clear_error();
    ck_assert_ptr_null(tg_tile(x, 7, (int64_t[]){1, 1, 1, 1, 1, 1, 1}));
    ck_assert_str_eq(tg_last_error(), "tg_tile: 7 repeats (0 to 6 fit)");
}
END_TEST

TCase *tg_test_flip(void)
{
    TCase *tc = tu_tcase("flip");
    tcase_add_test(tc, flip_and_roll_values);
    tcase_add_test(tc, repeat_and_tile_values);
    tcase_add_test(tc, repeat_gradient_accumulates);
    tcase_add_test(tc, flip_roll_repeat_gradcheck);
    tcase_add_test(tc, flip_roll_repeat_errors);
    return tc;
}
