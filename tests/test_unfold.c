/* test_unfold.c -- tg_unfold and tg_fold (F.unfold, F.fold): the columns
 * against their definition, fold as unfold's adjoint (<unfold(x), c> =
 * <x, fold(c)>), overlaps adding up, gradcheck, gradgradcheck, errors. */
#include "testutil.h"

static const int64_t kernel[2] = {2, 3};
static const tg_conv_opts opts = {{2, 1}, {1, 0}, {1, 2}, 0, false};

static tg_tensor *unfold_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_unfold(in[0], kernel, &opts);
}

static tg_tensor *fold_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_fold(in[0], (int64_t[]){5, 7}, kernel, &opts);
}

/* x [2,3,5,7]: windows of 2x3, stride (2,1), padding (1,0), dilation (1,2):
 * 3 x 3 windows */
START_TEST(unfold_values)
{
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *x = tu_rand((tg_dtype)dt, TU_SHAPE(2, 3, 5, 7), -1, 1, false);
        tg_tensor *cols = tg_unfold(x, kernel, &opts);
        tu_assert_ok(cols);
        ck_assert_int_eq(tg_ndim(cols), 3);
        ck_assert_int_eq(tg_shape(cols)[1], 3 * 6);
        ck_assert_int_eq(tg_shape(cols)[2], 9);
        for (int64_t n = 0; n < 2; n++)
            for (int64_t r = 0; r < 18; r++)
                for (int64_t l = 0; l < 9; l++) {
                    int64_t c = r / 6, i = r % 6 / 3, j = r % 3;
                    int64_t ih = l / 3 * 2 - 1 + i, iw = l % 3 + 2 * j;
                    double want = ih < 0 || ih >= 5 ? 0 : tg_get(x, ((n * 3 + c) * 5 + ih) * 7 + iw);
                    ck_assert(tg_get(cols, (n * 18 + r) * 9 + l) == want);
                }
        tg_tape_reset();
    }
}
END_TEST

START_TEST(fold_is_the_adjoint_of_unfold)
{
    tg_tensor *x = tu_rand(TG_F64, TU_SHAPE(2, 3, 5, 7), -1, 1, false);
    tg_tensor *c = tu_rand(TG_F64, TU_SHAPE(2, 18, 9), -1, 1, false);
    tg_tensor *u = tg_unfold(x, kernel, &opts), *f = fold_fn(&c, NULL);
    tu_assert_ok(u);
    tu_assert_ok(f);
    double a = tg_item(tg_sum(tg_mul(u, c))), b = tg_item(tg_sum(tg_mul(x, f)));
    tu_assert_close(a, b, 1e-13);
}
END_TEST

/* F.fold(ones(1, 4, 4), (3, 3), 2) counts the windows over each place */
START_TEST(fold_adds_overlaps)
{
    tg_tensor *ones = tg_full(TG_F64, 3, (int64_t[]){1, 4, 4}, 1, false);
    tg_tensor *y = tg_fold(ones, (int64_t[]){3, 3}, (int64_t[]){2, 2}, NULL);
    tu_assert_ok(y);
    double want[9] = {1, 2, 1, 2, 4, 2, 1, 2, 1};
    for (int i = 0; i < 9; i++)
        tu_assert_close(tg_get(y, i), want[i], 0);
}
END_TEST

START_TEST(unfold_fold_gradcheck)
{
    static const tu_shape xs[] = {TU_SHAPE(2, 3, 5, 7)}, cs[] = {TU_SHAPE(2, 18, 9)};
    tu_gradcheck_both(unfold_fn, NULL, 1, xs, -1, 1);
    tu_gradcheck_both(fold_fn, NULL, 1, cs, -1, 1);
    static const tu_shape one[] = {TU_SHAPE(1, 1, 3, 5)};
    tu_gradcheck_both(unfold_fn, NULL, 1, one, -1, 1);
    tg_tensor *x = tu_rand(TG_F64, xs[0], -1, 1, true), *c = tu_rand(TG_F64, cs[0], -1, 1, true);
    ck_assert_int_eq(tg_gradgradcheck(unfold_fn, NULL, 1, &x, NULL, NULL), 0);
    ck_assert_int_eq(tg_gradgradcheck(fold_fn, NULL, 1, &c, NULL, NULL), 0);
}
END_TEST

START_TEST(unfold_fold_errors)
{
    tg_tensor *x = tu_rand(TG_F64, TU_SHAPE(1, 1, 3, 3), -1, 1, false);
    ck_assert_ptr_null(tg_unfold(x, (int64_t[]){4, 1}, NULL));
    ck_assert_str_eq(tg_last_error(), "tg_unfold: a window of 4 (kernel 4, dilation 1) does not "
                                      "fit a side of 3 padded to 3 on spatial axis 0");
    tg_clear_error();
    ck_assert_ptr_null(tg_unfold(x, (int64_t[]){0, 1}, NULL));
    ck_assert_str_eq(tg_last_error(), "tg_unfold: kernel size 0 on spatial axis 0");
    tg_clear_error();
    ck_assert_ptr_null(tg_unfold(x, (int64_t[]){1, 1}, &(tg_conv_opts){.groups = 2}));
    ck_assert_str_eq(tg_last_error(), "tg_unfold: groups 2 (there are none here)");
    tg_clear_error();
    ck_assert_ptr_null(tg_fold(tu_rand(TG_F64, TU_SHAPE(1, 5, 4), -1, 1, false),
                               (int64_t[]){3, 3}, (int64_t[]){2, 2}, NULL));
    ck_assert_str_eq(tg_last_error(), "tg_fold: cols of shape [1,5,4] do not fit windows of 2x2 "
                                      "over 2x2 (4 windows; rows a multiple of 4)");
    tg_clear_error();
    ck_assert_ptr_null(tg_unfold(tu_rand(TG_F64, TU_SHAPE(3, 3), -1, 1, false), kernel, NULL));
    ck_assert_str_eq(tg_last_error(), "tg_unfold: argument 1 has shape [3,3]; it must be [N,C,H,W]");
    tg_clear_error();
}
END_TEST

TCase *tg_test_unfold(void)
{
    TCase *tc = tu_tcase("unfold");
    tcase_add_test(tc, unfold_values);
    tcase_add_test(tc, fold_is_the_adjoint_of_unfold);
    tcase_add_test(tc, fold_adds_overlaps);
    tcase_add_test(tc, unfold_fold_gradcheck);
    tcase_add_test(tc, unfold_fold_errors);
    return tc;
}
